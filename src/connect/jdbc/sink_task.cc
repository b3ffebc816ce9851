#include "connect/jdbc/sink_task.h"

#include <charconv>

#include <spdlog/spdlog.h>

#include "connect/jdbc/sink_config.h"
#include "connect/jdbc/sink_writer.h"

namespace runnel::connect::jdbc {

namespace {

class jdbc_sink_task final : public sink_task {
 public:
  result<void> start(const config_map& props, sink_task_context& ctx) override {
    CONNECT_TRY(cfg_, sink_config::parse(props));
    ctx_ = &ctx;
    d_ = &dialect_for(cfg_.connection.url.kind);
    writer_ = std::make_unique<sink_writer>(cfg_, *d_);
    CONNECT_TRY(connect());
    const auto text = d_->column_type(schemas::string(), true);
    auto created = conn_->run(
        "CREATE TABLE IF NOT EXISTS " + d_->quote_table(cfg_.offsets_table) + " (" +
            d_->quote("connector") + " " + text + " NOT NULL, " + d_->quote("topic") + " " + text +
            " NOT NULL, " + d_->quote("kafka_partition") + " " +
            d_->column_type(schemas::of(schema_type::int32), true) + " NOT NULL, " +
            d_->quote("next_offset") + " " + d_->column_type(schemas::int64(), false) +
            " NOT NULL, PRIMARY KEY (" + d_->quote("connector") + ", " + d_->quote("topic") + ", " +
            d_->quote("kafka_partition") + "))" + d_->table_options(),
        {});
    // Two tasks starting at once race in PostgreSQL's CREATE TABLE IF NOT
    // EXISTS: the loser fails ("already exists", or a unique violation in
    // pg_type) although the table is there. Only a table that is still
    // missing is an error.
    if (!created &&
        !conn_->run("SELECT 1 FROM " + d_->quote_table(cfg_.offsets_table) + " WHERE 1 = 0", {}))
      return created.error();
    return ok();
  }

  result<void> open(const std::vector<client::topic_partition>& partitions) override {
    if (!conn_) {
      CONNECT_TRY(connect());
    }
    for (const auto& tp : partitions) {
      sql_params params;
      auto sql = "SELECT next_offset FROM " + d_->quote_table(cfg_.offsets_table) +
                 " WHERE connector = " + d_->bind(cfg_.connector_name, params) +
                 " AND topic = " + d_->bind(tp.topic, params) +
                 " AND kafka_partition = " + d_->bind_int(tp.partition.value, params);
      CONNECT_TRY(auto found, conn_->run(sql, params));
      const auto& rows = found.rows;
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
      (void)conn_->run("ROLLBACK", {});
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
    CONNECT_TRY(conn_, d_->open(cfg_.connection));
    return ok();
  }

  result<void> write_batch(const std::vector<sink_record>& records) {
    std::map<client::topic_partition, std::int64_t> batch_next;
    if (d_->ddl_commits()) {
      // DDL would commit the batch's transaction half-way: run it first.
      for (const auto& r : records) {
        if (auto p = writer_->prepare(*conn_, r); !p) {
          return make_error(p.error().kind == errc::retriable ? errc::retriable : errc::fatal,
                            p.error().message);
        }
      }
    }
    CONNECT_TRY(conn_->run("BEGIN", {}));
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
      sql_params params;
      auto sql = "INSERT INTO " + d_->quote_table(cfg_.offsets_table) +
                 " (connector, topic, kafka_partition, next_offset) VALUES (" +
                 d_->bind(cfg_.connector_name, params) + ", " + d_->bind(tp.topic, params) + ", " +
                 d_->bind_int(tp.partition.value, params) + ", " + d_->bind_int(next, params) +
                 ")" +
                 d_->upsert_clause({"connector", "topic", "kafka_partition"}, {"next_offset"});
      CONNECT_TRY(conn_->run(sql, params));
    }
    CONNECT_TRY(conn_->run("COMMIT", {}));
    for (const auto& [tp, next] : batch_next) {
      next_[tp] = next;
    }
    return ok();
  }

  sink_config cfg_;
  sink_task_context* ctx_ = nullptr;
  const dialect* d_ = nullptr;
  std::unique_ptr<db_session> conn_;
  std::unique_ptr<sink_writer> writer_;
  std::map<client::topic_partition, std::int64_t> next_;  // stored next offsets
};

}  // namespace

std::unique_ptr<sink_task> make_jdbc_sink_task() {
  return std::make_unique<jdbc_sink_task>();
}

}  // namespace runnel::connect::jdbc
