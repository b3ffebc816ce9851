#include "sql/engine/sink_epochs.h"

#include <variant>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "runnel/client/admin.h"
#include "runnel/client/consumer.h"
#include "runnel/client/producer.h"
#include "sql/catalog/fenced_writer.h"

namespace runnel::sql {

namespace {

using json = nlohmann::json;

// The marker's format (docs/format/sql-state.md): a version to refuse what
// a later runnel may write.
constexpr int marker_version = 1;
constexpr std::chrono::seconds cluster_wait{30};

sql_error marker_error(const std::string& topic, const std::string& why) {
  return make_error(errc::io_error, -1, "exactly-once sinks: topic \"{}\": {}", topic, why);
}

}  // namespace

std::string encode_epoch_marker(const epoch_marker& m) {
  json sources = json::array();
  for (const auto& [id, offsets] : m.sources) {
    json o = json::array();
    for (const auto& [p, off] : offsets) o.push_back({p, off});
    sources.push_back({{"id", id}, {"offsets", o}});
  }
  return json{{"version", marker_version}, {"epoch", m.epoch}, {"sources", sources}}.dump();
}

std::optional<epoch_marker> decode_epoch_marker(std::string_view value) {
  auto v = json::parse(value, nullptr, false);
  if (v.is_discarded() || !v.is_object() || v.value("version", 0) != marker_version ||
      !v.contains("epoch") || !v["epoch"].is_number_unsigned() || !v.contains("sources") ||
      !v["sources"].is_array())
    return std::nullopt;
  epoch_marker m;
  m.epoch = v["epoch"].get<uint64_t>();
  for (const auto& s : v["sources"]) {
    if (!s.is_object() || !s.contains("id") || !s["id"].is_number_unsigned() ||
        !s.contains("offsets") || !s["offsets"].is_array())
      return std::nullopt;
    auto& offsets = m.sources[s["id"].get<uint64_t>()];
    for (const auto& p : s["offsets"]) {
      if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() || !p[1].is_number_integer())
        return std::nullopt;
      offsets[p[0].get<int32_t>()] = p[1].get<int64_t>();
    }
  }
  return m;
}

struct sink_epochs::impl {
  std::string topic;
  std::string key;  // the transactional id: one marker per catalog
  std::unique_ptr<client::producer> producer;
};

std::string sink_epochs::marker_topic(const std::string& catalog_topic) {
  return catalog_topic + "_sink_epochs";
}

std::string sink_epochs::transactional_id(const std::string& catalog_topic) {
  return "runnel-sql:" + catalog_topic;
}

result<bool> sink_epochs::used_before(const client::client_config& cluster,
                                      const std::string& catalog_topic) {
  std::string topic = marker_topic(catalog_topic);
  client::admin_options ao;
  ao.client = cluster;
  ao.timeout = cluster_wait;
  auto admin = client::admin::create(ao);
  if (!admin) return marker_error(topic, admin.error().message);
  return static_cast<bool>(admin.value().describe_topic(topic));
}

result<std::optional<epoch_marker>> sink_epochs::read(const client::client_config& cluster,
                                                      const std::string& catalog_topic) {
  std::string topic = marker_topic(catalog_topic);
  std::string key = transactional_id(catalog_topic);
  client::consumer_options co;
  co.client = cluster;
  // Only committed transactions: a marker written by a transaction that
  // never committed says nothing.
  co.client.properties.emplace_back("isolation.level", "read_committed");
  co.auto_commit = false;
  co.auto_offset_reset = "earliest";
  co.report_partition_end = true;
  auto consumer = client::consumer::create(co);
  if (!consumer) return marker_error(topic, consumer.error().message);
  if (auto r = consumer.value().assign(
          {{topic, runnel::partition_id{0}, client::start_position::beginning()}});
      !r)
    return marker_error(topic, r.error().message);
  std::optional<epoch_marker> last;
  auto deadline = std::chrono::steady_clock::now() + cluster_wait;
  for (bool at_end = false; !at_end;) {
    if (std::chrono::steady_clock::now() > deadline)
      return marker_error(topic, "not read to its end in time");
    auto ev = consumer.value().poll(std::chrono::milliseconds(200));
    if (!ev) {
      if (client::is_transient(ev.error())) continue;
      return marker_error(topic, ev.error().message);
    }
    if (std::holds_alternative<client::partition_end>(ev.value())) at_end = true;
    auto* m = std::get_if<client::message>(&ev.value());
    if (!m || !m->key || *m->key != key) continue;
    if (!m->value) {
      last.reset();
      continue;
    }
    auto d = decode_epoch_marker(*m->value);
    if (!d)
      return marker_error(topic, fmt::format("the marker at offset {} is not one this version of "
                                             "runnel can read",
                                             m->offset()));
    last = std::move(*d);
  }
  return last;
}

result<std::unique_ptr<sink_epochs>> sink_epochs::start(const client::client_config& cluster,
                                                        const std::string& catalog_topic) {
  auto p = std::make_unique<impl>();
  p->topic = marker_topic(catalog_topic);
  p->key = transactional_id(catalog_topic);
  client::admin_options ao;
  ao.client = cluster;
  ao.timeout = cluster_wait;
  auto admin = client::admin::create(ao);
  if (!admin) return marker_error(p->topic, admin.error().message);
  if (!admin.value().describe_topic(p->topic)) {
    client::new_topic t;
    t.name = p->topic;
    t.partitions = 1;
    t.configs = {{"cleanup.policy", "compact"}};
    if (auto r = admin.value().create_topic(t); !r && !admin.value().describe_topic(p->topic))
      return marker_error(p->topic, r.error().message);
  }
  // A failed record fails the transaction's commit, which says so; the
  // first reason is worth a line.
  auto producer = start_transactional(cluster, p->key, [](const client::delivery_report& r) {
    if (r.error)
      spdlog::error("exactly-once sinks: a record to {} was not delivered: {}", r.topic,
                    r.error->message);
  });
  if (!producer)
    return make_error(errc::connection_failure, -1,
                      "exactly-once sinks need a cluster with transactions, and "
                      "init_transactions for \"{}\" failed: {}",
                      p->key, producer.error().message);
  p->producer = std::move(producer.value());
  if (auto r = p->producer->begin_transaction(); !r)
    return marker_error(p->topic, r.error().message);
  return std::unique_ptr<sink_epochs>(new sink_epochs(std::move(p)));
}

sink_epochs::sink_epochs(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

sink_epochs::~sink_epochs() = default;

client::producer* sink_epochs::producer() {
  return impl_->producer.get();
}

result<void> sink_epochs::commit(const epoch_marker& m) {
  auto& pr = *impl_->producer;
  client::outgoing_message rec;
  rec.topic = impl_->topic;
  rec.partition = runnel::partition_id{0};
  rec.key = impl_->key;
  rec.value = encode_epoch_marker(m);
  auto fail = [&](const std::string& why) -> sql_error {
    if (auto a = pr.abort_transaction(cluster_wait); !a)
      spdlog::error("exactly-once sinks: abort of epoch {} failed too: {}", m.epoch,
                    a.error().message);
    return make_error(errc::io_error, -1,
                      "exactly-once sinks: the transaction of epoch {} failed: {}", m.epoch, why);
  };
  if (auto r = pr.send(rec); !r) return fail(r.error().message);
  if (auto r = pr.commit_transaction(cluster_wait); !r) return fail(r.error().message);
  if (auto r = pr.begin_transaction(); !r)
    return make_error(errc::io_error, -1, "exactly-once sinks: cannot open epoch {}: {}",
                      m.epoch + 1, r.error().message);
  return outcome::success();
}

}  // namespace runnel::sql
