// A queue of storage events, as the sources' notification discovery reads
// it: SQS for S3 event notifications (sqs_queue.h), an Azure Storage queue
// for Event Grid's BlobCreated events (azure_queue.h). A received message
// stays invisible for a while and comes back unless removed, so the source
// removes it only once the files it names are done.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "connect/api/error.h"

namespace runnel::connect::objstore {

struct queued_event {
  std::string id;
  std::string handle;  // what remove() takes
  std::string body;
};

class event_queue {
 public:
  virtual ~event_queue() = default;
  // What is there now (no waiting), at most `max`.
  virtual result<std::vector<queued_event>> receive(int max, std::chrono::seconds visibility) = 0;
  virtual result<void> remove(const std::string& handle) = 0;
  // Removes several (SQS: DeleteMessageBatch, ten a request); by default
  // one by one. An error says how many were not removed: those come back
  // after their visibility timeout and meet the dedup store.
  virtual result<void> remove_batch(const std::vector<std::string>& handles) {
    size_t failed = 0;
    std::optional<error> first;
    for (auto& h : handles) {
      if (auto r = remove(h); !r) {
        ++failed;
        if (!first) first = r.error();
      }
    }
    if (!first) return ok();
    return make_error(first->kind, fmt::format("{} of {} queue messages not removed: {}", failed,
                                               handles.size(), first->message));
  }
};

}  // namespace runnel::connect::objstore
