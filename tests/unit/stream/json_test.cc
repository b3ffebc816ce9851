// json.h: RUNNEL_JSON structs read through simdjson and written by the
// hand-written writer; field rules, errors with the field's path, escaping.
#include "runnel/stream/json.h"

#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <thread>

namespace json = runnel::stream::json;

namespace {

struct page_view {
  std::string user;
  std::string page;
  int64_t ts = 0;
  std::optional<std::string> referrer;
  friend bool operator==(const page_view&, const page_view&) = default;
};
RUNNEL_JSON(page_view, user, page, ts, referrer)

struct defaults {
  std::string name = "anonymous";
  int32_t count = 7;
  bool flag = true;
  std::optional<int> maybe;
};
RUNNEL_JSON(defaults, name, count, flag, maybe)

struct integers {
  int8_t i8 = 0;
  int16_t i16 = 0;
  int32_t i32 = 0;
  int64_t i64 = 0;
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  friend bool operator==(const integers&, const integers&) = default;
};
RUNNEL_JSON(integers, i8, i16, i32, i64, u8, u16, u32, u64)

struct floats {
  double d = 0;
  float f = 0;
};
RUNNEL_JSON(floats, d, f)

struct line_item {
  std::string sku;
  double price = 0;
  uint32_t quantity = 0;
  friend bool operator==(const line_item&, const line_item&) = default;
};
RUNNEL_JSON(line_item, sku, price, quantity)

struct address {
  std::string city;
  std::optional<std::string> zip;
  friend bool operator==(const address&, const address&) = default;
};
RUNNEL_JSON(address, city, zip)

struct order {
  std::string id;
  address ship_to;
  std::vector<line_item> items;
  std::vector<int64_t> codes;
  std::vector<bool> flags;
  std::map<std::string, int32_t> counts;
  std::map<std::string, std::vector<std::string>> tags;
  std::optional<std::vector<std::optional<int>>> sparse;
  std::unordered_map<std::string, address> by_name;
  friend bool operator==(const order&, const order&) = default;
};
RUNNEL_JSON(order, id, ship_to, items, codes, flags, counts, tags, sparse, by_name)

struct wide {
  int f01 = 0, f02 = 0, f03 = 0, f04 = 0, f05 = 0, f06 = 0, f07 = 0, f08 = 0, f09 = 0, f10 = 0,
      f11 = 0, f12 = 0, f13 = 0, f14 = 0, f15 = 0, f16 = 0, f17 = 0, f18 = 0, f19 = 0, f20 = 0,
      f21 = 0, f22 = 0, f23 = 0, f24 = 0, f25 = 0, f26 = 0, f27 = 0, f28 = 0, f29 = 0, f30 = 0;
  friend bool operator==(const wide&, const wide&) = default;
};
RUNNEL_JSON(wide, f01, f02, f03, f04, f05, f06, f07, f08, f09, f10, f11, f12, f13, f14, f15, f16,
            f17, f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28, f29, f30)

// A type with its own mapping: a temperature written as "21.5C".
struct celsius {
  double degrees = 0;
};
bool runnel_json_read(json::value& v, celsius& out, json::read_error& err) {
  std::string_view s;
  if (!v.get_string(s, err)) return false;
  if (s.empty() || s.back() != 'C') {
    err.message = "expected a temperature like \"21.5C\"";
    return false;
  }
  out.degrees = std::stod(std::string(s.substr(0, s.size() - 1)));
  return true;
}
void runnel_json_write(std::string& out, const celsius& c) {
  json::write_string(out, std::to_string(static_cast<int>(c.degrees)) + "C");
}

// A field holding a JSON document as a string, parsed inside the outer
// parse: the nested parse must not disturb the thread's parser.
struct embedded {
  page_view inner;
};
bool runnel_json_read(json::value& v, embedded& out, json::read_error& err) {
  std::string_view s;
  if (!v.get_string(s, err)) return false;
  std::string why;
  auto inner = json::parse<page_view>(s, &why);
  if (!inner) {
    err.message = "embedded: " + why;
    return false;
  }
  out.inner = std::move(*inner);
  return true;
}
void runnel_json_write(std::string& out, const embedded& e) {
  json::write_string(out, json::to_string(e.inner));
}

struct reading {
  std::string sensor;
  celsius temperature;
  std::optional<embedded> last_view;
  int after = 0;
};
RUNNEL_JSON(reading, sensor, temperature, last_view, after)

struct text {
  std::string s;
};
RUNNEL_JSON(text, s)

// Parses `json` expecting failure; returns the reason.
template <class T>
std::string failure(std::string_view json) {
  std::string why;
  std::optional<T> v = json::parse<T>(json, &why);
  EXPECT_FALSE(v.has_value()) << json;
  EXPECT_FALSE(why.empty()) << json;
  return why;
}

}  // namespace

TEST(json, reads_and_writes_a_flat_struct) {
  auto pv = json::parse<page_view>(R"({"user":"a","page":"/x","ts":123,"referrer":null})");
  ASSERT_TRUE(pv);
  EXPECT_EQ(*pv, (page_view{"a", "/x", 123, std::nullopt}));
  EXPECT_EQ(json::to_string(*pv), R"({"user":"a","page":"/x","ts":123,"referrer":null})");

  page_view with_referrer{"b", "/y", -5, "https://example.com/?q=1"};
  EXPECT_EQ(json::to_string(with_referrer),
            R"({"user":"b","page":"/y","ts":-5,"referrer":"https://example.com/?q=1"})");
  EXPECT_EQ(json::parse<page_view>(json::to_string(with_referrer)), with_referrer);
}

TEST(json, fields_in_any_order_with_whitespace) {
  auto pv = json::parse<page_view>(
      " \n{ \"ts\" : 9 ,\t\"referrer\":\"r\", \"page\":\"p\",\"user\":\"u\"}\r\n");
  ASSERT_TRUE(pv);
  EXPECT_EQ(*pv, (page_view{"u", "p", 9, "r"}));
}

TEST(json, missing_fields_keep_their_defaults) {
  auto d = json::parse<defaults>(R"({"count":3})");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->name, "anonymous");
  EXPECT_EQ(d->count, 3);
  EXPECT_TRUE(d->flag);
  EXPECT_FALSE(d->maybe);

  auto empty = json::parse<defaults>("{}");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->count, 7);
}

TEST(json, null_or_missing_optional_is_nullopt) {
  auto missing = json::parse<page_view>(R"({"user":"a","page":"p","ts":1})");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->referrer);
  auto null = json::parse<defaults>(R"({"maybe":null})");
  ASSERT_TRUE(null);
  EXPECT_FALSE(null->maybe);
  auto present = json::parse<defaults>(R"({"maybe":4})");
  ASSERT_TRUE(present);
  EXPECT_EQ(present->maybe, 4);
}

TEST(json, null_for_a_non_optional_field_is_an_error) {
  EXPECT_EQ(failure<page_view>(R"({"user":null})"), "field 'user': expected a string, got null");
}

TEST(json, unknown_fields_are_ignored) {
  auto pv = json::parse<page_view>(
      R"({"extra":{"deep":[1,{"x":[true,null]}],"s":"}"},"user":"a","n":1.5e10,)"
      R"("page":"p","arr":[],"ts":2,"obj":{}})");
  ASSERT_TRUE(pv);
  EXPECT_EQ(*pv, (page_view{"a", "p", 2, std::nullopt}));
}

TEST(json, a_repeated_field_keeps_the_last_value) {
  auto pv = json::parse<page_view>(R"({"ts":1,"ts":2})");
  ASSERT_TRUE(pv);
  EXPECT_EQ(pv->ts, 2);
}

TEST(json, escaped_keys_match_field_names) {
  auto pv = json::parse<page_view>(R"({"us\u0065r":"x"})");
  ASSERT_TRUE(pv);
  EXPECT_EQ(pv->user, "x");
}

TEST(json, wrong_type_names_the_field) {
  EXPECT_EQ(failure<page_view>(R"({"user":"a","ts":"123"})"),
            "field 'ts': expected a signed 64-bit integer, got a string");
  EXPECT_EQ(failure<page_view>(R"({"user":5})"), "field 'user': expected a string, got a number");
  EXPECT_EQ(failure<defaults>(R"({"flag":"true"})"),
            "field 'flag': expected a boolean, got a string");
  EXPECT_EQ(failure<defaults>(R"({"flag":1})"), "field 'flag': expected a boolean, got a number");
  EXPECT_EQ(failure<page_view>(R"({"referrer":{}})"),
            "field 'referrer': expected a string, got an object");
  EXPECT_EQ(failure<order>(R"({"items":{}})"), "field 'items': expected an array, got an object");
  EXPECT_EQ(failure<order>(R"({"ship_to":[]})"),
            "field 'ship_to': expected an object, got an array");
}

TEST(json, the_root_must_fit_the_type) {
  EXPECT_EQ(failure<page_view>("[1]"), "expected an object, got an array");
  EXPECT_EQ(failure<page_view>("\"text\""), "expected an object, got a string");
  EXPECT_EQ(failure<page_view>("null"), "expected an object, got null");
}

TEST(json, integers_are_range_checked) {
  integers max{127, 32767, 2147483647,  std::numeric_limits<int64_t>::max(),
               255, 65535, 4294967295u, std::numeric_limits<uint64_t>::max()};
  std::string text = json::to_string(max);
  EXPECT_EQ(text, R"({"i8":127,"i16":32767,"i32":2147483647,"i64":9223372036854775807,"u8":255,)"
                  R"("u16":65535,"u32":4294967295,"u64":18446744073709551615})");
  EXPECT_EQ(json::parse<integers>(text), max);
  integers min{
      -128, -32768, std::numeric_limits<int32_t>::min(), std::numeric_limits<int64_t>::min(), 0, 0,
      0,    0};
  EXPECT_EQ(json::parse<integers>(json::to_string(min)), min);

  EXPECT_EQ(failure<integers>(R"({"i8":128})"),
            "field 'i8': 128 is out of range for a signed 8-bit integer");
  EXPECT_EQ(failure<integers>(R"({"i16":-32769})"),
            "field 'i16': -32769 is out of range for a signed 16-bit integer");
  EXPECT_EQ(failure<integers>(R"({"i32":3000000000})"),
            "field 'i32': 3000000000 is out of range for a signed 32-bit integer");
  EXPECT_EQ(failure<integers>(R"({"u8":256})"),
            "field 'u8': 256 is out of range for an unsigned 8-bit integer");
  EXPECT_EQ(failure<integers>(R"({"u32":4294967296})"),
            "field 'u32': 4294967296 is out of range for an unsigned 32-bit integer");
  EXPECT_NE(failure<integers>(R"({"i64":9223372036854775808})").find("field 'i64'"),
            std::string::npos);
  EXPECT_NE(failure<integers>(R"({"u64":18446744073709551616})").find("field 'u64'"),
            std::string::npos);
  EXPECT_EQ(failure<integers>(R"({"u16":-1})"),
            "field 'u16': expected an unsigned 64-bit integer, got a negative integer");
  EXPECT_EQ(failure<integers>(R"({"i32":1.5})"),
            "field 'i32': expected a signed 64-bit integer, got a number with a fraction or "
            "exponent");
}

TEST(json, doubles_round_trip_exactly) {
  std::mt19937_64 random(42);
  for (int i = 0; i < 2000; ++i) {
    double d = std::bit_cast<double>(random());
    if (!std::isfinite(d)) continue;
    floats in{d, static_cast<float>(i) / 7.0f};
    std::string text = json::to_string(in);
    auto out = json::parse<floats>(text);
    ASSERT_TRUE(out) << text;
    EXPECT_EQ(std::bit_cast<uint64_t>(out->d), std::bit_cast<uint64_t>(d)) << text;
    EXPECT_EQ(out->f, in.f) << text;
  }
  EXPECT_EQ(json::to_string(floats{0.1, 0.1f}), R"({"d":0.1,"f":0.1})");
  EXPECT_EQ(json::to_string(floats{1e300, -2.5f}), R"({"d":1e+300,"f":-2.5})");
  auto integral = json::parse<floats>(R"({"d":3,"f":-4})");
  ASSERT_TRUE(integral);
  EXPECT_EQ(integral->d, 3.0);
  EXPECT_EQ(integral->f, -4.0f);
}

TEST(json, non_finite_doubles_are_written_as_null) {
  EXPECT_EQ(json::to_string(floats{std::nan(""), std::numeric_limits<float>::infinity()}),
            R"({"d":null,"f":null})");
}

TEST(json, float_out_of_range_is_an_error) {
  EXPECT_NE(failure<floats>(R"({"f":1e300})").find("field 'f': "), std::string::npos);
}

TEST(json, nested_vectors_maps_and_optionals_round_trip) {
  order o;
  o.id = "o-1";
  o.ship_to = {"Paris", "75001"};
  o.items = {{"a", 1.25, 2}, {"b", 0, 1}};
  o.codes = {1, -2, 3};
  o.flags = {true, false, true};
  o.counts = {{"x", 1}, {"y", -1}};
  o.tags = {{"t", {"p", "q"}}, {"empty", {}}};
  o.sparse = std::vector<std::optional<int>>{1, std::nullopt, 3};
  o.by_name = {{"home", {"Oslo", std::nullopt}}};
  std::string text = json::to_string(o);
  EXPECT_EQ(text,
            R"({"id":"o-1","ship_to":{"city":"Paris","zip":"75001"},)"
            R"("items":[{"sku":"a","price":1.25,"quantity":2},{"sku":"b","price":0,"quantity":1}],)"
            R"("codes":[1,-2,3],"flags":[true,false,true],"counts":{"x":1,"y":-1},)"
            R"("tags":{"empty":[],"t":["p","q"]},"sparse":[1,null,3],)"
            R"("by_name":{"home":{"city":"Oslo","zip":null}}})");
  auto back = json::parse<order>(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, o);
}

TEST(json, errors_inside_containers_give_the_path) {
  EXPECT_EQ(failure<order>(R"({"items":[{"sku":"a","price":1},{"sku":"b","price":"free"}]})"),
            "field 'items[1].price': expected a number, got a string");
  EXPECT_EQ(failure<order>(R"({"counts":{"a":1,"b":true}})"),
            "field 'counts.b': expected a signed 64-bit integer, got a boolean");
  EXPECT_EQ(failure<order>(R"({"tags":{"t":["p",3]}})"),
            "field 'tags.t[1]': expected a string, got a number");
  EXPECT_EQ(failure<order>(R"({"ship_to":{"zip":1}})"),
            "field 'ship_to.zip': expected a string, got a number");
  EXPECT_EQ(failure<order>(R"({"flags":[true,0]})"),
            "field 'flags[1]': expected a boolean, got a number");
  EXPECT_EQ(failure<std::vector<std::vector<int>>>("[[1],[2,\"x\"]]"),
            "field '[1][1]': expected a signed 64-bit integer, got a string");
}

TEST(json, top_level_containers_and_scalars) {
  EXPECT_EQ(json::parse<std::vector<int>>("[1,2,3]"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(json::parse<int64_t>(" 42 "), 42);
  EXPECT_EQ(json::parse<std::string>(R"("hi")"), "hi");
  EXPECT_EQ((json::parse<std::map<std::string, bool>>(R"({"a":true})")),
            (std::map<std::string, bool>{{"a", true}}));
  EXPECT_EQ(json::to_string(std::vector<std::string>{"a", "b"}), R"(["a","b"])");
}

TEST(json, more_than_24_fields) {
  wide w;
  w.f01 = 1;
  w.f24 = 24;
  w.f30 = 30;
  std::string text = json::to_string(w);
  EXPECT_EQ(text.substr(0, 16), R"({"f01":1,"f02":0)");
  EXPECT_NE(text.find(R"("f30":30})"), std::string::npos);
  EXPECT_EQ(json::parse<wide>(text), w);
  EXPECT_EQ(json::type_name<wide>(), "wide");
}

TEST(json, strings_are_escaped) {
  EXPECT_EQ(json::to_string(text{"say \"hi\"\\ \n\t\r\b\f"}), R"({"s":"say \"hi\"\\ \n\t\r\b\f"})");
  EXPECT_EQ(json::to_string(text{std::string("\x01\x1f\x00 \x7f", 5)}),
            "{\"s\":\"\\u0001\\u001f\\u0000 \x7f\"}");
  // Non-ASCII UTF-8 passes through; '/' needs no escape.
  EXPECT_EQ(json::to_string(text{"é 日本 🎉 </a>"}), "{\"s\":\"é 日本 🎉 </a>\"}");
  // Invalid UTF-8 becomes U+FFFD, so the output is always valid JSON.
  EXPECT_EQ(json::to_string(text{"a\xff"
                                 "b\xc3"}),
            "{\"s\":\"a\xef\xbf\xbd"
            "b\xef\xbf\xbd\"}");
  EXPECT_EQ(json::to_string(text{"\xed\xa0\x80"}),  // a UTF-16 surrogate encoded in UTF-8
            "{\"s\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}");
  EXPECT_EQ(json::to_string(text{"\xc0\xaf"}),  // overlong '/'
            "{\"s\":\"\xef\xbf\xbd\xef\xbf\xbd\"}");
}

TEST(json, escaped_strings_round_trip) {
  std::string all;
  for (int c = 0; c < 128; ++c) all.push_back(static_cast<char>(c));
  all += "é日本🎉";
  auto back = json::parse<text>(json::to_string(text{all}));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->s, all);

  auto unescaped = json::parse<text>(R"({"s":"\u00e9\n\"\/\ud83c\udf89"})");
  ASSERT_TRUE(unescaped);
  EXPECT_EQ(unescaped->s, "é\n\"/🎉");
}

TEST(json, invalid_utf8_is_rejected) {
  std::string why = failure<text>("{\"s\":\"a\xff\"}");
  EXPECT_NE(why.find("invalid JSON"), std::string::npos) << why;
  failure<text>("{\"s\":\"\xc0\xaf\"}");
}

TEST(json, malformed_documents_fail_without_crashing) {
  for (std::string_view bad : {"",
                               " ",
                               "{",
                               "}",
                               "{\"user\"",
                               "{\"user\":",
                               "{\"user\":\"a\"",
                               "{\"user\":\"a\",}",
                               "{\"user\":\"a\" \"page\":\"b\"}",
                               "{user:\"a\"}",
                               "{\"ts\":12a}",
                               "{\"ts\":-}",
                               "{\"ts\":01}",
                               "{\"user\":\"\\x\"}",
                               "{\"user\":\"\\u12\"}",
                               "{\"a\":[1,2}",
                               "{} x",
                               "{}{}",
                               "nul",
                               "{\"referrer\":nul}",
                               "{\"user\":tru}",
                               "\"unterminated",
                               "{\"user\":\"a\"]",
                               "[}"}) {
    std::string why;
    EXPECT_FALSE(json::parse<page_view>(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  EXPECT_NE(failure<page_view>("{} x").find("invalid JSON"), std::string::npos);
}

// On-demand parsing skips the values of unknown fields without decoding
// them: their structure and UTF-8 are checked, a bad escape or number inside
// them is not. Documented in docs/stream/serdes.md.
TEST(json, unknown_fields_are_skipped_not_decoded) {
  EXPECT_TRUE(json::parse<page_view>(R"({"other":"\x","n":01,"user":"u"})"));
  failure<page_view>("{\"other\":\"\xff\",\"user\":\"u\"}");  // invalid UTF-8
  failure<page_view>(R"({"other":[1,2,"user":"u"})");         // unbalanced
}

TEST(json, every_truncation_of_a_document_fails) {
  order o;
  o.id = "o";
  o.items = {{"a", 1.5, 2}};
  o.counts = {{"x", 1}};
  o.sparse = std::vector<std::optional<int>>{std::nullopt};
  std::string text = json::to_string(o);
  for (size_t n = 0; n < text.size(); ++n) {
    std::string why;
    EXPECT_FALSE(json::parse<order>(std::string_view(text).substr(0, n), &why)) << n;
    EXPECT_FALSE(why.empty()) << n;
  }
  EXPECT_TRUE(json::parse<order>(text));
}

TEST(json, a_large_document_then_small_ones) {
  std::vector<std::string> many(40000, "some text to make the document big");
  std::string big = json::to_string(many);
  ASSERT_GT(big.size(), size_t{1} << 20);
  EXPECT_EQ(json::parse<std::vector<std::string>>(big), many);
  EXPECT_EQ(json::parse<page_view>(R"({"user":"a","ts":1})"), (page_view{"a", "", 1, {}}));
  EXPECT_FALSE(json::parse<std::vector<std::string>>(big.substr(0, big.size() - 1)));
}

TEST(json, parse_without_a_reason_pointer) {
  EXPECT_FALSE(json::parse<page_view>("{"));
  EXPECT_FALSE(json::parse<page_view>(R"({"ts":"x"})"));
}

TEST(json, custom_field_types) {
  auto r = json::parse<reading>(R"({"sensor":"s1","temperature":"21C","after":3})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->temperature.degrees, 21);
  EXPECT_EQ(r->after, 3);
  EXPECT_EQ(json::to_string(*r),
            R"({"sensor":"s1","temperature":"21C","last_view":null,"after":3})");
  EXPECT_EQ(failure<reading>(R"({"temperature":"21F"})"),
            "field 'temperature': expected a temperature like \"21.5C\"");
}

TEST(json, a_parse_inside_a_parse_leaves_the_outer_one_intact) {
  reading r;
  r.sensor = "s";
  r.last_view = embedded{page_view{"u", "/p", 5, "ref"}};
  r.after = 9;
  std::string text = json::to_string(r);
  auto back = json::parse<reading>(text);
  ASSERT_TRUE(back) << text;
  ASSERT_TRUE(back->last_view);
  EXPECT_EQ(back->last_view->inner, (page_view{"u", "/p", 5, "ref"}));
  EXPECT_EQ(back->after, 9);
  std::string why = failure<reading>(R"({"last_view":"{\"ts\":true}"})");
  EXPECT_EQ(why,
            "field 'last_view': embedded: field 'ts': expected a signed 64-bit integer, "
            "got a boolean");
}

TEST(json, threads_parse_independently) {
  std::vector<std::thread> threads;
  std::vector<int> good(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &good] {
      for (int i = 0; i < 2000; ++i) {
        page_view pv{"user-" + std::to_string(t), std::string(static_cast<size_t>(i % 300), 'p'), i,
                     std::nullopt};
        auto back = json::parse<page_view>(json::to_string(pv));
        if (back && *back == pv) ++good[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good, std::vector<int>(4, 2000));
}

// Not a speed assertion (the machine is shared): prints what a parse and a
// write of a typical ~200-byte event cost, for docs/stream/serdes.md.
TEST(json, measure_parse_and_write) {
  std::string text = json::to_string(order{"order-000123",
                                           {"Paris", "75001"},
                                           {{"sku-1", 19.99, 2}, {"sku-22", 5.5, 1}},
                                           {101, 202},
                                           {true},
                                           {{"clicks", 3}},
                                           {},
                                           std::nullopt,
                                           {}});
  constexpr int rounds = 100000;
  auto start = std::chrono::steady_clock::now();
  size_t sink = 0;
  for (int i = 0; i < rounds; ++i) {
    auto o = json::parse<order>(text);
    sink += o ? o->items.size() : 0;
  }
  auto parsed = std::chrono::steady_clock::now();
  std::string out;
  auto o = *json::parse<order>(text);
  auto write_start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i) {
    out.clear();
    json::write(out, o);
    sink += out.size();
  }
  auto written = std::chrono::steady_clock::now();
  using ns = std::chrono::duration<double, std::nano>;
  std::printf("json: %zu-byte event: %.0f ns/parse, %.0f ns/write (sink %zu)\n", text.size(),
              ns(parsed - start).count() / rounds, ns(written - write_start).count() / rounds,
              sink);
  EXPECT_EQ(sink, static_cast<size_t>(rounds) * (2 + text.size()));
}
