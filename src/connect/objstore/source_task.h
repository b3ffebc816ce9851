// The source task of the S3, Azure Blob and directory sources: discovers
// files by listing (listing_discovery.h), reads each one in ranged chunks
// (decompressed by extension), splits it into records (record_reader.h) or
// makes one pointer event per file, and returns them with one source
// partition per file and the offset "records so far" (file_progress.h).
//
// Exactly once per file version: the offsets are the dedup store, so a
// restarted task skips every done version and continues a half-read one at
// the first record not yet in Kafka. Records of one file keep their order:
// the record key is the object key, so one file goes to one partition.
// Delivery is as the runtime commits offsets (at-least-once for the last
// records before a crash until sources commit in transactions).
//
// A file replaced while it is read (another etag) is dropped at once and
// read again, whole, as the new version it now is.
//
// Threading: the runtime's task thread; wakeup() from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "connect/api/source_task.h"
#include "connect/objstore/decompress.h"
#include "connect/objstore/directory_watcher.h"
#include "connect/objstore/event_queue.h"
#include "connect/objstore/file_progress.h"
#include "connect/objstore/source_config.h"

namespace runnel::connect::objstore {

class objstore_source_task final : public source_task {
 public:
  explicit objstore_source_task(store_kind kind) : kind_(kind) {}

  result<void> start(const config_map& props, source_task_context& ctx) override;
  result<std::vector<source_record>> poll(std::chrono::milliseconds timeout) override;
  void wakeup() override;
  void commit_record(const source_record& r, const record_metadata* metadata) override;
  void stop() override {}

 private:
  struct open_file {
    object_info info;
    int64_t skip = 0;      // records already in Kafka (a restart mid-file)
    int64_t read_pos = 0;  // bytes of the object read so far
    std::unique_ptr<decompressor> inflate;
    std::unique_ptr<record_reader> reader;
  };

  // Lists the store when it is time; queues what is new.
  result<void> discover(std::chrono::system_clock::time_point now);
  // Receives storage events; queues the new objects they name. Returns
  // how many messages came (a full batch: more are probably waiting).
  result<size_t> receive_notifications();
  // The version (key, etag) is done or gone: delete the notifications
  // that named only what is settled now.
  void settle(const std::string& key, const std::string& etag);
  // Deletes the queue messages settled so far, ten to a request (SQS's
  // DeleteMessageBatch) rather than one request per message. settle()
  // calls it once ten wait or none is pending any more; poll() at its
  // start.
  void remove_settled();
  // Reads from the current file into `out` until it ends or `budget` bytes
  // were read; true when the file is finished.
  result<bool> read_current(std::vector<source_record>& out, int64_t& budget);
  source_record make_record(const object_info& o, data value, int64_t records, bool done) const;
  source_record pointer_event(const object_info& o) const;

  store_kind kind_;
  source_settings settings_;
  std::unique_ptr<blob_store> store_;
  std::unique_ptr<dedup_store> dedup_;
  std::unique_ptr<listing_discovery> listing_;
  std::deque<object_info> queue_;
  std::set<std::pair<std::string, std::string>> queued_;  // (key, etag) queued or open
  std::optional<open_file> current_;
  std::chrono::steady_clock::time_point next_listing_{};
  bool first_listing_ = true;
  bool skip_existing_ = false;  // include.existing=false and never started before
  std::optional<error> pending_error_;

  // Notifications (discovery.mode notifications or hybrid): a
  // message is deleted once every object it named is done, so one lost
  // with a crash comes back after its visibility timeout.
  std::unique_ptr<event_queue> events_;
  std::chrono::steady_clock::time_point next_receive_{};
  std::map<std::string, std::set<std::pair<std::string, std::string>>> message_pending_;
  std::multimap<std::pair<std::string, std::string>, std::string> receipts_;
  std::vector<std::string> to_remove_;  // settled messages not yet deleted

  // The directory source's notifications (inotify): the files it names
  // are queued at once, without waiting for min.object.age.ms (a file
  // closed after writing or moved in is complete).
  std::unique_ptr<directory_watcher> watcher_;
  // Queues the files of `ev`; a listing soon when events were lost.
  void take_directory_events(const directory_watcher::events& ev);

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
};

}  // namespace runnel::connect::objstore
