// The state behind client::admin, shared by admin*.cc. Private to src/client.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "client/rdkafka_handle.h"
#include "runnel/client/admin.h"

namespace runnel::client {

struct admin::impl : detail::handle_context {
  detail::kafka_ptr rk;
  std::chrono::milliseconds timeout{30000};
  client_config client;  // what the handle was made from

  int timeout_ms() const { return static_cast<int>(timeout.count()); }

  // Options for one admin request: the request timeout and, for requests
  // that change the cluster, how long the broker may take to apply them.
  result<detail::admin_options_ptr> options(rd_kafka_admin_op_t op);

  // Issues one admin request on a private result queue (so that concurrent
  // calls never see each other's results) and waits for its result event.
  // `issue` gets the queue. A request-level error becomes the result's error,
  // described as `what` failed.
  template <class Issue>
  result<detail::event_ptr> run(Issue&& issue, std::string_view what) {
    detail::queue_ptr q(rd_kafka_queue_new(rk.get()));
    issue(q.get());
    return wait(q.get(), what);
  }

  // Waits until every broker knows of a topic just created (every partition
  // led) or no longer lists one just deleted (admin_topics.cc).
  result<void> await_topic(const std::string& topic, int32_t partitions, bool present);

  // A partition's start and end offsets (ListOffsets to its leader).
  result<partition_offsets> watermarks(const std::string& topic, int32_t partition);

 private:
  result<detail::event_ptr> wait(rd_kafka_queue_t* q, std::string_view what);
};

}  // namespace runnel::client
