#include "sql/catalog/table_log.h"

#include <chrono>
#include <optional>

#include "runnel/client/admin.h"
#include "runnel/client/consumer.h"
#include "sql/catalog/fenced_writer.h"

namespace runnel::sql {

namespace {

constexpr std::chrono::seconds cluster_wait{30};

sql_error log_error(const std::string& topic, const std::string& why) {
  return make_error(errc::io_error, -1, "table log topic \"{}\": {}", topic, why);
}

}  // namespace

struct table_log::impl {
  client::client_config cluster;
  std::string topic;
  bool keyed = false;
  std::unique_ptr<fenced_writer> writer;
};

result<std::unique_ptr<table_log>> table_log::open(const client::client_config& cluster,
                                                   const std::string& topic, bool keyed) {
  client::admin_options ao;
  ao.client = cluster;
  ao.timeout = cluster_wait;
  auto admin = client::admin::create(ao);
  if (!admin) return log_error(topic, admin.error().message);
  if (!admin.value().describe_topic(topic)) {
    client::new_topic t;
    t.name = topic;
    t.partitions = 1;
    // Keyed: the latest record of each key is the row, and compaction
    // keeps it (and a tombstone until the log cleaner's delete.retention).
    // Unkeyed: the rows are the sum of every change, none may expire.
    if (keyed)
      t.configs = {{"cleanup.policy", "compact"}};
    else
      t.configs = {{"cleanup.policy", "delete"}, {"retention.ms", "-1"}, {"retention.bytes", "-1"}};
    if (auto r = admin.value().create_topic(t); !r && !admin.value().describe_topic(topic))
      return log_error(topic, r.error().message);
  }
  // The layout is the topic's: one made by an older runnel (or by another
  // process racing this one) decides.
  client::config_resource res;
  res.name = topic;
  auto configs = admin.value().describe_configs(res);
  if (!configs) return log_error(topic, configs.error().message);
  bool compacted = false;
  for (const auto& c : configs.value())
    if (c.name == "cleanup.policy" && c.value && c.value->find("compact") != std::string::npos)
      compacted = true;
  auto p = std::make_unique<impl>();
  p->cluster = cluster;
  p->topic = topic;
  p->keyed = compacted;
  // The table's writer: fences whichever process wrote it before (its
  // open transaction aborted) before read_all() reads what is committed.
  BOOST_OUTCOME_TRY(p->writer, fenced_writer::start(cluster, transactional_id(topic),
                                                    fmt::format("table log topic \"{}\"", topic)));
  return std::unique_ptr<table_log>(new table_log(std::move(p)));
}

table_log::table_log(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
table_log::~table_log() = default;

std::string table_log::transactional_id(const std::string& topic) {
  return "runnel-sql:" + topic;
}

bool table_log::fenced() const {
  return impl_->writer->fenced();
}

bool table_log::keyed() const {
  return impl_->keyed;
}

result<void> table_log::remove(const client::client_config& cluster, const std::string& topic) {
  client::admin_options ao;
  ao.client = cluster;
  ao.timeout = cluster_wait;
  auto admin = client::admin::create(ao);
  if (!admin) return log_error(topic, admin.error().message);
  if (!admin.value().describe_topic(topic)) return outcome::success();
  if (auto r = admin.value().delete_topic(topic); !r && admin.value().describe_topic(topic))
    return log_error(topic, r.error().message);
  return outcome::success();
}

result<std::vector<table_log::record>> table_log::read_all() {
  client::consumer_options co;
  co.client = impl_->cluster;
  // Committed writes only: a transaction of an owner that was fenced (or
  // failed) never counts.
  co.client.properties.emplace_back("isolation.level", "read_committed");
  co.auto_commit = false;
  co.auto_offset_reset = "earliest";
  co.report_partition_end = true;
  auto consumer = client::consumer::create(co);
  if (!consumer) return log_error(impl_->topic, consumer.error().message);
  if (auto r = consumer.value().assign(
          {{impl_->topic, runnel::partition_id{0}, client::start_position::beginning()}});
      !r)
    return log_error(impl_->topic, r.error().message);
  std::vector<record> out;
  auto deadline = std::chrono::steady_clock::now() + cluster_wait;
  while (true) {
    if (std::chrono::steady_clock::now() > deadline)
      return log_error(impl_->topic, "not read to its end in time");
    auto ev = consumer.value().poll(std::chrono::milliseconds(200));
    if (!ev) {
      if (client::is_transient(ev.error())) continue;
      return log_error(impl_->topic, ev.error().message);
    }
    if (std::holds_alternative<client::partition_end>(ev.value())) return out;
    auto* m = std::get_if<client::message>(&ev.value());
    if (m && (m->value || m->key)) out.push_back(record{m->key, m->value});
  }
}

result<void> table_log::append(const std::vector<record>& records) {
  std::vector<fenced_writer::record> out;
  out.reserve(records.size());
  for (const auto& c : records) out.push_back({c.key, c.value});
  return impl_->writer->write(impl_->topic, out);
}

}  // namespace runnel::sql
