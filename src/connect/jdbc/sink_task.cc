#include "connect/jdbc/sink_task.h"

#include <charconv>

#include <spdlog/spdlog.h>

#include "connect/jdbc/sink_config.h"
#include "connect/jdbc/sink_writer.h"
#include "connect/postgres/replication.h"

namespace runnel::connect::jdbc {

namespace {

class jdbc_sink_task final : public sink_task {
 public:
  result<void> start(const config_map& props, sink_task_context& ctx) override {
    CONNECT_TRY(cfg_, sink_config::parse(props));
    ctx_ = &ctx;
    writer_ = std::make_unique<sink_writer>(cfg_);
    CONNECT_TRY(connect());
    CONNECT_TRY(conn_->query("CREATE TABLE IF NOT EXISTS " + quote_table(cfg_.offsets_table) +
                             " (connector text NOT NULL, topic text NOT NULL, "
                             "kafka_partition integer NOT NULL, next_offset bigint NOT NULL, "
                             "PRIMARY KEY (connector, topic, kafka_partition))"));
    return ok();
  }

  result<void> open(const std::vector<client::topic_partition>& partitions) override {
    if (!conn_) {
      CONNECT_TRY(connect());
    }
    for (const auto& tp : partitions) {
      CONNECT_TRY(
          auto rows,
          conn_->query("SELECT next_offset FROM " + quote_table(cfg_.offsets_table) +
                           " WHERE connector = $1 AND topic = $2 AND "
                           "kafka_partition = $3",
                       {cfg_.connector_name, tp.topic, std::to_string(tp.partition.value)}));
      if (rows.empty() || !rows[0][0]) {
        next_.erase(tp);
        continue;
      }
      std::int64_t next = 0;
      std::from_chars(rows[0][0]->data(), rows[0][0]->data() + rows[0][0]->size(), next);
      next_[tp] = next;
      ctx_->offset(tp, next);
      spdlog::info("jdbc: sink resumes {}-{} at offset {} (stored with the rows)", tp.topic,
                   tp.partition.value, next);
    }
    return ok();
  }

  result<void> put(std::vector<sink_record>& records) override {
    if (records.empty()) {
      return ok();
    }
    if (!conn_) {
      if (auto r = connect(); !r) {
        ctx_->timeout(std::chrono::milliseconds(1000));
        return r.error();
      }
    }
    auto r = write_batch(records);
    if (!r) {
      (void)conn_->query("ROLLBACK");
      writer_->forget();
      if (r.error().kind == errc::retriable) {
        conn_.reset();
        ctx_->timeout(std::chrono::milliseconds(1000));
      }
      return r.error();
    }
    return ok();
  }

  // Everything put() returned from is committed with its offsets.
  result<offset_map> pre_commit(const offset_map& current) override { return current; }

  void stop() override { conn_.reset(); }

 private:
  result<void> connect() {
    CONNECT_TRY(auto c, postgres::sql_connection::open(cfg_.connection.conninfo()));
    conn_ = std::make_unique<postgres::sql_connection>(std::move(c));
    return ok();
  }

  result<void> write_batch(const std::vector<sink_record>& records) {
    std::map<client::topic_partition, std::int64_t> batch_next;
    CONNECT_TRY(conn_->query("BEGIN"));
    for (const auto& r : records) {
      client::topic_partition tp{
          r.original_topic.empty() ? r.topic : r.original_topic,
          runnel::partition_id{r.original_partition >= 0 ? r.original_partition
                                                         : r.kafka_partition.value_or(0)}};
      auto stored = next_.find(tp);
      if (stored != next_.end() && r.kafka_offset < stored->second) {
        continue;  // already in the table: delivered again after a restart
      }
      if (auto w = writer_->write(*conn_, r); !w) {
        return make_error(w.error().kind == errc::retriable ? errc::retriable : errc::fatal,
                          w.error().message + " (" + tp.topic + "-" +
                              std::to_string(tp.partition.value) + " offset " +
                              std::to_string(r.kafka_offset) + ")");
      }
      batch_next[tp] = r.kafka_offset + 1;
    }
    for (const auto& [tp, next] : batch_next) {
      CONNECT_TRY(conn_->query(
          "INSERT INTO " + quote_table(cfg_.offsets_table) +
              " (connector, topic, kafka_partition, next_offset) VALUES ($1, $2, $3, $4) "
              "ON CONFLICT (connector, topic, kafka_partition) DO UPDATE SET next_offset = "
              "EXCLUDED.next_offset",
          {cfg_.connector_name, tp.topic, std::to_string(tp.partition.value),
           std::to_string(next)}));
    }
    CONNECT_TRY(conn_->query("COMMIT"));
    for (const auto& [tp, next] : batch_next) {
      next_[tp] = next;
    }
    return ok();
  }

  sink_config cfg_;
  sink_task_context* ctx_ = nullptr;
  std::unique_ptr<postgres::sql_connection> conn_;
  std::unique_ptr<sink_writer> writer_;
  std::map<client::topic_partition, std::int64_t> next_;  // stored next offsets
};

}  // namespace

std::unique_ptr<sink_task> make_jdbc_sink_task() {
  return std::make_unique<jdbc_sink_task>();
}

}  // namespace runnel::connect::jdbc
