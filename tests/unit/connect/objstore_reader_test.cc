// Record readers and decompression of the object-store and directory
// sources: every format fed whole and one byte at a time (records must not
// depend on how the bytes arrive), gzip and zstd files (several members and
// frames, truncated ones), and the indexes a restart continues from.
#include <gtest/gtest.h>

#include <zlib.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "connect/objstore/decompress.h"
#include "connect/objstore/record_reader.h"

namespace runnel::connect::objstore {
namespace {

std::string gzip(std::string_view in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, uLong(in.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = uInt(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

// Every record (or error text) of `bytes`, fed in chunks of `chunk` bytes.
std::vector<std::string> read_all(record_format f, std::string_view bytes, size_t chunk,
                                  csv_options csv = {}) {
  record_reader r(f, csv);
  std::vector<std::string> out;
  auto drain = [&] {
    for (int guard = 0; guard < 100000; ++guard) {
      auto rec = r.next();
      if (!rec) {
        out.push_back("error: " + rec.error().message + " [" + r.refused_text() + "]");
        continue;
      }
      if (!rec.value()) return;
      auto& v = rec.value()->value;
      out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    }
  };
  for (size_t i = 0; i < bytes.size(); i += chunk) {
    r.feed(bytes.substr(i, chunk));
    drain();
  }
  r.end();
  drain();
  EXPECT_TRUE(r.done());
  return out;
}

void expect_same_in_any_chunking(record_format f, std::string_view bytes,
                                 const std::vector<std::string>& want, csv_options csv = {}) {
  for (size_t chunk : {size_t(1), size_t(2), size_t(7), bytes.size() + 1}) {
    EXPECT_EQ(read_all(f, bytes, chunk, csv), want) << "chunk " << chunk;
  }
}

TEST(record_reader_test, lines_with_crlf_and_a_last_line_without_newline) {
  expect_same_in_any_chunking(record_format::lines, "one\r\ntwo\n\nfour",
                              {"one", "two", "", "four"});
  expect_same_in_any_chunking(record_format::lines, "a\nb\n", {"a", "b"});
  expect_same_in_any_chunking(record_format::lines, "", {});
}

TEST(record_reader_test, json_lines_skip_blank_lines_and_refuse_bad_ones_without_stopping) {
  expect_same_in_any_chunking(
      record_format::json_lines, "{\"a\":1}\n\n  \n[1,2]\n{bad\n\"s\"\n",
      {"{\"a\":1}", "[1,2]", "error: record 2 (line 5) is not JSON [{bad]", "s"});
}

TEST(record_reader_test, csv_with_header_quotes_and_line_breaks_in_fields) {
  std::string text =
      "id,name,note\r\n"
      "1,Ann,\"says \"\"hi\"\"\"\r\n"
      "2,\"Bob, Jr.\",\"two\nlines\"\n"
      "\n"
      "3,Cy\n"
      "4,Di,x,extra\n";
  expect_same_in_any_chunking(record_format::csv, text,
                              {R"({"id":"1","name":"Ann","note":"says \"hi\""})",
                               R"({"id":"2","name":"Bob, Jr.","note":"two\nlines"})",
                               R"({"id":"3","name":"Cy","note":null})",
                               R"({"id":"4","name":"Di","note":"x","_4":"extra"})"});
}

TEST(record_reader_test, csv_without_header_and_other_delimiter) {
  csv_options o;
  o.header = false;
  o.delimiter = ';';
  expect_same_in_any_chunking(record_format::csv, "a;b\n\"c;d\";e",
                              {R"(["a","b"])", R"(["c;d","e"])"}, o);
}

TEST(record_reader_test, csv_unclosed_quote_is_a_bad_record) {
  expect_same_in_any_chunking(record_format::csv, "h\nok\n\"never closed\n",
                              {R"({"h":"ok"})",
                               "error: record 1 (line 3): a quoted field is not closed at the "
                               "end of the file [\"never closed\n]"});
}

TEST(record_reader_test, whole_file_is_one_bytes_record) {
  record_reader r(record_format::whole_file);
  r.feed(std::string("\0\x01\xff", 3));
  EXPECT_FALSE(r.next().value());  // not before the end
  r.end();
  auto rec = r.next().value();
  ASSERT_TRUE(rec);
  ASSERT_TRUE(rec->value.is_binary());
  const std::vector<uint8_t>& bytes = rec->value.get_binary();
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0, 1, 255}));
  EXPECT_FALSE(r.next().value());
  EXPECT_TRUE(r.done());
}

TEST(record_reader_test, indexes_count_every_record_for_restarts) {
  record_reader r(record_format::json_lines);
  r.feed("1\nx\n3\n");
  r.end();
  EXPECT_EQ(r.next().value()->index, 0);
  EXPECT_FALSE(r.next());  // record 1 is bad
  EXPECT_EQ(r.next().value()->index, 2);
  EXPECT_EQ(r.records(), 3);
}

TEST(record_reader_test, format_names) {
  EXPECT_EQ(parse_record_format("json"), record_format::json_lines);
  EXPECT_EQ(parse_record_format("csv"), record_format::csv);
  EXPECT_EQ(parse_record_format("lines"), record_format::lines);
  EXPECT_EQ(parse_record_format("bytes"), record_format::whole_file);
  EXPECT_FALSE(parse_record_format("parquet"));
}

std::string decompress_all(compression c, std::string_view in, size_t chunk, bool* bad) {
  auto d = make_decompressor(c);
  std::string out;
  *bad = false;
  for (size_t i = 0; i < in.size(); i += chunk) {
    if (!d->feed(in.substr(i, chunk), out)) {
      *bad = true;
      return out;
    }
  }
  *bad = !d->finish();
  return out;
}

TEST(decompress_test, compression_by_extension) {
  EXPECT_EQ(compression_of("a/b.json.gz"), compression::gzip);
  EXPECT_EQ(compression_of("a/b.CSV.GZIP"), compression::gzip);
  EXPECT_EQ(compression_of("x.zst"), compression::zstd);
  EXPECT_EQ(compression_of("x.zstd"), compression::zstd);
  EXPECT_EQ(compression_of("x.json"), compression::none);
  EXPECT_EQ(compression_of("gz"), compression::none);
}

TEST(decompress_test, gzip_and_zstd_round_trip_in_any_chunking_with_several_members) {
  std::string a, b;
  for (int i = 0; i < 20000; ++i) a += "{\"n\":" + std::to_string(i) + "}\n";
  for (int i = 0; i < 100; ++i) b += "tail " + std::to_string(i) + "\n";
  for (auto c : {compression::gzip, compression::zstd}) {
    SCOPED_TRACE(std::string(compression_name(c)));
    auto pack = c == compression::gzip ? gzip : zstd;
    std::string file = pack(a) + pack(b);  // two members / frames, as `cat` makes
    for (size_t chunk : {size_t(1), size_t(333), file.size()}) {
      bool bad = true;
      EXPECT_EQ(decompress_all(c, file, chunk, &bad), a + b);
      EXPECT_FALSE(bad);
    }
    bool bad = false;
    decompress_all(c, std::string_view(file).substr(0, file.size() / 2), 100, &bad);
    EXPECT_TRUE(bad) << "a truncated file must be refused";
    decompress_all(c, "this is not compressed at all", 100, &bad);
    EXPECT_TRUE(bad);
    EXPECT_EQ(decompress_all(c, "", 1, &bad), "");
    EXPECT_FALSE(bad);
  }
}

}  // namespace
}  // namespace runnel::connect::objstore
