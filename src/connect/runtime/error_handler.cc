#include "connect/runtime/error_handler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace runnel::connect {

std::string_view stage_name(stage s) {
  switch (s) {
    case stage::key_converter:
      return "KEY_CONVERTER";
    case stage::value_converter:
      return "VALUE_CONVERTER";
    case stage::header_converter:
      return "HEADER_CONVERTER";
    case stage::transformation:
      return "TRANSFORMATION";
    case stage::task_put:
      return "TASK_PUT";
    case stage::task_poll:
      return "TASK_POLL";
    case stage::kafka_produce:
      return "KAFKA_PRODUCE";
    case stage::kafka_consume:
      return "KAFKA_CONSUME";
  }
  return "UNKNOWN";
}

std::string_view error_handler::exception_class(errc k) {
  switch (k) {
    case errc::data:
      return "org.apache.kafka.connect.errors.DataException";
    case errc::retriable:
      return "org.apache.kafka.connect.errors.RetriableException";
    case errc::invalid_config:
      return "org.apache.kafka.common.config.ConfigException";
    case errc::not_found:
      return "org.apache.kafka.connect.errors.NotFoundException";
    case errc::conflict:
      return "org.apache.kafka.connect.errors.AlreadyExistsException";
    default:
      return "org.apache.kafka.connect.errors.ConnectException";
  }
}

std::string error_trace(const error& e) {
  return fmt::format("{}: {}", error_handler::exception_class(e.kind), e.message);
}

error_handler::error_handler(error_config c, std::string connector, int32_t task,
                             const std::atomic<bool>* stopping)
    : cfg_(std::move(c)), connector_(std::move(connector)), task_(task), stopping_(stopping) {}

bool error_handler::sleep_unless_stopping(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (stopping_ && stopping_->load(std::memory_order_relaxed)) return false;
    std::this_thread::sleep_for(std::min(std::chrono::milliseconds(50), d));
  }
  return true;
}

bool error_handler::tolerate(const error& e, const error_context& ctx) {
  counts_.failures.fetch_add(1, std::memory_order_relaxed);
  const bool skip = cfg_.tolerate_all;
  if (skip) counts_.skipped.fetch_add(1, std::memory_order_relaxed);
  if (cfg_.log_enable) {
    std::string where;
    if (ctx.consumed) {
      where = fmt::format(
          ", where consumed record is {{topic='{}', partition={}, offset={}, "
          "timestamp={}}}",
          ctx.consumed->topic, int32_t(ctx.consumed->partition()), int64_t(ctx.consumed->offset()),
          int64_t(ctx.consumed->timestamp()));
    } else if (ctx.source && cfg_.log_include_messages) {
      where = fmt::format(
          ", where source record is {{topic='{}', sourcePartition={}, "
          "sourceOffset={}, key={}, value={}}}",
          ctx.source->topic, ctx.source->source_partition.dump(), ctx.source->source_offset.dump(),
          to_display_string(ctx.source->key), to_display_string(ctx.source->value));
    } else if (ctx.source) {
      where = fmt::format(", where source record is {{topic='{}'}}", ctx.source->topic);
    }
    spdlog::error(
        "connect: Error encountered in task {}-{}. Executing stage '{}' with class "
        "'{}'{}. {}: {}",
        connector_, task_, stage_name(ctx.where), ctx.class_name, where, exception_class(e.kind),
        e.message);
  }
  return skip;
}

std::optional<client::outgoing_message> error_handler::dead_letter(
    const error& e, const error_context& ctx, std::optional<std::string> key,
    std::optional<std::string> value, std::vector<client::header> headers) const {
  if (cfg_.dlq_topic.empty()) return std::nullopt;
  counts_.dead_lettered.fetch_add(1, std::memory_order_relaxed);
  client::outgoing_message m;
  m.topic = cfg_.dlq_topic;
  if (ctx.consumed) {
    m.key = ctx.consumed->key;
    m.value = ctx.consumed->value;
    m.headers = ctx.consumed->headers;
    if (int64_t(ctx.consumed->timestamp()) >= 0) m.timestamp = ctx.consumed->timestamp;
  } else {
    m.key = std::move(key);
    m.value = std::move(value);
    m.headers = std::move(headers);
  }
  if (cfg_.dlq_context_headers) {
    auto add = [&](std::string k, std::string v) {
      m.headers.push_back({"__connect.errors." + std::move(k), std::move(v)});
    };
    if (ctx.consumed) {
      add("topic", ctx.consumed->topic);
      add("partition", std::to_string(int32_t(ctx.consumed->partition())));
      add("offset", std::to_string(int64_t(ctx.consumed->offset())));
    } else if (ctx.source) {
      add("topic", ctx.source->topic);
      add("source.partition", ctx.source->source_partition.dump());
      add("source.offset", ctx.source->source_offset.dump());
    }
    add("connector.name", connector_);
    add("task.id", std::to_string(task_));
    add("stage", std::string(stage_name(ctx.where)));
    add("class.name", ctx.class_name);
    add("exception.class.name", std::string(exception_class(e.kind)));
    add("exception.message", e.message);
    add("exception.stacktrace", error_trace(e));
  }
  return m;
}

}  // namespace runnel::connect
