#include "sql/connector/kafka_source.h"

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "runnel/client/admin.h"
#include "runnel/client/consumer.h"
#include "sql/connector/csv_row.h"
#include "sql/connector/json_row.h"
#include "sql/exec/rows.h"
#include "sql/types/jsonb.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace {

// Records per delivered batch: large enough that the engine's per-batch
// work (consolidating a table) is spread over many rows, small enough that
// a view lags its topic by well under a second.
constexpr size_t batch_records = 8192;
constexpr std::chrono::milliseconds poll_wait{100};
// Bad records are all counted; only the first few are logged one by one.
constexpr uint64_t logged_bad_records = 10;

}  // namespace

struct kafka_source::impl {
  kafka_source_options options;
  kafka_source_layout layout;
  schema_types types;
  deliver_fn deliver;
  client::consumer consumer;
  json_row_decoder decoder;
  std::optional<csv_row_decoder> csv;  // ENCODE CSV
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> records{0};
  std::atomic<uint64_t> bad{0};
  // The current row of each key (replace and delete), encoded; empty when
  // the reader keeps them (kafka_source_options::reader_keeps_rows).
  std::unordered_map<std::string, std::string> current;
  // The batch being read: its next offsets and changed keys.
  source_progress progress;
  std::map<int32_t, int64_t> next;
  std::vector<datum> scratch;
  std::vector<std::pair<int32_t, int64_t>> started;
  // Every partition of the topic, as assigned.
  std::vector<client::topic_partition> partitions;
  // read_to(): the consumer's position after each delivered poll; and
  // where each partition ended when the source started (caught_up()).
  mutable std::mutex read_mu;
  std::map<int32_t, int64_t> read_to;
  std::map<int32_t, int64_t> start_ends;
  std::thread thread;
  // hold_at (an exactly-once recovery): while `holding`, a record at or
  // past its partition's limit is not read but remembered (the first such
  // offset of each partition, where reading resumes on release); `seen`
  // is each partition's next offset as far as this source knows.
  bool holding = false;
  bool at_hold_sent = false;
  std::atomic<bool> released{false};
  std::map<int32_t, int64_t> limit;
  std::map<int32_t, int64_t> seen;
  std::map<int32_t, int64_t> held_from;

  impl(client::consumer c, json_row_decoder d) : consumer(std::move(c)), decoder(std::move(d)) {}

  void bad_record(const client::message_view& m, std::string_view why) {
    uint64_t n = ++bad;
    if (n <= logged_bad_records)
      spdlog::warn("sql source on {}: skipped the record at partition {} offset {}: {}{}",
                   options.topic, m.partition(), m.offset(), why,
                   n == logged_bad_records ? " (further ones are only counted)" : "");
  }

  // INCLUDE headers: every header in order, duplicates kept, as canonical
  // jsonb [{"key": k, "value": v}, ...] (RisingWave's struct<key, value>[]
  // as runnel has no arrays of rows); a value that is not UTF-8 is written
  // in bytea's text form (\x...), a null one as null.
  static std::string headers_json(const client::message_view& m) {
    std::string j = "[";
    for (const auto& h : m.headers()) {
      if (j.size() > 1) j += ", ";
      j += "{\"key\": ";
      j += jsonb::quote(simdjson::validate_utf8(h.key.data(), h.key.size()) ? h.key
                                                                            : format_bytea(h.key));
      j += ", \"value\": ";
      if (!h.value)
        j += "null";
      else
        j += jsonb::quote(simdjson::validate_utf8(h.value->data(), h.value->size())
                              ? *h.value
                              : format_bytea(*h.value));
      j += "}";
    }
    return j + "]";
  }

  // Adds the changes one record makes to `out`.
  void record(const client::message_view& m, row_batch& out, std::string& key) {
    if (holding) {
      auto lim = limit.find(m.partition());
      if (lim == limit.end() || m.offset() >= lim->second) {
        held_from.try_emplace(m.partition(), m.offset());
        return;
      }
      seen[m.partition()] = m.offset() + 1;
    }
    ++records;
    next[m.partition()] = m.offset() + 1;
    const size_t width = layout.columns.size();
    if (options.upsert) {
      if (!m.key) return bad_record(m, "an upsert record needs a key");
      key.assign(*m.key);
    }
    auto retract = [&](const std::string& k) {
      if (options.reader_keeps_rows) return;
      auto it = current.find(k);
      if (it == current.end()) return;
      datum* old = out.add(-1);
      size_t pos = 0;
      decode_row(types, it->second, pos, old, out.strings());
      progress.keys.emplace_back(k, std::nullopt);
      current.erase(it);
    };
    if (!m.value) {
      if (options.upsert && options.reader_keeps_rows)
        progress.keys.emplace_back(key, std::nullopt);  // a tombstone: the reader retracts
      else if (options.upsert)
        retract(key);  // a tombstone
      else
        bad_record(m, "the value is null");
      return;
    }
    // Decoded aside first: a replaced row's retraction goes before it.
    scratch.assign(width, datum::null_value());
    datum* row = scratch.data();
    switch (options.encode.what) {
      case kafka_encoding::kind::json:
        if (auto r = decoder.decode(*m.value, row, out.strings()); !r)
          return bad_record(m, r.error().message);
        break;
      case kafka_encoding::kind::csv: {
        auto r = csv->decode(m.partition(), *m.value, row, out.strings());
        if (!r) return bad_record(m, r.error().message);
        if (!r.value()) return;  // its partition's header
        break;
      }
      case kafka_encoding::kind::bytes:
        row[0] = datum::of_text(out.strings().copy(*m.value));
        break;
    }
    for (size_t i = 0; i < layout.includes.size(); ++i) {
      const auto& [what, header] = layout.includes[i];
      datum& d = row[layout.value_columns + i];
      if (what == "key") {
        if (m.key) d = datum::of_text(out.strings().copy(*m.key));
      } else if (what == "partition") {
        d = datum::of_text(out.strings().copy(std::to_string(m.partition())));
      } else if (what == "offset") {
        d = datum::of_text(out.strings().copy(std::to_string(m.offset())));
      } else if (what == "timestamp") {
        if (m.timestamp() >= 0) d = datum::of_int(m.timestamp() * 1000);
      } else if (what == "header") {
        for (const auto& h : m.headers())
          if (h.key == header && h.value) d = datum::of_text(out.strings().copy(*h.value));
      } else if (what == "headers") {
        d = datum::of_text(out.strings().copy(headers_json(m)));
      }
    }
    if (!options.upsert && layout.primary_key.empty()) {
      out.add(row, 1);
      return;
    }
    if (!options.upsert) {
      for (int c : layout.primary_key)
        if (row[c].is_null())
          return bad_record(m, fmt::format("the primary key column \"{}\" is null",
                                           layout.columns[static_cast<size_t>(c)].name));
      key.clear();
      append_cols_key(types, row, layout.primary_key, key);
    }
    std::string encoded;
    encode_row(types, row, encoded);
    if (options.reader_keeps_rows) {
      progress.keys.emplace_back(key, std::move(encoded));
      return;
    }
    retract(key);
    out.add(row, 1);
    progress.keys.emplace_back(key, encoded);
    current[key] = std::move(encoded);
  }

  // Every partition read up to its limit (or past it: a held record).
  bool reached_hold() const {
    for (const auto& [p, lim] : limit) {
      if (held_from.count(p)) continue;
      auto s = seen.find(p);
      if (lim > 0 && (s == seen.end() || s->second < lim)) return false;
    }
    return true;
  }

  // Reading goes on past the limits: each partition from its first held
  // record (the records fetched after it were skipped, not read).
  void end_hold() {
    holding = false;
    std::vector<client::topic_partition_offset> back;
    for (const auto& [p, o] : held_from)
      back.emplace_back(options.topic, runnel::partition_id{p}, runnel::offset{o});
    held_from.clear();
    if (auto r = consumer.resume(partitions); !r)
      spdlog::error("sql source on {}: cannot resume reading: {}", options.topic,
                    r.error().message);
    if (!back.empty())
      if (auto r = consumer.seek(back, std::chrono::seconds(10)); !r)
        spdlog::error("sql source on {}: cannot go back to the held records: {}", options.topic,
                      r.error().message);
  }

  void run() {
    std::string key;
    while (!stopping.load()) {
      if (holding && released.load()) end_hold();
      row_batch out(static_cast<uint32_t>(layout.columns.size()));
      auto n = consumer.poll_batch(poll_wait, batch_records,
                                   [&](const client::message_view& m) { record(m, out, key); });
      if (!n) spdlog::warn("sql source on {}: {}", options.topic, n.error().message);
      bool hold_now = holding && !at_hold_sent && reached_hold();
      if (hold_now) {
        // Nothing more until release(): no more records fetched meanwhile.
        at_hold_sent = true;
        if (auto r = consumer.pause(partitions); !r)
          spdlog::warn("sql source on {}: {}", options.topic, r.error().message);
      }
      // A batch of bad records only is not delivered: its offsets go with
      // the next good batch (a restart before it reads them again).
      if ((!out.empty() || !progress.keys.empty() || hold_now) && !stopping.load()) {
        progress.next_offsets.assign(next.begin(), next.end());
        progress.at_hold = hold_now;
        next.clear();
        deliver(std::move(out), std::move(progress));
        progress = source_progress{};
      }
      // After the delivery, so that a FLUSH that sees the position finds
      // the rows before it applied. The position moves past bad records
      // and transaction markers too, which deliver nothing.
      if (auto pos = consumer.position(partitions); pos) {
        std::lock_guard lock(read_mu);
        for (const auto& tpo : pos.value())
          if (tpo.offset() >= 0) read_to[tpo.partition()] = tpo.offset();
      }
    }
  }
};

result<std::unique_ptr<kafka_source>> kafka_source::start(const kafka_source_options& options,
                                                          kafka_source_layout layout,
                                                          deliver_fn deliver) {
  auto fail = [&](errc code, const std::string& why) {
    return make_error(code, -1, "Kafka source on topic \"{}\": {}", options.topic, why);
  };
  client::admin_options ao;
  ao.client = options.client;
  ao.timeout = std::chrono::seconds(10);
  auto admin = client::admin::create(ao);
  if (!admin) return fail(errc::connection_failure, admin.error().message);
  auto info = admin.value().describe_topic(options.topic);
  if (!info) return fail(errc::undefined_object, info.error().message);
  if (info.value().partitions.empty()) return fail(errc::undefined_object, "it has no partitions");
  client::consumer_options co;
  co.client = options.client;
  co.auto_commit = false;
  // Past the end of a deleted range: start again where the log starts.
  co.auto_offset_reset = "earliest";
  auto consumer = client::consumer::create(co);
  if (!consumer) return fail(errc::connection_failure, consumer.error().message);
  // Where each partition starts and ends now: the startup modes read it,
  // caught_up() compares the position with the ends.
  auto bounds = admin.value().offsets(options.topic);
  if (!bounds) return fail(errc::connection_failure, bounds.error().message);
  std::map<int32_t, int64_t> start_ends;
  for (const auto& po : bounds.value()) start_ends[po.partition()] = po.end();
  // The start resolved to offsets now, so that the catalog can pin them.
  std::map<int32_t, int64_t> at;
  if (!options.pinned_offsets.empty()) {
    for (const auto& [p, o] : options.pinned_offsets) at[p] = o;
  } else if (options.startup == kafka_source_options::start::timestamp) {
    auto found = admin.value().offsets_for_time(options.topic,
                                                runnel::timestamp{options.startup_timestamp_ms});
    if (!found) return fail(errc::connection_failure, found.error().message);
    for (const auto& tpo : found.value()) at[tpo.partition()] = tpo.offset();
  } else {
    for (const auto& po : bounds.value())
      at[po.partition()] =
          options.startup == kafka_source_options::start::latest ? po.end() : po.start();
  }
  std::vector<client::partition_assignment> parts;
  std::vector<std::pair<int32_t, int64_t>> started;
  std::map<int32_t, int64_t> read_to;
  std::vector<client::topic_partition> assigned;
  for (const auto& p : info.value().partitions) {
    auto it = at.find(p.id());
    // -1 (a timestamp past the end): from the end; none known: the start.
    client::start_position from = client::start_position::beginning();
    if (it != at.end())
      from = it->second >= 0 ? client::start_position::at(runnel::offset{it->second})
                             : client::start_position::end();
    parts.push_back({options.topic, p.id, from});
    assigned.push_back({options.topic, p.id});
    if (it != at.end() && it->second >= 0) started.emplace_back(p.id(), it->second);
    // Read from: -1 (a timestamp past the end) is the end.
    if (it != at.end()) read_to[p.id()] = it->second >= 0 ? it->second : start_ends[p.id()];
  }
  if (auto r = consumer.value().assign(parts); !r)
    return fail(errc::connection_failure, r.error().message);
  std::vector<plan_column> value_cols(
      layout.columns.begin(),
      layout.columns.begin() + static_cast<std::ptrdiff_t>(layout.value_columns));
  auto p = std::make_unique<impl>(std::move(consumer.value()), json_row_decoder(value_cols));
  if (options.encode.what == kafka_encoding::kind::csv)
    p->csv.emplace(std::move(value_cols), options.encode.delimiter, options.encode.header);
  p->options = options;
  p->started = std::move(started);
  p->partitions = std::move(assigned);
  p->read_to = std::move(read_to);
  p->start_ends = std::move(start_ends);
  for (const auto& c : layout.columns) p->types.push_back(c.type);
  p->layout = std::move(layout);
  p->deliver = std::move(deliver);
  if (options.hold_at) {
    // Every partition is limited: one the hold does not name had read
    // nothing by then, so all of it is held.
    p->holding = true;
    for (const auto& part : info.value().partitions) p->limit[part.id()] = 0;
    for (const auto& [part, o] : *options.hold_at) p->limit[part] = o;
    for (const auto& [part, o] : p->started) p->seen[part] = o;
  }
  impl* raw = p.get();
  p->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<kafka_source>(new kafka_source(std::move(p)));
}

kafka_source::kafka_source(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

kafka_source::~kafka_source() {
  stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void kafka_source::stop() {
  impl_->stopping.store(true);
}
void kafka_source::release() {
  impl_->released.store(true);
}
bool kafka_source::keyed() const {
  return impl_->options.upsert || !impl_->layout.primary_key.empty();
}
const std::vector<std::pair<int32_t, int64_t>>& kafka_source::start_offsets() const {
  return impl_->started;
}
uint64_t kafka_source::records() const {
  return impl_->records.load();
}
bool kafka_source::caught_up() const {
  std::lock_guard lock(impl_->read_mu);
  for (const auto& [p, end] : impl_->start_ends) {
    auto it = impl_->read_to.find(p);
    if (end > 0 && (it == impl_->read_to.end() || it->second < end)) return false;
  }
  return true;
}
uint64_t kafka_source::bad_records() const {
  return impl_->bad.load();
}
std::map<int32_t, int64_t> kafka_source::read_to() const {
  std::lock_guard lock(impl_->read_mu);
  return impl_->read_to;
}
result<std::map<int32_t, int64_t>> kafka_source::end_offsets() const {
  client::admin_options ao;
  ao.client = impl_->options.client;
  ao.timeout = std::chrono::seconds(10);
  auto admin = client::admin::create(ao);
  if (!admin) return make_error(errc::connection_failure, -1, "{}", admin.error().message);
  auto ends = admin.value().offsets(impl_->options.topic);
  if (!ends)
    return make_error(errc::connection_failure, -1, "Kafka source on topic \"{}\": {}",
                      impl_->options.topic, ends.error().message);
  std::map<int32_t, int64_t> out;
  for (const auto& po : ends.value()) out[po.partition()] = po.end();
  return out;
}

}  // namespace runnel::sql
