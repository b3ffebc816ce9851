// The setting tables DescribeConfigs and docs/configuration.md are made from
// agree with what broker_config and log_config accept: every setting listed
// takes its own default back, so the reference never lists a name `--set`
// would refuse.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "broker/broker_config.h"
#include "broker/config_catalog.h"
#include "storage/log_config.h"

namespace runnel::broker {
namespace {

// Set by `runnel serve`'s own names (listen, advertised.listener, data.dir)
// or fixed by being a single node.
const std::set<std::string> not_settable = {"listeners", "advertised.listeners", "log.dirs",
                                            "default.replication.factor"};

TEST(ConfigCatalog, EveryBrokerSettingAcceptsItsDefault) {
  const broker_config defaults;
  const auto settings = describe_broker(defaults, defaults.listen_port);
  ASSERT_FALSE(settings.empty());
  for (const auto& s : settings) {
    EXPECT_FALSE(s.doc.empty()) << s.name;
    EXPECT_NE(s.type, config_type::unknown) << s.name;
    EXPECT_TRUE(s.is_default) << s.name;
    if (not_settable.contains(s.name)) continue;
    broker_config c;
    EXPECT_TRUE(c.set(s.name, s.value)) << s.name << "=" << s.value;
  }
}

TEST(ConfigCatalog, EveryTopicSettingIsKnownAndAcceptsItsDefault) {
  const storage::log_config defaults;
  const auto values = defaults.describe();
  std::set<std::string> listed;
  for (const auto& t : all_topic_settings()) {
    listed.insert(std::string(t.name));
    EXPECT_TRUE(storage::log_config::known(t.name)) << t.name;
    ASSERT_TRUE(values.contains(std::string(t.name))) << t.name;
    storage::log_config c;
    EXPECT_TRUE(c.set(t.name, values.at(std::string(t.name)))) << t.name;
    // Its broker-level name sets the same default.
    broker_config b;
    EXPECT_TRUE(b.set(std::string(t.broker_name), values.at(std::string(t.name)))) << t.broker_name;
  }
  // And every topic setting log_config describes is in the table.
  for (const auto& [name, value] : values) EXPECT_TRUE(listed.contains(name)) << name;
}

TEST(ConfigCatalog, TypeNamesAreKafkas) {
  EXPECT_EQ(config_type_name(config_type::int64), "long");
  EXPECT_EQ(config_type_name(config_type::int32), "int");
  EXPECT_EQ(config_type_name(config_type::list), "list");
  EXPECT_EQ(config_type_name(config_type::boolean), "boolean");
}

}  // namespace
}  // namespace runnel::broker
