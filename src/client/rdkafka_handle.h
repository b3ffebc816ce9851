// What producer, consumer and admin share on top of librdkafka's C API:
// owners for its objects, building a handle from client_config, and turning
// its errors into client::error.
//
// Private to src/client: nothing outside includes librdkafka through us.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <librdkafka/rdkafka.h>

#include "runnel/client/config.h"
#include "runnel/client/consumer.h"
#include "runnel/client/error.h"

namespace runnel::client::detail {

struct kafka_deleter {
  void operator()(rd_kafka_t* p) const { rd_kafka_destroy(p); }
};
struct conf_deleter {
  void operator()(rd_kafka_conf_t* p) const { rd_kafka_conf_destroy(p); }
};
struct queue_deleter {
  void operator()(rd_kafka_queue_t* p) const { rd_kafka_queue_destroy(p); }
};
struct event_deleter {
  void operator()(rd_kafka_event_t* p) const { rd_kafka_event_destroy(p); }
};
struct message_deleter {
  void operator()(rd_kafka_message_t* p) const { rd_kafka_message_destroy(p); }
};
struct partition_list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* p) const {
    rd_kafka_topic_partition_list_destroy(p);
  }
};
struct error_deleter {
  void operator()(rd_kafka_error_t* p) const { rd_kafka_error_destroy(p); }
};
struct admin_options_deleter {
  void operator()(rd_kafka_AdminOptions_t* p) const { rd_kafka_AdminOptions_destroy(p); }
};
struct headers_deleter {
  void operator()(rd_kafka_headers_t* p) const { rd_kafka_headers_destroy(p); }
};
struct topic_deleter {
  void operator()(rd_kafka_topic_t* p) const { rd_kafka_topic_destroy(p); }
};
struct metadata_deleter {
  void operator()(const rd_kafka_metadata_t* p) const { rd_kafka_metadata_destroy(p); }
};

using kafka_ptr = std::unique_ptr<rd_kafka_t, kafka_deleter>;
using conf_ptr = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;
using queue_ptr = std::unique_ptr<rd_kafka_queue_t, queue_deleter>;
using event_ptr = std::unique_ptr<rd_kafka_event_t, event_deleter>;
using message_ptr = std::unique_ptr<rd_kafka_message_t, message_deleter>;
using partition_list_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, partition_list_deleter>;
using error_ptr = std::unique_ptr<rd_kafka_error_t, error_deleter>;
using admin_options_ptr = std::unique_ptr<rd_kafka_AdminOptions_t, admin_options_deleter>;
using headers_ptr = std::unique_ptr<rd_kafka_headers_t, headers_deleter>;
using topic_ptr = std::unique_ptr<rd_kafka_topic_t, topic_deleter>;
using metadata_ptr = std::unique_ptr<const rd_kafka_metadata_t, metadata_deleter>;

// The opaque every handle is created with: the log hook, and the last error
// librdkafka reported outside any call (the broker is unreachable, ...), so
// a timed-out call can say why. The producer, consumer and admin impls
// derive from it; it must outlive the handle.
struct handle_context {
  std::function<void(int, std::string_view, std::string_view)> on_log;
  std::string brokers;

  void note_error(std::string text);
  // The last background error, or "" if none.
  std::string last_error() const;

 private:
  mutable std::mutex mu_;
  std::string last_error_;
};

error make_error(rd_kafka_resp_err_t code, std::string message);
// `what` failed: librdkafka's text for `code`.
error make_error(rd_kafka_resp_err_t code, std::string_view what, std::string_view detail);
// An argument we refuse before talking to anyone.
error invalid_argument(std::string message);
// Takes ownership of `e`.
error take_error(rd_kafka_error_t* e, std::string_view what);

// A configuration with client.id, bootstrap.servers, the log and error
// callbacks (opaque: `ctx`), then `defaults`, then the user's properties.
result<conf_ptr> make_conf(const client_config& c, handle_context* ctx,
                           std::initializer_list<std::pair<const char*, std::string>> defaults);
result<void> set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value);

// rd_kafka_new, taking ownership of `conf` on success.
result<kafka_ptr> make_handle(rd_kafka_type_t type, conf_ptr conf);

// Appends the last background error of `ctx` to a timeout's message.
error with_context(error e, const handle_context& ctx);

}  // namespace runnel::client::detail

namespace runnel::client {

// Owns librdkafka's copy of a consumer's group metadata.
struct consumer_group_metadata::impl {
  rd_kafka_consumer_group_metadata_t* md = nullptr;
  ~impl() {
    if (md) rd_kafka_consumer_group_metadata_destroy(md);
  }
};

}  // namespace runnel::client
