// Helpers shared by the storage tests: building batches, opening logs on the
// fault-injecting file system, and reading every record back.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "model/control_record.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "storage/fault_file_system.h"
#include "storage/partition_log.h"

namespace runnel::storage::testing {

using model::bytes;

// A record as the tests see it: key and value as strings (nullopt = null).
struct rec {
  int64_t offset = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp = 0;
  bool operator==(const rec&) const = default;
};

inline std::optional<std::span<const std::byte>> opt_bytes(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return model::as_bytes(*s);
}

// A batch of records (their offsets are ignored), as a producer sends it.
inline bytes make_batch(const std::vector<rec>& records,
                        model::compression codec = model::compression::none) {
  model::batch_builder b(codec);
  for (const auto& r : records)
    b.add(opt_bytes(r.key), opt_bytes(r.value), model::timestamp{r.timestamp});
  auto out = b.build();
  EXPECT_TRUE(out) << out.error().message();
  return std::move(out).value();
}

// n records "k<i>"/"v<i>" at timestamp ts.
inline bytes make_simple_batch(int n, int64_t ts = 1000, size_t value_bytes = 10) {
  std::vector<rec> rs;
  for (int i = 0; i < n; ++i)
    rs.push_back({-1, "k" + std::to_string(i), std::string(value_bytes, char('a' + i % 26)), ts});
  return make_batch(rs);
}

// Reads the bytes of a read_result into memory.
inline bytes slurp(const read_result& r) {
  bytes out;
  for (const auto& s : r.slices) {
    bytes part(s.len);
    auto n = s.f->read_at(s.pos, part);
    EXPECT_TRUE(n && n.value() == s.len);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

// Decodes every record of a sequence of batches.
inline std::vector<rec> decode(std::span<const std::byte> data,
                               std::vector<model::batch_header>* headers = nullptr) {
  std::vector<rec> out;
  while (!data.empty()) {
    auto h = model::parse_header(data);
    EXPECT_TRUE(h);
    if (!h) break;
    auto batch = data.first(h.value().size_bytes());
    model::validate_options vo;
    vo.allow_offset_gaps = true;
    vo.deep = true;
    vo.max_batch_bytes = size_t(1) << 31;
    auto v = model::validate_batch(batch, vo);
    EXPECT_TRUE(v) << v.error().message();
    if (headers) headers->push_back(h.value());
    std::vector<std::byte> storage;
    auto sec = model::records_section(batch, h.value(), storage);
    EXPECT_TRUE(sec);
    auto recs = model::parse_records(sec.value(), h.value().record_count);
    EXPECT_TRUE(recs);
    for (const auto& r : recs.value()) {
      rec x;
      x.offset = h.value().base_offset + r.offset_delta;
      if (r.key) x.key = std::string(reinterpret_cast<const char*>(r.key->data()), r.key->size());
      if (r.value)
        x.value = std::string(reinterpret_cast<const char*>(r.value->data()), r.value->size());
      x.timestamp = h.value().base_timestamp + r.timestamp_delta;
      out.push_back(x);
    }
    data = data.subspan(batch.size());
  }
  return out;
}

// The bytes of every batch from `from` (default: the start) to the end, in
// as many reads as it takes: a read ends at its segment's end.
inline bytes slurp_all(partition_log& log, int64_t from = -1) {
  bytes out;
  model::offset at{from < 0 ? log.start_offset().value : from};
  while (at < log.end_offset()) {
    auto r = log.read(at, uint64_t{1} << 30);
    EXPECT_TRUE(r) << r.error().message();
    if (!r || r.value().slices.empty()) break;
    auto part = slurp(r.value());
    out.insert(out.end(), part.begin(), part.end());
    at = r.value().next;
  }
  return out;
}

// Every record from `from` to the end, reading in steps of max_bytes.
inline std::vector<rec> read_all(partition_log& log, int64_t from = -1,
                                 uint64_t max_bytes = 1 << 20) {
  std::vector<rec> out;
  model::offset at{from < 0 ? log.start_offset().value : from};
  while (at < log.end_offset()) {
    auto r = log.read(at, max_bytes);
    EXPECT_TRUE(r) << r.error().message();
    if (!r || r.value().slices.empty()) break;
    auto data = slurp(r.value());
    for (auto& x : decode(data))
      if (x.offset >= at.value) out.push_back(x);
    EXPECT_GT(r.value().next, at);
    at = r.value().next;
  }
  return out;
}

// A producer's batch of `n` records keyed k<first_key>..; transactional or
// only idempotent.
inline bytes producer_batch(int64_t pid, int16_t epoch, int32_t seq, int n, bool transactional,
                            int64_t ts = 1000, const std::string& value = "v", int first_key = 0) {
  bytes records;
  for (int i = 0; i < n; ++i) {
    const std::string k = "k" + std::to_string(first_key + i);
    model::encode_record(records, 0, i, model::as_bytes(k), model::as_bytes(value));
  }
  model::batch_header h;
  h.attributes = transactional ? model::batch_attr::transactional : 0;
  h.last_offset_delta = n - 1;
  h.base_timestamp = ts;
  h.max_timestamp = ts;
  h.producer_id = pid;
  h.producer_epoch = epoch;
  h.base_sequence = seq;
  auto b = model::assemble_batch(h, records, n);
  EXPECT_TRUE(b);
  return std::move(b).value();
}

inline bytes marker(int64_t pid, int16_t epoch, bool commit, int64_t ts = 1000) {
  auto b = model::build_control_batch(
      pid, epoch, {commit ? model::control_type::commit : model::control_type::abort, 0},
      timestamp{ts});
  EXPECT_TRUE(b);
  return std::move(b).value();
}

// A log on an in-memory fault-injecting file system (or any given one).
struct log_fixture {
  std::shared_ptr<fault_file_system> ffs = std::make_shared<fault_file_system>();
  file_system* fs = ffs.get();
  std::filesystem::path dir = "/data/topic-0";
  log_config config;

  log_fixture() {
    (void)ffs->create_directories("/data");
    (void)ffs->sync_directory("/");
  }

  // Power loss: the disk keeps only what was durable.
  void crash() { ffs->power_loss(); }

  result<std::unique_ptr<partition_log>> open() {
    log_options o;
    o.dir = dir;
    o.config = config;
    o.fs = fs;
    return partition_log::open(o);
  }

  std::unique_ptr<partition_log> open_ok() {
    auto l = open();
    EXPECT_TRUE(l) << l.error().message();
    return l ? std::move(l).value() : nullptr;
  }
};

// Executors that queue their tasks until the test runs them, so that it
// chooses the interleaving of a log's background work with its calls.
struct manual_executors {
  std::deque<task> io, owner;
  log_executors get() {
    return {[this](task t) { io.push_back(std::move(t)); },
            [this](task t) { owner.push_back(std::move(t)); }};
  }
  // Runs queued tasks (and what they queue) until both queues are empty.
  void run_all() {
    while (!io.empty() || !owner.empty()) {
      auto& q = io.empty() ? owner : io;
      auto t = std::move(q.front());
      q.pop_front();
      t();
    }
  }
};

// Appends `records` as one batch, stamped `now` (default: their largest
// timestamp), and returns them with the offsets the log assigned.
inline std::vector<rec> append_records(partition_log& log, std::vector<rec> records,
                                       model::compression codec = model::compression::none,
                                       std::optional<int64_t> now = std::nullopt) {
  int64_t ts = 0;
  for (const auto& r : records) ts = std::max(ts, r.timestamp);
  auto b = make_batch(records, codec);
  auto r = log.append(b, model::timestamp{now.value_or(ts)});
  EXPECT_TRUE(r) << r.error().message();
  if (!r) return {};
  for (size_t i = 0; i < records.size(); ++i) records[i].offset = r.value().base.value + int64_t(i);
  return records;
}

// The names in a log's directory, sorted.
inline std::vector<std::string> dir_files(log_fixture& fx) {
  auto names = fx.fs->list(fx.dir);
  EXPECT_TRUE(names) << names.error().message();
  if (!names) return {};
  auto out = std::move(names).value();
  std::sort(out.begin(), out.end());
  return out;
}

// Base offsets of the segment data files (B.log) in a log's directory.
inline std::vector<int64_t> segment_bases(log_fixture& fx) {
  std::vector<int64_t> out;
  for (const auto& n : dir_files(fx))
    if (n.size() == 24 && n.ends_with(".log")) out.push_back(std::stoll(n.substr(0, 20)));
  return out;
}

// Readable gtest output for records: offset:key=value@timestamp.
inline void PrintTo(const rec& r, std::ostream* os) {
  *os << r.offset << ':' << (r.key ? *r.key : "<null>") << '='
      << (r.value ? r.value->substr(0, 16) : "<null>") << '@' << r.timestamp;
}

}  // namespace runnel::storage::testing
