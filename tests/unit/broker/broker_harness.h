// An in-process broker for tests: broker::server on a fault_file_system
// (DESIGN.md decision 6) on a free loopback port, and a blocking Kafka client
// that sends raw requests with the src/kafka codecs, so that a test sees
// every error code as the broker sent it (a client library would retry
// retriable ones away).
//
// The server runs on its own shard threads; the test thread only starts,
// stops and talks to it over TCP. Every socket read has a timeout, so a
// broker that never answers fails the test instead of hanging it.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/server.h"
#include "kafka/error_code.h"
#include "kafka/header.h"
#include "kafka/messages/create_topics.h"
#include "kafka/messages/fetch.h"
#include "kafka/messages/incremental_alter_configs.h"
#include "kafka/messages/init_producer_id.h"
#include "kafka/messages/produce.h"
#include "model/endian.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "storage/fault_file_system.h"

namespace runnel::broker::testing {

using bytes = std::vector<std::byte>;

// A small broker: two shards, one __consumer_offsets partition, and no
// background fsync (flush.ms of an hour), so the only fsyncs are the ones a
// test asks for with acks=all and a test knows which one it makes fail.
inline broker_config small_config() {
  broker_config c;
  c.data_dir = "/data";
  c.listen_host = "127.0.0.1";
  c.listen_port = 0;
  c.shards = 2;
  c.offsets_topic_num_partitions = 1;
  c.group_initial_rebalance_delay_ms = 0;
  c.log_defaults.flush_ms = 3600 * 1000;
  return c;
}

class in_process_broker {
 public:
  explicit in_process_broker(broker_config c = small_config()) : cfg_(std::move(c)) {}
  ~in_process_broker() { stop(); }

  // Starts a server on `fs`; the error if start() fails.
  std::error_code try_start() {
    srv_ = std::make_unique<server>(cfg_, fs);
    auto r = srv_->start();
    if (!r) {
      srv_.reset();
      return r.error();
    }
    return {};
  }
  void start() {
    auto ec = try_start();
    ASSERT_FALSE(ec) << "broker did not start: " << ec.message();
  }
  // A clean shutdown: every log closed, the lock released.
  void stop() {
    if (!srv_) return;
    srv_->shutdown();
    srv_.reset();
  }
  void restart() {
    stop();
    start();
  }
  // A clean stop, then a power loss: what was never fsynced is gone.
  void stop_and_lose_power() {
    stop();
    fs.power_loss();
  }

  uint16_t port() const { return srv_->port(); }
  server& srv() { return *srv_; }
  broker_config& config() { return cfg_; }

  storage::fault_file_system fs;

 private:
  broker_config cfg_;
  std::unique_ptr<server> srv_;
};

// A decoded response and the frame its spans point into.
template <class M>
struct received {
  int32_t correlation_id = 0;
  bytes frame;
  M body;
};

struct record {
  int64_t offset = 0;
  std::string value;
};

class kafka_client {
 public:
  explicit kafka_client(uint16_t port) : sock_(io_) {
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
    sock_.connect(ep);
    timeval tv{30, 0};  // a broker that never answers fails the test
    ::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  // Writes one request; returns its correlation id.
  template <class M>
  int32_t send(kafka::api_key key, int16_t version, M& body) {
    kafka::request_header h;
    h.api_key = int16_t(key);
    h.api_version = version;
    h.correlation_id = next_correlation_++;
    h.client_id = "harness";
    const kafka::api_info* api = kafka::find_api(h.api_key);
    kafka::writer w;
    const size_t at = w.reserve_i32();
    kafka::encode_request_header(w, h);
    kafka::encode_body(w, body, version, api->flexible(version));
    w.patch_i32(at, int32_t(w.buffer().size() - at - 4));
    boost::asio::write(sock_, boost::asio::buffer(w.buffer()));
    return h.correlation_id;
  }

  // Reads the next response, as the answer to (key, version).
  template <class M>
  received<M> receive(kafka::api_key key, int16_t version) {
    received<M> out;
    std::byte size_be[4];
    boost::asio::read(sock_, boost::asio::buffer(size_be));
    out.frame.resize(size_t(model::load_be<int32_t>(size_be)));
    boost::asio::read(sock_, boost::asio::buffer(out.frame));
    kafka::reader r(out.frame);
    out.correlation_id = r.i32();
    if (kafka::response_header_flexible(int16_t(key), version)) r.skip_tags();
    const kafka::api_info* api = kafka::find_api(int16_t(key));
    EXPECT_TRUE(kafka::decode_body(r, out.body, version, api->flexible(version)))
        << "response to " << api->name << " does not parse";
    return out;
  }

  template <class Resp, class Req>
  received<Resp> call(kafka::api_key key, int16_t version, Req& req) {
    const int32_t id = send(key, version, req);
    auto resp = receive<Resp>(key, version);
    EXPECT_EQ(resp.correlation_id, id);
    return resp;
  }

  // One batch to one partition; the partition's result.
  kafka::produce_response::partition produce(const std::string& topic, int32_t partition,
                                             bytes batch, int16_t acks = -1) {
    auto req = produce_request(topic, partition, batch, acks);
    auto resp = call<kafka::produce_response>(kafka::api_key::produce, produce_version, req);
    EXPECT_EQ(resp.body.topics.size(), 1u);
    if (resp.body.topics.empty() || resp.body.topics[0].partitions.empty()) return {};
    return resp.body.topics[0].partitions[0];
  }

  static kafka::produce_request produce_request(const std::string& topic, int32_t partition,
                                                bytes& batch, int16_t acks) {
    kafka::produce_request req;
    req.acks = acks;
    req.timeout_ms = 30000;
    auto& t = req.topics.emplace_back();
    t.name = topic;
    auto& p = t.partitions.emplace_back();
    p.index = partition;
    p.records.null = false;
    p.records.bytes = batch;
    return req;
  }

  // Every record of a partition from `from` to its end, and the error code
  // of the last fetch (0 when all was read).
  std::pair<std::vector<record>, int16_t> fetch_all(const std::string& topic, int32_t partition,
                                                    int64_t from = 0) {
    std::vector<record> out;
    int64_t next = from;
    for (int round = 0; round < 10000; ++round) {
      kafka::fetch_request req;
      req.max_wait_ms = 0;
      req.min_bytes = 0;
      req.max_bytes = 1 << 20;
      auto& t = req.topics.emplace_back();
      t.topic = topic;
      auto& p = t.partitions.emplace_back();
      p.partition = partition;
      p.fetch_offset = next;
      p.partition_max_bytes = 1 << 20;
      auto resp = call<kafka::fetch_response>(kafka::api_key::fetch, fetch_version, req);
      if (resp.body.responses.empty() || resp.body.responses[0].partitions.empty())
        return {out, -1};
      const auto& pd = resp.body.responses[0].partitions[0];
      if (pd.error_code != 0) return {out, pd.error_code};
      const size_t before = out.size();
      decode_batches(pd.records.bytes, next, out);
      if (!out.empty()) next = out.back().offset + 1;
      if (next >= pd.high_watermark || out.size() == before) return {out, 0};
    }
    return {out, -1};
  }

  // InitProducerId for an idempotent producer: (id, epoch), or the error.
  std::pair<int64_t, int16_t> init_producer_id(int16_t* error = nullptr) {
    kafka::init_producer_id_request req;
    req.transaction_timeout_ms = 60000;
    auto resp = call<kafka::init_producer_id_response>(kafka::api_key::init_producer_id, 1, req);
    if (error) *error = resp.body.error_code;
    return {resp.body.producer_id, resp.body.producer_epoch};
  }

  // CreateTopics for one topic; its error code.
  int16_t create_topic(const std::string& name, int32_t partitions) {
    kafka::create_topics_request req;
    auto& t = req.topics.emplace_back();
    t.name = name;
    t.num_partitions = partitions;
    t.replication_factor = 1;
    auto resp = call<kafka::create_topics_response>(kafka::api_key::create_topics, 4, req);
    return resp.body.topics.empty() ? -1 : resp.body.topics[0].error_code;
  }

  // IncrementalAlterConfigs: sets one topic setting; its error code.
  int16_t set_topic_config(const std::string& topic, const std::string& name,
                           const std::string& value) {
    kafka::incremental_alter_configs_request req;
    auto& r = req.resources.emplace_back();
    r.resource_type = 2;  // TOPIC
    r.resource_name = topic;
    r.configs.push_back({name, 0, value});
    auto resp = call<kafka::incremental_alter_configs_response>(
        kafka::api_key::incremental_alter_configs, 1, req);
    return resp.body.responses.empty() ? -1 : resp.body.responses[0].error_code;
  }

  static constexpr int16_t produce_version = 8;
  static constexpr int16_t fetch_version = 11;

 private:
  static void decode_batches(std::span<std::byte> data, int64_t from, std::vector<record>& out) {
    while (auto f = model::parse_frame(data)) {
      const size_t len = size_t(f->batch_length) + model::batch_layout::log_overhead;
      if (f->batch_length < 0 || len > data.size()) break;  // a partial batch at the end
      auto batch = data.first(len);
      auto h = model::parse_header(batch);
      EXPECT_TRUE(h) << "a fetched batch does not parse";
      if (!h) return;
      bytes storage;
      auto section = model::records_section(batch, h.value(), storage);
      EXPECT_TRUE(section);
      if (!section) return;
      auto recs = model::parse_records(section.value(), h.value().record_count);
      EXPECT_TRUE(recs);
      if (!recs) return;
      for (const auto& r : recs.value()) {
        const int64_t o = h.value().base_offset + r.offset_delta;
        if (o < from) continue;
        std::string v;
        if (r.value) v.assign(reinterpret_cast<const char*>(r.value->data()), r.value->size());
        out.push_back({o, std::move(v)});
      }
      data = data.subspan(len);
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket sock_;
  int32_t next_correlation_ = 1;
};

// A batch of `n` records whose values are `prefix` + "-" + i, optionally from
// an idempotent producer.
inline bytes make_batch(const std::string& prefix, int n, size_t pad = 0,
                        std::optional<std::tuple<int64_t, int16_t, int32_t>> producer = {}) {
  model::batch_builder b;
  for (int i = 0; i < n; ++i) {
    std::string v = prefix + "-" + std::to_string(i) + std::string(pad, '.');
    b.add("k", v, model::timestamp{1000 + i});
  }
  if (producer)
    b.set_producer(std::get<0>(*producer), std::get<1>(*producer), std::get<2>(*producer));
  auto out = b.build();
  EXPECT_TRUE(out);
  return std::move(out).value();
}

inline std::string value_of(const std::string& prefix, int i, size_t pad = 0) {
  return prefix + "-" + std::to_string(i) + std::string(pad, '.');
}

constexpr int16_t kafka_storage_error = int16_t(kafka::error_code::kafka_storage_error);

}  // namespace runnel::broker::testing
