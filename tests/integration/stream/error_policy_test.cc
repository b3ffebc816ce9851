// The error policy against a real broker: a value that is not valid JSON
// stops the app under error_policy::fail, naming the record; under
// log_and_skip it goes to the dead-letter topic with the reason in a header
// and processing goes on.
#include <gtest/gtest.h>

#include "broker_fixture.h"

namespace runnel::stream::it {

struct reading {
  std::string sensor;
  int64_t value = 0;
};
RUNNEL_JSON(reading, sensor, value)

namespace {

class error_policy_test : public broker_fixture {};

topology sensors(const std::string& in, const std::string& out) {
  builder b;
  b.stream<std::string, reading>(in)
      .map_values([](const reading& r) { return r.sensor + "=" + std::to_string(r.value); })
      .to(out);
  return b.build();
}

std::vector<input> with_bad_third(const std::string& in) {
  const int64_t t0 = base_time();
  return {{in, "k", R"({"sensor":"s1","value":1})", t0, 0},
          {in, "k", R"({"sensor":"s2","value":2})", t0 + 1, 0},
          {in, "k", "{not json", t0 + 2, 0},
          {in, "k", R"({"sensor":"s4","value":4})", t0 + 3, 0}};
}

TEST_F(error_policy_test, fail_stops_the_app_and_names_the_record) {
  std::string in = unique("in"), out = unique("out"), id = unique("app");
  create_topic(in);
  create_topic(out);
  produce(with_bad_third(in));
  auto c = config(id);
  c.on_error = error_policy::fail;
  running_app app(sensors(in, out), c);
  auto r = app.wait_exit(std::chrono::seconds(60));
  ASSERT_TRUE(r) << "run() did not stop on the bad record";
  ASSERT_FALSE(*r);
  EXPECT_NE(r->error().message.find(in + "-0@2"), std::string::npos) << r->error().message;
  EXPECT_EQ(app.get().state(), app_state::failed);
  // Nothing at or after the bad record was committed.
  auto committed = admin().committed_offsets(id, in);
  ASSERT_TRUE(committed);
  for (const auto& o : committed.value()) EXPECT_LE(o.offset(), 2);
}

TEST_F(error_policy_test, log_and_skip_sends_the_record_to_the_dead_letter_topic) {
  std::string in = unique("in"), out = unique("out"), dlt = unique("dlt"), id = unique("app");
  for (const auto& t : {in, out, dlt}) create_topic(t);
  auto c = config(id);
  c.on_error = error_policy::log_and_skip;
  c.dead_letter_topic = dlt;
  running_app app(sensors(in, out), c);
  produce(with_bad_third(in));
  wait_caught_up(id, {in});
  std::vector<std::string> values;
  for (const auto& o : read_all(out)) values.push_back(o.value.value_or(""));
  EXPECT_EQ(values, (std::vector<std::string>{"s1=1", "s2=2", "s4=4"}));
  auto dead = read_all(dlt);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].value, std::optional<std::string>("{not json"));
  EXPECT_EQ(dead[0].key, std::optional<std::string>("k"));
  std::map<std::string, std::string> headers;
  for (const auto& h : dead[0].headers) headers[h.key] = h.value.value_or("");
  EXPECT_FALSE(headers["runnel.error"].empty());
  EXPECT_EQ(headers["runnel.source.topic"], in);
  EXPECT_EQ(headers["runnel.source.offset"], "2");
  ASSERT_TRUE(app.stop());
}

}  // namespace
}  // namespace runnel::stream::it
