// The sink task of the S3, Azure Blob and directory sinks: records are
// batched per (topic, Kafka partition, partition path) into files of JSON
// lines or CSV, written whole when a file is full (flush.size records,
// rotate.size.bytes, rotate.interval.ms of record time, or
// rotate.schedule.interval.ms of wall clock), and named from the topic,
// partition and first offset:
//
//   <topics.dir>/<topic>/<path>/<topic>+<partition>+<first offset, 10 digits>.<json|csv>[.gz|.zst]
//
// Exactly-once file names: pre_commit returns, per partition, the first
// offset not yet in a written file, so after a crash the consumer
// replays from there and the same files come out under the same names —
// a retry overwrites an object, never writes a second (with the
// deterministic rotations; the wall-clock one is not). Buffered records of
// partitions taken away are dropped: they are read again by their new
// owner.
//
// Threading: the runtime's task thread.
#pragma once

#include <map>
#include <memory>
#include <tuple>

#include "connect/api/sink_task.h"
#include "connect/objstore/sink_config.h"

namespace runnel::connect::objstore {

class objstore_sink_task final : public sink_task {
 public:
  explicit objstore_sink_task(store_kind kind) : kind_(kind) {}

  result<void> start(const config_map& props, sink_task_context& ctx) override;
  result<void> put(std::vector<sink_record>& records) override;
  result<offset_map> pre_commit(const offset_map& current) override;
  result<void> close(const std::vector<client::topic_partition>& partitions) override;
  void stop() override {}

 private:
  struct open_file {
    std::string path;  // the partition path ("partition=3", "dt=…/hour=…")
    int64_t first_offset = -1;
    int64_t first_time = 0;
    std::chrono::steady_clock::time_point opened;
    int64_t records = 0;
    std::string body;
    std::vector<std::string> columns;  // CSV: from the first record
  };
  using file_key = std::tuple<std::string, int32_t, std::string>;  // topic, partition, path

  result<std::string> path_of(const sink_record& r) const;
  result<void> append(open_file& f, const sink_record& r);
  result<void> write(const file_key& k, open_file& f);

  store_kind kind_;
  sink_settings settings_;
  std::unique_ptr<blob_store> store_;
  std::map<file_key, open_file> files_;
  // Per partition, the offset after the last record taken: a redelivered
  // batch (after a retriable error) is not buffered twice.
  std::map<client::topic_partition, int64_t> next_offset_;
};

}  // namespace runnel::connect::objstore
