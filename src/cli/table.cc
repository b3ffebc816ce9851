#include "cli/table.h"

#include <algorithm>

#include <fmt/core.h>

namespace runnel::cli {

table::table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void table::add(std::vector<std::string> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

void table::print(std::FILE* out) const {
  std::vector<size_t> width(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) width[i] = headers_[i].size();
  for (const auto& r : rows_) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string s;
    for (size_t i = 0; i < r.size(); ++i) {
      s += r[i];
      if (i + 1 < r.size()) s.append(width[i] - r[i].size() + 2, ' ');
    }
    fmt::print(out, "{}\n", s);
  };
  line(headers_);
  for (const auto& r : rows_) line(r);
}

}  // namespace runnel::cli
