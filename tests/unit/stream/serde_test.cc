// serde.h: the built-in serdes' byte layouts (Kafka's Java serializers'),
// null handling, the JSON and nullable serdes, default_serde and a
// user-written serde.
#include "runnel/stream/serde.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace stream = runnel::stream;
namespace serdes = runnel::stream::serdes;

namespace {

struct page_view {
  std::string user;
  std::string page;
  int64_t ts = 0;
  std::optional<std::string> referrer;
  friend bool operator==(const page_view&, const page_view&) = default;
};
RUNNEL_JSON(page_view, user, page, ts, referrer)

// A user type with a hand-written serde: a point as "x,y".
struct point {
  int x = 0;
  int y = 0;
  friend bool operator==(const point&, const point&) = default;
};

stream::serde<point> point_serde() {
  stream::serde<point> s;
  s.name = "point";
  s.serialize = [](const point& p, std::string& out) {
    out += std::to_string(p.x) + "," + std::to_string(p.y);
  };
  s.deserialize = [](std::string_view bytes, std::string* why) -> std::optional<point> {
    auto comma = bytes.find(',');
    if (comma == std::string_view::npos) {
      if (why) *why = "no comma";
      return std::nullopt;
    }
    return point{std::stoi(std::string(bytes.substr(0, comma))),
                 std::stoi(std::string(bytes.substr(comma + 1)))};
  };
  return s;
}

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s.push_back(static_cast<char>(v));
  return s;
}

template <class T>
std::string encode(const stream::serde<T>& s, const T& v) {
  std::string out;
  s.serialize(v, out);
  return out;
}

}  // namespace

// A user gives their type a default serde by specializing default_serde.
template <>
struct runnel::stream::default_serde<point> {
  static serde<point> get() { return point_serde(); }
};

TEST(serde, string_is_the_bytes_as_they_are) {
  auto s = serdes::string();
  EXPECT_EQ(s.name, "string");
  EXPECT_EQ(encode(s, std::string("héllo")), "h\xc3\xa9llo");
  EXPECT_EQ(s.deserialize("h\xc3\xa9llo", nullptr), "héllo");
  EXPECT_EQ(s.deserialize("", nullptr), "");
  ASSERT_TRUE(s.from_null);
  EXPECT_EQ(s.from_null(), "");
}

TEST(serde, serialize_appends) {
  std::string out = "prefix:";
  serdes::string().serialize("v", out);
  serdes::int32().serialize(1, out);
  EXPECT_EQ(out, "prefix:v" + bytes({0, 0, 0, 1}));
}

TEST(serde, bytes_keep_embedded_nuls) {
  auto s = serdes::bytes();
  EXPECT_EQ(s.name, "bytes");
  std::string raw = bytes({0, 0xff, 0, 0x80});
  EXPECT_EQ(encode(s, raw), raw);
  EXPECT_EQ(s.deserialize(raw, nullptr), raw);
  EXPECT_EQ(s.from_null(), "");
}

TEST(serde, int64_is_eight_bytes_big_endian) {
  auto s = serdes::int64();
  EXPECT_EQ(s.name, "int64");
  EXPECT_EQ(encode<int64_t>(s, 1), bytes({0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(encode<int64_t>(s, -1), bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(encode<int64_t>(s, 0x0102030405060708),
            bytes({0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}));
  EXPECT_EQ(encode<int64_t>(s, std::numeric_limits<int64_t>::min()),
            bytes({0x80, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(s.deserialize(bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}), nullptr), -2);
  EXPECT_EQ(s.deserialize(bytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), nullptr),
            std::numeric_limits<int64_t>::max());
  for (int64_t v : {int64_t{0}, int64_t{1700000000000}, int64_t{-42}}) {
    EXPECT_EQ(s.deserialize(encode(s, v), nullptr), v);
  }
}

TEST(serde, int32_is_four_bytes_big_endian) {
  auto s = serdes::int32();
  EXPECT_EQ(s.name, "int32");
  EXPECT_EQ(encode<int32_t>(s, 256), bytes({0, 0, 1, 0}));
  EXPECT_EQ(encode<int32_t>(s, -2), bytes({0xff, 0xff, 0xff, 0xfe}));
  EXPECT_EQ(encode<int32_t>(s, std::numeric_limits<int32_t>::min()), bytes({0x80, 0, 0, 0}));
  EXPECT_EQ(s.deserialize(bytes({0x12, 0x34, 0x56, 0x78}), nullptr), 0x12345678);
}

TEST(serde, float64_is_ieee754_big_endian) {
  auto s = serdes::float64();
  EXPECT_EQ(s.name, "float64");
  EXPECT_EQ(encode(s, 1.0), bytes({0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode(s, -2.5), bytes({0xc0, 0x04, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode(s, 0.1), bytes({0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a}));
  EXPECT_EQ(s.deserialize(bytes({0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}), nullptr),
            3.141592653589793);
  auto nan = s.deserialize(encode(s, std::nan("")), nullptr);
  ASSERT_TRUE(nan);
  EXPECT_TRUE(std::isnan(*nan));
}

TEST(serde, fixed_size_numbers_refuse_other_sizes) {
  std::string why;
  EXPECT_FALSE(serdes::int64().deserialize(bytes({0, 0, 1}), &why));
  EXPECT_EQ(why, "int64: expected 8 bytes, got 3");
  EXPECT_FALSE(serdes::int32().deserialize(bytes({0, 0, 0, 0, 1}), &why));
  EXPECT_EQ(why, "int32: expected 4 bytes, got 5");
  EXPECT_FALSE(serdes::float64().deserialize("", &why));
  EXPECT_EQ(why, "float64: expected 8 bytes, got 0");
  EXPECT_FALSE(serdes::int64().deserialize("", nullptr));
}

TEST(serde, numbers_and_json_refuse_null) {
  EXPECT_FALSE(serdes::int64().from_null);
  EXPECT_FALSE(serdes::int32().from_null);
  EXPECT_FALSE(serdes::float64().from_null);
  EXPECT_FALSE(serdes::json<page_view>().from_null);
}

TEST(serde, json_serde_round_trips_a_struct) {
  auto s = serdes::json<page_view>();
  EXPECT_EQ(s.name, "json<page_view>");
  page_view pv{"a", "/x", 123, std::nullopt};
  EXPECT_EQ(encode(s, pv), R"({"user":"a","page":"/x","ts":123,"referrer":null})");
  EXPECT_EQ(s.deserialize(encode(s, pv), nullptr), pv);
  std::string why;
  EXPECT_FALSE(s.deserialize(R"({"user":"a","ts":"x"})", &why));
  EXPECT_EQ(why, "field 'ts': expected a signed 64-bit integer, got a string");
  EXPECT_FALSE(s.deserialize(R"({"user":)", &why));
  EXPECT_NE(why.find("invalid JSON"), std::string::npos) << why;
}

TEST(serde, nullable_maps_kafka_null_to_nullopt) {
  auto s = serdes::nullable(serdes::int64());
  EXPECT_EQ(s.name, "nullable<int64>");
  ASSERT_TRUE(s.from_null);
  auto null = s.from_null();
  ASSERT_TRUE(null);                // a valid value...
  EXPECT_FALSE(null->has_value());  // ...that is nullopt
  ASSERT_TRUE(s.is_null);
  EXPECT_TRUE(s.is_null(std::nullopt));
  EXPECT_FALSE(s.is_null(int64_t{0}));
  EXPECT_EQ(encode<std::optional<int64_t>>(s, int64_t{2}), bytes({0, 0, 0, 0, 0, 0, 0, 2}));
  EXPECT_EQ(encode<std::optional<int64_t>>(s, std::nullopt), "");
  auto two = s.deserialize(bytes({0, 0, 0, 0, 0, 0, 0, 2}), nullptr);
  ASSERT_TRUE(two);
  EXPECT_EQ(*two, int64_t{2});
  std::string why;
  EXPECT_FALSE(s.deserialize("x", &why));
  EXPECT_EQ(why, "int64: expected 8 bytes, got 1");
}

TEST(serde, other_serdes_leave_is_null_unset) {
  EXPECT_FALSE(serdes::string().is_null);
  EXPECT_FALSE(serdes::json<page_view>().is_null);
}

TEST(serde, of_picks_the_natural_serde) {
  EXPECT_EQ(serdes::of<std::string>().name, "string");
  EXPECT_EQ(serdes::of<int64_t>().name, "int64");
  EXPECT_EQ(serdes::of<int32_t>().name, "int32");
  EXPECT_EQ(serdes::of<double>().name, "float64");
  EXPECT_EQ(serdes::of<page_view>().name, "json<page_view>");
  EXPECT_EQ(serdes::of<std::optional<page_view>>().name, "nullable<json<page_view>>");
  EXPECT_EQ(serdes::of<point>().name, "point");
  static_assert(stream::has_default_serde<page_view>);
  static_assert(!stream::has_default_serde<float>);
  static_assert(!stream::has_default_serde<std::vector<int>>);
}

TEST(serde, a_user_written_serde) {
  auto s = serdes::of<point>();
  EXPECT_EQ(encode(s, point{3, -4}), "3,-4");
  EXPECT_EQ(s.deserialize("3,-4", nullptr), (point{3, -4}));
  std::string why;
  EXPECT_FALSE(s.deserialize("34", &why));
  EXPECT_EQ(why, "no comma");
  EXPECT_FALSE(s.from_null);
  auto copy = s;  // serdes are values: a copy works on its own
  s = {};
  EXPECT_EQ(copy.deserialize("1,2", nullptr), (point{1, 2}));
}
