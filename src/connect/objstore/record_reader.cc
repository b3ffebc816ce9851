#include "connect/objstore/record_reader.h"

#include <fmt/format.h>

namespace runnel::connect::objstore {

std::optional<record_format> parse_record_format(std::string_view name) {
  if (name == "lines" || name == "text") return record_format::lines;
  if (name == "json" || name == "jsonl" || name == "json_lines") return record_format::json_lines;
  if (name == "csv") return record_format::csv;
  if (name == "bytes" || name == "whole_file") return record_format::whole_file;
  return std::nullopt;
}

record_reader::record_reader(record_format format, csv_options csv) : format_(format), csv_(csv) {}

void record_reader::feed(std::string_view bytes) {
  compact();
  buf_.append(bytes);
}

void record_reader::compact() {
  // Drop what was consumed once it is most of the buffer, so the buffer
  // holds about one unfinished record plus the last chunk.
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

std::optional<std::string_view> record_reader::take_line() {
  auto nl = buf_.find('\n', pos_);
  std::string_view line;
  if (nl == std::string::npos) {
    if (!eof_ || pos_ >= buf_.size()) return std::nullopt;
    line = std::string_view(buf_).substr(pos_);
    pos_ = buf_.size();
  } else {
    line = std::string_view(buf_).substr(pos_, nl - pos_);
    pos_ = nl + 1;
  }
  ++line_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

result<std::optional<std::vector<std::string>>> record_reader::take_row() {
  std::vector<std::string> fields;
  std::string field;
  size_t i = pos_;
  int64_t lines = 0;
  bool quoted = false;      // inside a quoted field
  bool was_quoted = false;  // the current field started with a quote
  while (true) {
    if (i >= buf_.size()) {
      if (!eof_) return std::optional<std::vector<std::string>>();
      if (quoted) {
        pos_ = buf_.size();
        return make_error(errc::data, "a quoted field is not closed at the end of the file");
      }
      if (i == pos_) return std::optional<std::vector<std::string>>();  // nothing left
      fields.push_back(std::move(field));
      pos_ = i;
      line_ += lines;
      return std::optional(std::move(fields));
    }
    char c = buf_[i];
    if (quoted) {
      if (c == csv_.quote) {
        if (i + 1 >= buf_.size() && !eof_) return std::optional<std::vector<std::string>>();
        if (i + 1 < buf_.size() && buf_[i + 1] == csv_.quote) {
          field.push_back(c);
          i += 2;
          continue;
        }
        quoted = false;
        ++i;
        continue;
      }
      if (c == '\n') ++lines;
      field.push_back(c);
      ++i;
      continue;
    }
    if (c == csv_.quote && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
      ++i;
    } else if (c == csv_.delimiter) {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
      ++i;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r') {
        if (i + 1 >= buf_.size() && !eof_) return std::optional<std::vector<std::string>>();
        if (i + 1 < buf_.size() && buf_[i + 1] == '\n') ++i;
      }
      fields.push_back(std::move(field));
      pos_ = i + 1;
      line_ += lines + 1;
      return std::optional(std::move(fields));
    } else {
      field.push_back(c);  // a stray quote inside an unquoted field is kept
      ++i;
    }
  }
}

result<std::optional<file_record>> record_reader::next() {
  using none = std::optional<file_record>;
  if (finished_) return none();
  switch (format_) {
    case record_format::whole_file: {
      if (!eof_) return none();
      finished_ = true;
      file_record r;
      r.value = data::binary(std::vector<uint8_t>(buf_.begin() + long(pos_), buf_.end()));
      r.index = index_++;
      r.line = 1;
      buf_.clear();
      pos_ = 0;
      return std::optional(std::move(r));
    }
    case record_format::lines:
    case record_format::json_lines: {
      while (true) {
        int64_t at = line_;
        auto line = take_line();
        if (!line) {
          if (eof_) finished_ = true;
          return none();
        }
        if (format_ == record_format::lines) {
          return std::optional(file_record{data(std::string(*line)), index_++, at});
        }
        if (line->find_first_not_of(" \t") == std::string_view::npos) continue;
        auto parsed = data::parse(line->begin(), line->end(), nullptr, false);
        int64_t index = index_++;
        if (parsed.is_discarded()) {
          refused_.assign(*line);
          return make_error(errc::data, fmt::format("record {} (line {}) is not JSON", index, at));
        }
        return std::optional(file_record{std::move(parsed), index, at});
      }
    }
    case record_format::csv: {
      while (true) {
        int64_t at = line_;
        const size_t row_start = pos_;
        auto row = take_row();
        if (!row) {
          refused_.assign(buf_, row_start, pos_ - row_start);
          int64_t index = index_++;
          return make_error(errc::data,
                            fmt::format("record {} (line {}): {}", index, at, row.error().message));
        }
        if (!row.value()) {
          if (eof_) finished_ = true;
          return none();
        }
        auto& fields = *row.value();
        if (csv_.header && !header_) {
          header_ = std::move(fields);
          continue;
        }
        // A line with nothing on it is not a row.
        if (fields.size() == 1 && fields[0].empty()) continue;
        file_record r;
        r.index = index_++;
        r.line = at;
        if (!header_) {
          r.value = data::array();
          for (auto& f : fields) r.value.push_back(std::move(f));
        } else {
          r.value = data::object();
          for (size_t i = 0; i < std::max(fields.size(), header_->size()); ++i) {
            std::string name = i < header_->size() ? (*header_)[i] : fmt::format("_{}", i + 1);
            r.value[name] = i < fields.size() ? data(std::move(fields[i])) : data(nullptr);
          }
        }
        return std::optional(std::move(r));
      }
    }
  }
  return none();
}

}  // namespace runnel::connect::objstore
