// A queue of storage events, as the sources' notification discovery reads
// it: SQS for S3 event notifications (sqs_queue.h), an Azure Storage queue
// for Event Grid's BlobCreated events (azure_queue.h). A received message
// stays invisible for a while and comes back unless removed, so the source
// removes it only once the files it names are done.
#pragma once

#include <chrono>
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
};

}  // namespace runnel::connect::objstore
