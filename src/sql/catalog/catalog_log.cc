#include "sql/catalog/catalog_log.h"

#include <algorithm>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "runnel/client/admin.h"
#include "runnel/client/consumer.h"
#include "runnel/client/producer.h"
#include "sql/catalog/fenced_writer.h"

namespace runnel::sql {

namespace {

using json = nlohmann::json;

// The value's format (docs/format/sql-catalog.md): a version to refuse
// what a later runnel may write.
constexpr int catalog_version = 1;
constexpr std::chrono::seconds cluster_wait{30};

std::string encode(const catalog_entry& e) {
  json offsets = json::array();
  for (const auto& [p, o] : e.start_offsets) offsets.push_back({p, o});
  json v = {{"version", catalog_version}, {"id", e.id}, {"sql", e.sql}};
  if (!e.start_offsets.empty()) v["start_offsets"] = offsets;
  return v.dump();
}

std::optional<catalog_entry> decode(std::string_view key, std::string_view value) {
  auto v = json::parse(value, nullptr, false);
  if (v.is_discarded() || !v.is_object() || v.value("version", 0) != catalog_version ||
      !v.contains("id") || !v["id"].is_number_unsigned() || !v.contains("sql") ||
      !v["sql"].is_string())
    return std::nullopt;
  catalog_entry e;
  e.name = std::string(key);
  e.id = v["id"].get<uint64_t>();
  e.sql = v["sql"].get<std::string>();
  if (v.contains("start_offsets")) {
    if (!v["start_offsets"].is_array()) return std::nullopt;
    for (const auto& p : v["start_offsets"]) {
      if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() || !p[1].is_number_integer())
        return std::nullopt;
      e.start_offsets.emplace_back(p[0].get<int32_t>(), p[1].get<int64_t>());
    }
  }
  return e;
}

sql_error cluster_error(const std::string& topic, const std::string& why) {
  return make_error(errc::io_error, -1, "SQL catalog topic \"{}\": {}", topic, why);
}

// A consumer of the catalog topic's one partition from `from`, reporting
// its end (open() reads to it; a follower notices it is caught up).
result<client::consumer> catalog_consumer(const client::client_config& cluster,
                                          const std::string& topic, client::start_position from) {
  client::consumer_options co;
  co.client = cluster;
  // Committed records only: under --share the leader writes in
  // transactions, and one of a leader that was fenced never counts.
  co.client.properties.emplace_back("isolation.level", "read_committed");
  co.auto_commit = false;
  co.auto_offset_reset = "earliest";
  co.report_partition_end = true;
  auto consumer = client::consumer::create(co);
  if (!consumer) return cluster_error(topic, consumer.error().message);
  if (auto r = consumer.value().assign({{topic, runnel::partition_id{0}, from}}); !r)
    return cluster_error(topic, r.error().message);
  return std::move(consumer).value();
}

}  // namespace

struct catalog_log::impl {
  std::string topic;
  int64_t end_offset = 0;
  std::optional<client::producer> producer;
  std::vector<catalog_entry> entries;

  // --share: the leader's writer (set_writer); writes need it.
  bool shared = false;
  std::unique_ptr<fenced_writer> writer;

  // Writes `records` (name, value or none for a tombstone) and waits until
  // the cluster has them: in one transaction under --share.
  result<void> write(
      const std::vector<std::pair<std::string, std::optional<std::string>>>& records) {
    if (shared) {
      if (!writer)
        return make_error(errc::unavailable, -1,
                          "this SQL process is not the leader of the group sharing the catalog "
                          "(rebalancing), so it writes no catalog record; retry");
      std::vector<fenced_writer::record> out;
      for (const auto& [key, value] : records) out.push_back({key, value});
      return writer->write(topic, out);
    }
    for (const auto& [key, value] : records) {
      client::outgoing_message m;
      m.topic = topic;
      m.partition = runnel::partition_id{0};
      m.key = key;
      m.value = value;
      if (auto r = producer->send(m); !r) return cluster_error(topic, r.error().message);
    }
    if (auto r = producer->flush(cluster_wait); !r) return cluster_error(topic, r.error().message);
    return outcome::success();
  }
};

result<std::unique_ptr<catalog_log>> catalog_log::open(const client::client_config& cluster,
                                                       const std::string& topic) {
  client::admin_options ao;
  ao.client = cluster;
  ao.timeout = cluster_wait;
  auto admin = client::admin::create(ao);
  if (!admin) return cluster_error(topic, admin.error().message);
  if (!admin.value().describe_topic(topic)) {
    client::new_topic t;
    t.name = topic;
    t.partitions = 1;
    t.configs = {{"cleanup.policy", "compact"}};
    if (auto r = admin.value().create_topic(t); !r && !admin.value().describe_topic(topic))
      return cluster_error(topic, r.error().message);
  }
  // Read it to its end: the last record of each name wins.
  auto consumer = catalog_consumer(cluster, topic, client::start_position::beginning());
  if (!consumer) return consumer.error();
  std::map<std::string, std::optional<catalog_entry>> latest;
  std::map<std::string, int64_t> written_at;  // the offset of each name's last record
  std::optional<sql_error> bad;
  int64_t end = 0;  // where the topic ended when it was read
  auto deadline = std::chrono::steady_clock::now() + cluster_wait;
  for (bool at_end = false; !at_end;) {
    if (std::chrono::steady_clock::now() > deadline)
      return cluster_error(topic, "not read to its end in time");
    auto ev = consumer.value().poll(std::chrono::milliseconds(200));
    if (!ev) {
      if (client::is_transient(ev.error())) continue;
      return cluster_error(topic, ev.error().message);
    }
    if (auto* pe = std::get_if<client::partition_end>(&ev.value())) {
      at_end = true;
      end = pe->offset();
    }
    auto* m = std::get_if<client::message>(&ev.value());
    if (!m) continue;
    if (!m->key) return cluster_error(topic, "a record without a key");
    if (!m->value) {
      latest[*m->key] = std::nullopt;
      continue;
    }
    auto e = decode(*m->key, *m->value);
    if (!e)
      return cluster_error(topic, fmt::format("the entry of \"{}\" at offset {} is not one this "
                                              "version of runnel can read",
                                              *m->key, m->offset()));
    latest[*m->key] = std::move(*e);
    written_at[*m->key] = m->offset();
  }

  // A rename that died between its new entry and the old name's tombstone
  // left two names with one id: the later record is the relation's name.
  std::map<uint64_t, std::pair<int64_t, std::string>> by_id;
  for (auto& [name, e] : latest) {
    if (!e) continue;
    auto [it, fresh] = by_id.try_emplace(e->id, written_at[name], name);
    if (fresh) continue;
    if (written_at[name] > it->second.first) {
      latest[it->second.second] = std::nullopt;
      it->second = {written_at[name], name};
    } else {
      e = std::nullopt;
    }
  }
  auto p = std::make_unique<impl>();
  p->topic = topic;
  p->end_offset = end;
  for (auto& [name, e] : latest)
    if (e) p->entries.push_back(std::move(*e));
  std::sort(p->entries.begin(), p->entries.end(),
            [](const catalog_entry& a, const catalog_entry& b) { return a.id < b.id; });
  client::producer_options po;
  po.client = cluster;
  po.acks = "all";
  po.idempotent = true;
  auto producer = client::producer::create(po);
  if (!producer) return cluster_error(topic, producer.error().message);
  p->producer.emplace(std::move(producer.value()));
  return std::unique_ptr<catalog_log>(new catalog_log(std::move(p)));
}

catalog_log::catalog_log(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
catalog_log::~catalog_log() = default;

const std::vector<catalog_entry>& catalog_log::entries() const {
  return impl_->entries;
}

result<void> catalog_log::put(const catalog_entry& e) {
  BOOST_OUTCOME_TRY(impl_->write({{e.name, encode(e)}}));
  std::erase_if(impl_->entries, [&](const catalog_entry& x) { return x.name == e.name; });
  impl_->entries.push_back(e);
  return outcome::success();
}

result<void> catalog_log::replace(const std::vector<catalog_entry>& puts,
                                  const std::vector<std::string>& removes) {
  std::vector<std::pair<std::string, std::optional<std::string>>> records;
  for (const auto& e : puts) records.emplace_back(e.name, encode(e));
  for (const auto& name : removes) records.emplace_back(name, std::nullopt);
  BOOST_OUTCOME_TRY(impl_->write(records));
  for (const auto& e : puts) {
    std::erase_if(impl_->entries, [&](const catalog_entry& x) { return x.name == e.name; });
    impl_->entries.push_back(e);
  }
  for (const auto& name : removes)
    std::erase_if(impl_->entries, [&](const catalog_entry& x) { return x.name == name; });
  std::sort(impl_->entries.begin(), impl_->entries.end(),
            [](const catalog_entry& a, const catalog_entry& b) { return a.id < b.id; });
  return outcome::success();
}

std::string catalog_log::leader_transactional_id(const std::string& topic) {
  return "runnel-sql:" + topic + "-leader";
}

void catalog_log::share() {
  impl_->shared = true;
}

void catalog_log::set_writer(std::unique_ptr<fenced_writer> w) {
  impl_->writer = std::move(w);
}

bool catalog_log::writes() const {
  return impl_->writer && !impl_->writer->fenced();
}

bool catalog_log::fenced() const {
  return impl_->writer && impl_->writer->fenced();
}

int64_t catalog_log::end_offset() const {
  return impl_->end_offset;
}

void catalog_log::absorb(const catalog_record& r) {
  std::erase_if(impl_->entries, [&](const catalog_entry& x) { return x.name == r.name; });
  if (!r.entry) return;
  impl_->entries.push_back(*r.entry);
  std::sort(impl_->entries.begin(), impl_->entries.end(),
            [](const catalog_entry& a, const catalog_entry& b) { return a.id < b.id; });
}

struct catalog_follower::impl {
  std::string topic;
  std::optional<client::consumer> consumer;
};

result<std::unique_ptr<catalog_follower>> catalog_follower::open(
    const client::client_config& cluster, const std::string& topic, int64_t from) {
  auto consumer =
      catalog_consumer(cluster, topic, client::start_position::at(runnel::offset{from}));
  if (!consumer) return consumer.error();
  auto p = std::make_unique<impl>();
  p->topic = topic;
  p->consumer.emplace(std::move(consumer.value()));
  return std::unique_ptr<catalog_follower>(new catalog_follower(std::move(p)));
}

catalog_follower::catalog_follower(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
catalog_follower::~catalog_follower() = default;

result<std::vector<catalog_record>> catalog_follower::poll(std::chrono::milliseconds wait,
                                                           bool& at_end) {
  std::vector<catalog_record> out;
  at_end = false;
  auto ev = impl_->consumer->poll(wait);
  while (true) {
    if (!ev) {
      if (client::is_transient(ev.error())) return out;
      return cluster_error(impl_->topic, ev.error().message);
    }
    if (std::holds_alternative<client::partition_end>(ev.value())) {
      at_end = true;
      return out;
    }
    auto* m = std::get_if<client::message>(&ev.value());
    if (!m) return out;  // nothing within `wait`
    if (!m->key) return cluster_error(impl_->topic, "a record without a key");
    catalog_record r;
    r.name = *m->key;
    if (m->value) {
      r.entry = decode(*m->key, *m->value);
      if (!r.entry)
        return cluster_error(impl_->topic,
                             fmt::format("the entry of \"{}\" at offset {} is not one this "
                                         "version of runnel can read",
                                         *m->key, m->offset()));
    }
    out.push_back(std::move(r));
    // Whatever else is there already, without waiting.
    ev = impl_->consumer->poll(std::chrono::milliseconds(0));
  }
}

result<void> catalog_log::remove(const std::string& name) {
  BOOST_OUTCOME_TRY(impl_->write({{name, std::nullopt}}));
  std::erase_if(impl_->entries, [&](const catalog_entry& x) { return x.name == name; });
  return outcome::success();
}

}  // namespace runnel::sql
