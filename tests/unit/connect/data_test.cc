// The data model: base64, decimals, value validation against schemas.
#include <gtest/gtest.h>

#include "connect/api/data.h"
#include "connect/convert/json_data.h"

namespace runnel::connect {
namespace {

TEST(Base64, RoundTripsEveryLength) {
  std::string s;
  for (int i = 0; i < 40; ++i) {
    auto enc = base64_encode(s);
    auto dec = base64_decode(enc);
    ASSERT_TRUE(dec) << enc;
    EXPECT_EQ(*dec, s);
    s += char(i * 37);
  }
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_FALSE(base64_decode("a$b="));
}

TEST(Decimal, TextAndUnscaledBytesAgree) {
  // BigDecimal("12.345").unscaledValue().toByteArray() = 0x30 0x39.
  auto b = decimal_from_string("12.345", 3);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, std::string("\x30\x39", 2));
  EXPECT_EQ(decimal_to_string(*b, 3), "12.345");
  auto neg = decimal_from_string("-1.5", 2);
  ASSERT_TRUE(neg);
  EXPECT_EQ(*neg, std::string("\xff\x6a", 2));  // -150
  EXPECT_EQ(decimal_to_string(*neg, 2), "-1.50");
  EXPECT_EQ(decimal_to_string(std::string("\x00", 1), 2), "0.00");
  EXPECT_FALSE(decimal_from_string("1.234", 2));  // would lose a digit
}

TEST(Validate, RequiredFieldsAndTypes) {
  auto s = struct_builder("person")
               .field("name", schemas::string())
               .field("age", schemas::of(schema_type::int32, true))
               .build();
  EXPECT_TRUE(validate_value(s, data{{"name", "ann"}, {"age", 3}}));
  EXPECT_TRUE(validate_value(s, data{{"name", "ann"}}));
  auto missing = validate_value(s, data{{"age", 3}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, errc::data);
  EXPECT_NE(missing.error().message.find("name"), std::string::npos);
  EXPECT_FALSE(validate_value(s, data{{"name", 5}}));
}

}  // namespace
}  // namespace runnel::connect
