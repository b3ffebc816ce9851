#include "sql/connector/csv_row.h"

#include <algorithm>
#include <cctype>

#include "sql/types/text_format.h"

namespace runnel::sql {

result<void> split_csv(std::string_view line, char delimiter, std::vector<std::string>& fields,
                       std::vector<bool>& quoted) {
  fields.clear();
  quoted.clear();
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t i = 0;
  while (true) {
    std::string f;
    bool q = i < line.size() && line[i] == '"';
    if (q) {
      ++i;
      while (true) {
        if (i >= line.size())
          return make_error(errc::invalid_text_representation, -1,
                            "field {} opens a quote that does not close", fields.size() + 1);
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            f += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        f += line[i++];
      }
      if (i < line.size() && line[i] != delimiter)
        return make_error(errc::invalid_text_representation, -1,
                          "field {} has text after its closing quote", fields.size() + 1);
    } else {
      size_t end = line.find(delimiter, i);
      if (end == std::string_view::npos) end = line.size();
      f.assign(line.substr(i, end - i));
      i = end;
    }
    fields.push_back(std::move(f));
    quoted.push_back(q);
    if (i >= line.size()) break;
    ++i;  // the delimiter
  }
  return outcome::success();
}

csv_row_decoder::csv_row_decoder(std::vector<plan_column> columns, char delimiter, bool header)
    : columns_(std::move(columns)), delimiter_(delimiter), header_(header) {}

result<bool> csv_row_decoder::decode(int32_t partition, std::string_view text, datum* row,
                                     arena& a) {
  BOOST_OUTCOME_TRY(split_csv(text, delimiter_, fields_, quoted_));
  if (fields_.size() != columns_.size())
    return make_error(errc::invalid_text_representation, -1,
                      "{} fields where the source has {} columns", fields_.size(), columns_.size());
  if (header_) {
    std::vector<int> order;
    for (const auto& f : fields_) {
      int found = -1;
      for (size_t c = 0; c < columns_.size(); ++c)
        if (iequals_ascii(f, columns_[c].name)) found = static_cast<int>(c);
      if (found < 0 || std::find(order.begin(), order.end(), found) != order.end()) break;
      order.push_back(found);
    }
    if (order.size() == columns_.size()) {
      order_[partition] = std::move(order);
      return false;
    }
  }
  const std::vector<int>* order = nullptr;
  if (auto it = order_.find(partition); it != order_.end()) order = &it->second;
  for (size_t i = 0; i < fields_.size(); ++i) {
    size_t c = order ? static_cast<size_t>((*order)[i]) : i;
    if (fields_[i].empty() && !quoted_[i]) {
      row[c] = datum::null_value();
      continue;
    }
    auto d = from_text(columns_[c].type, fields_[i], a);
    if (!d) {
      auto e = d.error();
      e.message = "column \"" + columns_[c].name + "\": " + e.message;
      return e;
    }
    row[c] = d.value();
  }
  return true;
}

void append_csv_row(const std::vector<plan_column>& columns, const datum* row,
                    const std::vector<int>& which, char delimiter, std::string& out) {
  std::string text;
  bool first = true;
  for (int c : which) {
    if (!first) out += delimiter;
    first = false;
    const datum& d = row[c];
    if (d.is_null()) continue;
    text.clear();
    append_text(columns[static_cast<size_t>(c)].type, d, text);
    bool quote = text.empty() ||
                 text.find_first_of(std::string{delimiter, '"', '\n', '\r'}) != std::string::npos;
    if (!quote) {
      out += text;
      continue;
    }
    out += '"';
    for (char ch : text) {
      if (ch == '"') out += '"';
      out += ch;
    }
    out += '"';
  }
}

}  // namespace runnel::sql
