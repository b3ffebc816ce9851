// producer's transactions against the real broker: what a read_committed
// consumer sees of committed and aborted transactions, offsets that take
// effect only with their transaction, and fencing by a newer instance.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include "client_test_env.h"
#include "runnel/client/consumer.h"
#include "runnel/client/producer.h"

namespace runnel::test {
namespace {

using namespace std::chrono_literals;

client::producer transactional(const std::string& id) {
  client::producer_options o;
  o.client = config();
  o.transactional_id = id;
  o.transaction_timeout = 30s;
  auto p = client::producer::create(o);
  EXPECT_TRUE(p) << p.error().message;
  auto& producer = p.value();
  auto init = producer.init_transactions(60s);
  EXPECT_TRUE(init) << init.error().message;
  return std::move(p).value();
}

void send(client::producer& p, const std::string& topic, const std::string& value) {
  client::outgoing_message m;
  m.topic = topic;
  m.partition = runnel::partition_id{0};
  m.value = value;
  auto r = p.send(m);
  EXPECT_TRUE(r) << r.error().message;
}

// Every value of partition 0 a read_committed consumer gets, up to the end.
std::vector<std::string> read_committed(const std::string& topic) {
  client::consumer_options o;
  o.client = config();
  o.client.properties.push_back({"isolation.level", "read_committed"});
  o.report_partition_end = true;
  auto c = client::consumer::create(o);
  EXPECT_TRUE(c) << c.error().message;
  EXPECT_TRUE(
      c.value().assign({{topic, runnel::partition_id{0}, client::start_position::beginning()}}));
  std::vector<std::string> got;
  bool at_end = false;
  poll_until([&] {
    auto e = c.value().poll(200ms);
    EXPECT_TRUE(e) << e.error().message;
    if (!e) return false;
    if (auto* m = std::get_if<client::message>(&e.value())) got.push_back(m->value.value_or(""));
    if (std::holds_alternative<client::partition_end>(e.value())) at_end = true;
    return at_end;
  });
  EXPECT_TRUE(at_end);
  return got;
}

TEST(Transactions, ReadCommittedSeesCommittedTransactionsOnly) {
  const std::string topic = unique_topic("txn");
  create_topic(topic, 1);
  auto p = transactional(topic + "-producer");
  ASSERT_TRUE(p.begin_transaction());
  send(p, topic, "a");
  send(p, topic, "b");
  auto c1 = p.commit_transaction(60s);
  ASSERT_TRUE(c1) << c1.error().message;
  ASSERT_TRUE(p.begin_transaction());
  send(p, topic, "aborted");
  ASSERT_TRUE(p.flush(30s));
  auto a = p.abort_transaction(60s);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(p.begin_transaction());
  send(p, topic, "c");
  auto c2 = p.commit_transaction(60s);
  ASSERT_TRUE(c2) << c2.error().message;
  EXPECT_EQ(read_committed(topic), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Transactions, OffsetsSentToATransactionCommitWithItOnly) {
  const std::string topic = unique_topic("txn-in");
  create_topic(topic, 1);
  std::vector<client::outgoing_message> in;
  for (int i = 0; i < 10; ++i) in.push_back({topic, runnel::partition_id{0}, {}, "v"});
  produce(in);

  client::consumer_options o;
  o.client = config();
  o.group_id = topic + "-group";
  o.auto_commit = false;
  o.auto_offset_reset = "earliest";
  auto c = client::consumer::create(o);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(c.value().subscribe({topic}));
  // A member of the group once a message arrives.
  ASSERT_TRUE(poll_until([&] {
    auto e = c.value().poll(200ms);
    return e && std::holds_alternative<client::message>(e.value());
  }));
  const std::vector<client::topic_partition> tp = {{topic, runnel::partition_id{0}}};
  const std::vector<client::topic_partition_offset> at5 = {
      {topic, runnel::partition_id{0}, runnel::offset{5}}};
  auto committed = [&] {
    auto r = c.value().committed(tp, 30s);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r.value().at(0).offset() : -2;
  };

  auto p = transactional(topic + "-producer");
  ASSERT_TRUE(p.begin_transaction());
  {
    auto md = c.value().group_metadata();
    ASSERT_TRUE(md) << md.error().message;
    auto s = p.send_offsets_to_transaction(at5, md.value(), 60s);
    ASSERT_TRUE(s) << s.error().message;
  }
  ASSERT_TRUE(p.abort_transaction(60s));
  EXPECT_EQ(committed(), -1) << "offsets of an aborted transaction took effect";

  ASSERT_TRUE(p.begin_transaction());
  {
    auto md = c.value().group_metadata();
    ASSERT_TRUE(md) << md.error().message;
    auto s = p.send_offsets_to_transaction(at5, md.value(), 60s);
    ASSERT_TRUE(s) << s.error().message;
  }
  auto done = p.commit_transaction(60s);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(committed(), 5);
}

TEST(Transactions, ANewInstanceFencesTheOldOne) {
  const std::string topic = unique_topic("txn-fence");
  create_topic(topic, 1);
  auto old_one = transactional(topic + "-id");
  ASSERT_TRUE(old_one.begin_transaction());
  send(old_one, topic, "from the old one");
  ASSERT_TRUE(old_one.flush(30s));

  auto new_one = transactional(topic + "-id");  // aborts the old one's transaction
  ASSERT_TRUE(new_one.begin_transaction());
  send(new_one, topic, "from the new one");
  auto ok = new_one.commit_transaction(60s);
  ASSERT_TRUE(ok) << ok.error().message;

  auto fenced = old_one.commit_transaction(30s);
  ASSERT_FALSE(fenced);
  EXPECT_NE(fenced.error().message.find("fatal"), std::string::npos) << fenced.error().message;
  EXPECT_EQ(read_committed(topic), (std::vector<std::string>{"from the new one"}));
}

TEST(Transactions, GroupMetadataNeedsAGroup) {
  client::consumer_options o;
  o.client = config();
  auto c = client::consumer::create(o);
  ASSERT_TRUE(c) << c.error().message;
  auto md = c.value().group_metadata();
  ASSERT_FALSE(md);
  EXPECT_NE(md.error().message.find("no group"), std::string::npos) << md.error().message;
}

}  // namespace
}  // namespace runnel::test
