// Config definitions: Kafka's parsing rules and sentences; properties files.
#include <gtest/gtest.h>

#include "connect/api/config_def.h"

namespace runnel::connect {
namespace {

config_def sample() {
  config_def d;
  d.define(
      {.name = "file", .type = config_type::string, .default_value = config_default::required()});
  d.define({.name = "batch.size",
            .type = config_type::int_,
            .default_value = config_default::of("2000"),
            .validator = validators::at_least(1)});
  d.define({.name = "enabled",
            .type = config_type::boolean,
            .default_value = config_default::of("true")});
  d.define({.name = "topics", .type = config_type::list, .default_value = config_default::of("")});
  d.define({.name = "secret", .type = config_type::password});
  return d;
}

TEST(ConfigDef, ParsesAsKafkaDoes) {
  auto c = sample().parse({{"file", "/tmp/x"}, {"enabled", " FALSE "}, {"topics", "a, b ,c"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c.value().get_string("file"), "/tmp/x");
  EXPECT_EQ(c.value().get_int("batch.size"), 2000);
  EXPECT_FALSE(c.value().get_bool("enabled"));
  EXPECT_EQ(c.value().get_list("topics"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(c.value().has("secret"));
}

TEST(ConfigDef, ErrorsUseKafkasSentences) {
  auto c = sample().parse({{"batch.size", "zero"}});
  ASSERT_FALSE(c);
  EXPECT_NE(
      c.error().message.find("Missing required configuration \"file\" which has no default value."),
      std::string::npos);
  EXPECT_NE(c.error().message.find(
                "Invalid value zero for configuration batch.size: Not a number of type INT"),
            std::string::npos);
  auto v = sample().validate({{"file", "f"}, {"batch.size", "0"}, {"secret", "pw"}});
  ASSERT_EQ(v.size(), 5u);
  EXPECT_TRUE(v[0].errors.empty());
  ASSERT_EQ(v[1].errors.size(), 1u);
  EXPECT_EQ(v[1].errors[0],
            "Invalid value 0 for configuration batch.size: Value must be at least 1");
  EXPECT_EQ(v[4].value, "[hidden]");
}

TEST(Properties, JavaPropertiesSyntax) {
  auto p = parse_properties(
      "# comment\n! also\nname=local-file-source\nconnector.class : FileStreamSource\n"
      "tasks.max 1\nfile=/tmp/a\\\n  b.txt\nkey\\=with=eq\nunicode=caf\\u00e9\n  \nempty=\n");
  ASSERT_TRUE(p);
  auto& m = p.value();
  EXPECT_EQ(m.at("name"), "local-file-source");
  EXPECT_EQ(m.at("connector.class"), "FileStreamSource");
  EXPECT_EQ(m.at("tasks.max"), "1");
  EXPECT_EQ(m.at("file"), "/tmp/ab.txt");
  EXPECT_EQ(m.at("key=with"), "eq");
  EXPECT_EQ(m.at("unicode"), "caf\xc3\xa9");
  EXPECT_EQ(m.at("empty"), "");
  EXPECT_EQ(m.size(), 7u);
}

TEST(Properties, WithPrefix) {
  config_map m{{"a.x", "1"}, {"a.y", "2"}, {"ab", "3"}, {"b.x", "4"}};
  EXPECT_EQ(with_prefix(m, "a."), (config_map{{"x", "1"}, {"y", "2"}}));
}

}  // namespace
}  // namespace runnel::connect
