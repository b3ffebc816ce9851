#include "client/rdkafka_handle.h"

#include <spdlog/spdlog.h>

namespace runnel::client::detail {

namespace {

void log_callback(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  auto* ctx = static_cast<handle_context*>(rd_kafka_opaque(rk));
  if (ctx && ctx->on_log) {
    ctx->on_log(level, facility, text);
    return;
  }
  // syslog levels: 0..3 errors, 4 warning, 5..6 notice/info, 7 debug.
  const auto lvl = level <= 3   ? spdlog::level::err
                   : level == 4 ? spdlog::level::warn
                   : level <= 6 ? spdlog::level::info
                                : spdlog::level::debug;
  spdlog::log(lvl, "rdkafka {}: {}", facility, text);
}

void error_callback(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  (void)rk;
  auto* ctx = static_cast<handle_context*>(opaque);
  if (!ctx) return;
  std::string text = reason ? reason : "";
  if (text.empty()) text = rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err));
  ctx->note_error(std::move(text));
}

}  // namespace

void handle_context::note_error(std::string text) {
  std::lock_guard lock(mu_);
  last_error_ = std::move(text);
}

std::string handle_context::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

error make_error(rd_kafka_resp_err_t code, std::string message) {
  return error{std::error_code(static_cast<int>(code), kafka_category()), std::move(message)};
}

error make_error(rd_kafka_resp_err_t code, std::string_view what, std::string_view detail) {
  const std::string generic = rd_kafka_err2str(code);
  std::string m(what);
  m += ": ";
  if (detail.empty() || detail == generic) {
    m += generic;
  } else {
    m += detail;
    m += " (" + generic + ")";
  }
  return make_error(code, std::move(m));
}

error invalid_argument(std::string message) {
  return error{std::make_error_code(std::errc::invalid_argument), std::move(message)};
}

error take_error(rd_kafka_error_t* e, std::string_view what) {
  error_ptr owned(e);
  return make_error(rd_kafka_error_code(e), what, rd_kafka_error_string(e));
}

result<void> set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK) {
    return invalid_argument("client property " + name + "=" + value + ": " + errstr);
  }
  return success();
}

result<conf_ptr> make_conf(const client_config& c, handle_context* ctx,
                           std::initializer_list<std::pair<const char*, std::string>> defaults) {
  conf_ptr conf(rd_kafka_conf_new());
  if (c.brokers.empty()) return invalid_argument("no bootstrap brokers given");
  ctx->on_log = c.on_log;
  ctx->brokers = c.brokers;
  BOOST_OUTCOME_TRY(set(conf.get(), "bootstrap.servers", c.brokers));
  BOOST_OUTCOME_TRY(set(conf.get(), "client.id", c.client_id));
  for (const auto& [k, v] : defaults) {
    BOOST_OUTCOME_TRY(set(conf.get(), k, v));
  }
  for (const auto& [k, v] : c.properties) {
    BOOST_OUTCOME_TRY(set(conf.get(), k, v));
  }
  rd_kafka_conf_set_log_cb(conf.get(), log_callback);
  rd_kafka_conf_set_error_cb(conf.get(), error_callback);
  rd_kafka_conf_set_opaque(conf.get(), ctx);
  return conf;
}

result<kafka_ptr> make_handle(rd_kafka_type_t type, conf_ptr conf) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
  if (!rk) return invalid_argument(std::string("cannot create a Kafka client: ") + errstr);
  (void)conf.release();  // rd_kafka_new owns it now
  return kafka_ptr(rk);
}

error with_context(error e, const handle_context& ctx) {
  if (auto last = ctx.last_error(); !last.empty()) {
    e.message += " (last broker error: " + last + ")";
  } else if (e.code == std::error_code(RD_KAFKA_RESP_ERR__TIMED_OUT, kafka_category()) ||
             e.code == std::error_code(RD_KAFKA_RESP_ERR__TRANSPORT, kafka_category())) {
    e.message += " (brokers: " + ctx.brokers + ")";
  }
  return e;
}

}  // namespace runnel::client::detail
