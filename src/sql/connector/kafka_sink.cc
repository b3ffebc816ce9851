#include "sql/connector/kafka_sink.h"

#include <atomic>
#include <optional>
#include <string>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "runnel/client/admin.h"
#include "runnel/client/producer.h"
#include "sql/connector/csv_row.h"
#include "sql/connector/json_row.h"

namespace runnel::sql {

namespace {

constexpr uint64_t logged_failures = 10;
// How long the destructor waits for records in flight.
constexpr std::chrono::seconds close_wait{10};

}  // namespace

struct kafka_sink::impl {
  kafka_sink_options options;
  std::vector<plan_column> columns;
  std::vector<int> all_columns;
  std::vector<int> key_columns;
  std::optional<client::producer> own;
  client::producer* producer = nullptr;  // `own`, or the engine's transactional one
  // Written from the producer's delivery callback, which runs on whichever
  // thread polls it (the engine's, in write and flush).
  std::atomic<uint64_t> records{0};
  std::atomic<uint64_t> failed{0};

  // A record's value: JSON, or a CSV line without a header.
  void append_value(const datum* row, std::string& out) const {
    if (options.encode.what == kafka_encoding::kind::csv)
      append_csv_row(columns, row, all_columns, options.encode.delimiter, out);
    else
      append_json_row(columns, row, all_columns, out);
  }

  void send(std::optional<std::string_view> key, std::optional<std::string_view> value) {
    client::message_ref m;
    m.topic = options.topic;
    m.key = key;
    m.value = value;
    if (auto r = producer->send(m); !r) {
      uint64_t n = ++failed;
      if (n <= logged_failures)
        spdlog::error("sql sink to {}: a record was not sent: {}", options.topic,
                      r.error().message);
      return;
    }
    ++records;
  }
};

result<std::unique_ptr<kafka_sink>> kafka_sink::start(const kafka_sink_options& options,
                                                      std::vector<plan_column> columns,
                                                      std::vector<int> key_columns,
                                                      client::producer* transactional) {
  auto fail = [&](errc code, const std::string& why) {
    return make_error(code, -1, "Kafka sink to topic \"{}\": {}", options.topic, why);
  };
  client::admin_options ao;
  ao.client = options.client;
  ao.timeout = std::chrono::seconds(10);
  auto admin = client::admin::create(ao);
  if (!admin) return fail(errc::connection_failure, admin.error().message);
  if (auto info = admin.value().describe_topic(options.topic); !info) {
    if (!options.create_topic) return fail(errc::undefined_object, info.error().message);
    client::new_topic t;
    t.name = options.topic;
    if (options.upsert) t.configs.emplace_back("cleanup.policy", "compact");
    if (auto c = admin.value().create_topic(t); !c) {
      // Another process may have created it meanwhile.
      if (auto again = admin.value().describe_topic(options.topic); !again)
        return fail(errc::connection_failure, c.error().message);
    }
  }
  auto p = std::make_unique<impl>();
  p->options = options;
  p->columns = std::move(columns);
  for (size_t i = 0; i < p->columns.size(); ++i)
    if (!p->columns[i].hidden) p->all_columns.push_back(static_cast<int>(i));
  p->key_columns = std::move(key_columns);
  if (transactional) {
    p->producer = transactional;
    return std::unique_ptr<kafka_sink>(new kafka_sink(std::move(p)));
  }
  impl* raw = p.get();
  client::producer_options po;
  po.client = options.client;
  po.acks = "all";
  po.idempotent = true;
  po.on_delivery = [raw](const client::delivery_report& r) {
    if (!r.error) return;
    uint64_t n = ++raw->failed;
    if (n <= logged_failures)
      spdlog::error("sql sink to {}: a record was not delivered: {}", raw->options.topic,
                    r.error->message);
  };
  auto producer = client::producer::create(po);
  if (!producer) return fail(errc::connection_failure, producer.error().message);
  p->own.emplace(std::move(producer.value()));
  p->producer = &*p->own;
  return std::unique_ptr<kafka_sink>(new kafka_sink(std::move(p)));
}

kafka_sink::kafka_sink(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

kafka_sink::~kafka_sink() {
  if (!impl_->own) return;
  if (auto r = flush(close_wait); !r)
    spdlog::error("sql sink to {}: {}", impl_->options.topic, r.error().message);
}

void kafka_sink::write(const row_batch& changes) {
  auto& m = *impl_;
  std::string value;
  if (!m.options.upsert) {
    for (size_t i = 0; i < changes.size(); ++i) {
      if (changes.weight(i) <= 0) continue;
      value.clear();
      m.append_value(changes.row(i), value);
      for (int64_t n = 0; n < changes.weight(i); ++n) m.send(std::nullopt, value);
    }
  } else {
    // The last word of the batch on each key: an insert wins over a delete
    // (an update is a delete and an insert of the same key).
    std::unordered_map<std::string, size_t> at;  // key -> index in `order`
    std::vector<std::pair<std::string, std::optional<size_t>>> order;
    std::string key;
    for (size_t i = 0; i < changes.size(); ++i) {
      key.clear();
      append_json_row(m.columns, changes.row(i), m.key_columns, key);
      auto [it, fresh] = at.try_emplace(key, order.size());
      if (fresh) order.emplace_back(key, std::nullopt);
      auto& slot = order[it->second].second;
      if (changes.weight(i) > 0)
        slot = i;
      else if (slot && changes.weight(*slot) < 0)
        slot = i;
      else if (!slot)
        slot = i;
    }
    for (const auto& [k, row] : order) {
      if (changes.weight(*row) < 0) {
        m.send(k, std::nullopt);  // a tombstone
        continue;
      }
      value.clear();
      m.append_value(changes.row(*row), value);
      m.send(k, value);
    }
  }
  m.producer->poll(std::chrono::milliseconds(0));
}

bool kafka_sink::exactly_once() const {
  return !impl_->own;
}

result<void> kafka_sink::flush(std::chrono::milliseconds timeout) {
  if (!impl_->own) return outcome::success();
  if (auto r = impl_->producer->flush(timeout); !r)
    return make_error(errc::connection_failure, -1, "Kafka sink to topic \"{}\": {}",
                      impl_->options.topic, r.error().message);
  return outcome::success();
}

uint64_t kafka_sink::records() const {
  return impl_->records.load();
}
uint64_t kafka_sink::failed_records() const {
  return impl_->failed.load();
}

}  // namespace runnel::sql
