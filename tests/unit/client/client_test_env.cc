#include "client_test_env.h"

#include <atomic>
#include <memory>

#include "broker_process.h"
#include "runnel/client/admin.h"

namespace runnel::test {

namespace {

broker_process* the_broker = nullptr;

class broker_environment : public ::testing::Environment {
 public:
  void SetUp() override {
    broker_ = std::make_unique<broker_process>();
    // No initial rebalance delay: a group forms as soon as its first member
    // joins, so the rebalance tests wait for the protocol, not a timer.
    const std::string err = broker_->start(
        RUNNEL_BINARY,
        {{"group.initial.rebalance.delay.ms", "0"}, {"auto.create.topics.enable", "false"}});
    ASSERT_EQ(err, "");
    the_broker = broker_.get();
  }
  void TearDown() override {
    the_broker = nullptr;
    broker_.reset();
  }

 private:
  std::unique_ptr<broker_process> broker_;
};

// Registered before main runs (gtest_main), so every test has the broker.
[[maybe_unused]] auto* const registered =
    ::testing::AddGlobalTestEnvironment(new broker_environment);

}  // namespace

const std::string& bootstrap() {
  static const std::string none;
  return the_broker ? the_broker->bootstrap() : none;
}

client::client_config config() {
  client::client_config c;
  c.brokers = bootstrap();
  c.client_id = "client-test";
  return c;
}

void suspend_broker() {
  if (the_broker) the_broker->suspend();
}

void resume_broker() {
  if (the_broker) the_broker->resume();
}

std::string unique_topic(const std::string& prefix) {
  static std::atomic<int> n{0};
  return prefix + "-" + std::to_string(n++);
}

void create_topic(const std::string& name, int32_t partitions) {
  client::admin_options o;
  o.client = config();
  auto a = client::admin::create(o);
  ASSERT_TRUE(a) << a.error().message;
  auto r = a.value().create_topic({name, partitions, 1, {}});
  ASSERT_TRUE(r) << r.error().message;
}

void produce(const std::vector<client::outgoing_message>& messages) {
  client::producer_options o;
  o.client = config();
  size_t delivered = 0;
  std::string failure;
  o.on_delivery = [&](const client::delivery_report& r) {
    if (r.error && failure.empty()) failure = r.error->message;
    ++delivered;
  };
  auto p = client::producer::create(o);
  ASSERT_TRUE(p) << p.error().message;
  for (const auto& m : messages) {
    auto r = p.value().send(m);
    ASSERT_TRUE(r) << r.error().message;
  }
  auto f = p.value().flush(std::chrono::seconds(30));
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(failure, "");
  ASSERT_EQ(delivered, messages.size());
}

}  // namespace runnel::test
