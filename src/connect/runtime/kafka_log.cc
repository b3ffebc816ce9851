#include "connect/runtime/kafka_log.h"

#include <fmt/format.h>

#include "connect/runtime/kafka_topics.h"
#include "connect/runtime/state.h"

namespace runnel::connect {

result<std::unique_ptr<kafka_log>> kafka_log::open(options o) {
  std::unique_ptr<kafka_log> log(new kafka_log());
  log->opts_ = std::move(o);
  auto admin = client::admin::create({log->opts_.client, std::chrono::milliseconds(30000)});
  if (!admin) return from_client(admin.error(), "connect: admin client");
  log->admin_.emplace(std::move(admin).value());
  CONNECT_TRY(ensure_topic(*log->admin_, log->opts_.topic, log->opts_.partitions,
                           log->opts_.replication_factor, {{"cleanup.policy", "compact"}}));
  auto info = log->admin_->describe_topic(log->opts_.topic);
  if (!info) return from_client(info.error(), "connect: topic " + log->opts_.topic);
  log->partitions_ = int32_t(info.value().partitions.size());
  if (log->partitions_ == 0)
    return make_error(errc::fatal, "connect: topic " + log->opts_.topic + " has no partitions");

  client::consumer_options co;
  co.client = log->opts_.client;
  co.auto_commit = false;
  co.auto_offset_reset = "earliest";
  co.report_partition_end = true;
  // Exactly-once source tasks write offset records in their transactions:
  // what an aborted one wrote must never be read back, whatever the
  // worker's consumer.* settings say (librdkafka's default is the same).
  co.client.properties.emplace_back("isolation.level", "read_committed");
  auto consumer = client::consumer::create(co);
  if (!consumer) return from_client(consumer.error(), "connect: consumer");
  log->consumer_.emplace(std::move(consumer).value());
  std::vector<client::partition_assignment> all;
  for (int32_t p = 0; p < log->partitions_; ++p)
    all.push_back({log->opts_.topic, partition_id_t{p}, client::start_position::beginning()});
  if (auto r = log->consumer_->assign(all); !r) return from_client(r.error(), "connect: assign");
  log->position_.assign(size_t(log->partitions_), 0);

  client::producer_options po;
  po.client = log->opts_.client;
  po.client.properties.emplace_back("partitioner", "murmur2_random");
  po.acks = "all";
  po.idempotent = true;
  po.linger = std::chrono::milliseconds(0);
  auto* raw = log.get();
  po.on_delivery = [raw](const client::delivery_report& r) {
    if (raw->pending_ > 0) --raw->pending_;
    if (r.error && !raw->write_error_) raw->write_error_ = r.error;
  };
  auto producer = client::producer::create(po);
  if (!producer) return from_client(producer.error(), "connect: producer");
  log->producer_.emplace(std::move(producer).value());
  return log;
}

kafka_log::~kafka_log() = default;

result<void> kafka_log::read_to_end(std::chrono::milliseconds timeout) {
  std::lock_guard lock(read_mu_);
  auto ends = admin_->offsets(opts_.topic);
  if (!ends) return from_client(ends.error(), "connect: end offsets of " + opts_.topic);
  std::vector<int64_t> target(position_.size(), 0);
  for (const auto& p : ends.value()) {
    const auto i = size_t(p.partition());
    if (i < target.size()) {
      target[i] = p.end();
      // Compaction or retention removed what lies before the start.
      if (position_[i] < p.start()) position_[i] = p.start();
    }
  }
  auto done = [&] {
    for (size_t i = 0; i < target.size(); ++i)
      if (position_[i] < target[i]) return false;
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(errc::timeout,
                        fmt::format("connect: timed out reading {} to its end", opts_.topic));
    auto n = consumer_->poll_batch(
        std::chrono::milliseconds(200), 10000,
        [&](const client::message_view& m) {
          const auto i = size_t(m.partition());
          if (i < position_.size()) position_[i] = m.offset() + 1;
          opts_.on_record(m.key.value_or(std::string_view()), m.value, int32_t(m.partition()),
                          m.offset());
        },
        [&](const client::partition_end& e) {
          const auto i = size_t(e.partition());
          if (i < position_.size() && position_[i] < e.offset()) position_[i] = e.offset();
        });
    if (!n && !client::is_transient(n.error()))
      return from_client(n.error(), "connect: reading " + opts_.topic);
  }
  return ok();
}

result<void> kafka_log::write(const std::vector<entry>& records,
                              std::chrono::milliseconds timeout) {
  std::lock_guard lock(write_mu_);
  write_error_.reset();
  for (const auto& r : records) {
    client::outgoing_message m;
    m.topic = opts_.topic;
    m.key = r.key;
    m.value = r.value;
    ++pending_;
    if (auto s = producer_->send(m); !s) {
      --pending_;
      return from_client(s.error(), "connect: writing " + opts_.topic);
    }
  }
  if (auto f = producer_->flush(timeout); !f)
    return from_client(f.error(), "connect: writing " + opts_.topic);
  if (write_error_) return from_client(*write_error_, "connect: writing " + opts_.topic);
  return ok();
}

}  // namespace runnel::connect
