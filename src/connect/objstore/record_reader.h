// Splits a file's (decompressed) bytes into records, incrementally: bytes
// go in as they are read, records come out as soon as they are complete, so
// a file of any size is read in bounded memory (whole_file aside).
//
//   lines       one string per line ("\n" or "\r\n"; a last line without
//               a newline counts)
//   json_lines  one JSON value per line; blank lines are skipped; a line
//               that is not JSON is errc::data (the reader moves past it)
//   csv         RFC 4180: quoted fields with "" escapes and line breaks
//               inside quotes; with a header, each row is an object keyed
//               by the header's names (missing fields null, extra fields
//               "_<n>"), else an array of strings
//   whole_file  one record: the bytes (Connect BYTES)
//
// A record's index counts the records of the file from 0 — bad ones
// included, so that "continue after record n" means the same whatever the
// error policy; the CSV header is not a record.
//
// Threading: one instance per file, one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connect/api/data.h"
#include "connect/api/error.h"

namespace runnel::connect::objstore {

enum class record_format { lines, json_lines, csv, whole_file };

// "lines", "json", "csv", "bytes" (the config's names); nullopt if unknown.
std::optional<record_format> parse_record_format(std::string_view name);

struct csv_options {
  char delimiter = ',';
  char quote = '"';
  bool header = true;
};

struct file_record {
  data value;
  int64_t index = 0;  // among the file's records, from 0
  int64_t line = 0;   // where it starts, from 1 (for error messages)
};

class record_reader {
 public:
  explicit record_reader(record_format format, csv_options csv = {});

  // More bytes of the file (decompressed).
  void feed(std::string_view bytes);
  // The file has no more bytes.
  void end() { eof_ = true; }

  // The next record; nullopt when more bytes are needed or the file is
  // done (done() tells which). A record that cannot be parsed is
  // errc::data, with its index and line in the message; the next call
  // continues after it.
  result<std::optional<file_record>> next();
  bool done() const { return eof_ && finished_; }
  // Records returned (or refused) so far.
  int64_t records() const { return index_; }
  // The text of the record next() refused last (its line or CSV row).
  const std::string& refused_text() const { return refused_; }

 private:
  // The next line without its terminator; nullopt if incomplete.
  std::optional<std::string_view> take_line();
  // The next CSV row's fields; nullopt if incomplete. errc::data for a
  // quote that never closes.
  result<std::optional<std::vector<std::string>>> take_row();
  void compact();

  record_format format_;
  csv_options csv_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  bool finished_ = false;
  int64_t index_ = 0;
  int64_t line_ = 1;  // the line at pos_
  std::optional<std::vector<std::string>> header_;
  std::string refused_;
};

}  // namespace runnel::connect::objstore
