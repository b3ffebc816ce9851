#include "connect/http/sink_task.h"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connect/http/batch.h"
#include "connect/http/retry_policy.h"
#include "connect/http/sink_config.h"
#include "connect/objstore/http.h"

namespace runnel::connect::http {

namespace {

// What an error message quotes of a refusing answer's body.
constexpr std::size_t max_quoted_body = 200;

std::string quote_body(const std::string& body) {
  std::string s = body.substr(0, max_quoted_body);
  for (auto& c : s)
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  if (body.size() > max_quoted_body) s += "…";
  return s;
}

using record_id = std::tuple<std::string, int32_t, int64_t>;  // topic, partition, offset

record_id id_of(const sink_record& r) {
  return {r.original_topic.empty() ? r.topic : r.original_topic,
          r.original_partition >= 0 ? r.original_partition : r.kafka_partition.value_or(0),
          r.original_offset >= 0 ? r.original_offset : r.kafka_offset};
}

struct attempt {
  verdict what = verdict::retry;
  std::string message;
  std::optional<std::chrono::milliseconds> retry_after;
};

class http_sink_task final : public sink_task {
 public:
  result<void> start(const config_map& props, sink_task_context& ctx) override {
    CONNECT_TRY(cfg_, sink_config::parse(props));
    ctx_ = &ctx;
    session_ = std::make_unique<objstore::http_session>(cfg_.request_timeout, cfg_.connect_timeout);
    rng_.seed(std::random_device{}());
    spdlog::info("http sink: {} {} in batches of up to {} record(s)", cfg_.method,
                 redact_url(cfg_.url), cfg_.batch_max_size);
    return ok();
  }

  result<void> put(std::vector<sink_record>& records) override {
    std::vector<const sink_record*> todo;
    for (const auto& r : records) {
      if (r.value.is_null()) continue;  // a tombstone: nothing to call about
      if (delivered_.count(id_of(r))) continue;
      todo.push_back(&r);
    }
    for (const auto& b : make_batches(cfg_, todo)) {
      auto a = send(b);
      if (a.what == verdict::retry && (cfg_.max_retries < 0 || retries_ < cfg_.max_retries)) {
        ++retries_;
        auto wait = retry_delay(cfg_, retries_, a.retry_after, rng_);
        ctx_->timeout(wait);
        return make_error(
            errc::retriable,
            fmt::format(
                "{}; retry {}{} in {} ms", a.message, retries_,
                cfg_.max_retries < 0 ? std::string() : fmt::format(" of {}", cfg_.max_retries),
                wait.count()));
      }
      retries_ = 0;
      if (a.what != verdict::delivered) {
        if (a.what == verdict::retry)
          a.message += fmt::format(" (gave up after {} retries, max.retries)", cfg_.max_retries);
        CONNECT_TRY(refused(b, todo, a.message));
      }
      for (auto i : b.records) delivered_.insert(id_of(*todo[i]));
    }
    // Everything of this put is through: the runtime will not hand it again.
    delivered_.clear();
    return ok();
  }

  result<void> close(const std::vector<client::topic_partition>& partitions) override {
    std::erase_if(delivered_, [&](const record_id& id) {
      return std::any_of(partitions.begin(), partitions.end(), [&](const auto& tp) {
        return tp.topic == std::get<0>(id) && tp.partition.value == std::get<1>(id);
      });
    });
    retries_ = 0;
    return ok();
  }

  void stop() override { session_.reset(); }

 private:
  attempt send(const batch& b) {
    objstore::http_request req;
    req.method = cfg_.method;
    req.url = b.url;
    req.headers = cfg_.headers;
    if (!cfg_.has_content_type) req.headers.push_back("Content-Type: application/json");
    req.body = b.body;
    req.user = cfg_.user;
    req.password = cfg_.password;
    const std::string what = fmt::format("http sink: {} {}", cfg_.method, redact_url(b.url));
    auto r = session_->perform(req);
    if (!r) {
      // The session's sentence is "METHOD URL: libcurl's reason": say it
      // again without the URL's secrets.
      auto m = r.error().message;
      const auto full = fmt::format("{} {}: ", req.method, req.url);
      if (m.starts_with(full)) m = m.substr(full.size());
      return {verdict::retry, fmt::format("{}: {}", what, m), std::nullopt};
    }
    const auto& resp = r.value();
    attempt a;
    a.what = classify(resp.status);
    if (a.what == verdict::delivered) return a;
    a.message = fmt::format("{}: HTTP {}", what, resp.status);
    if (!resp.body.empty()) a.message += fmt::format(" ({})", quote_body(resp.body));
    if (a.what == verdict::retry) a.retry_after = objstore::retry_after(resp);
    return a;
  }

  // A batch that will not be delivered: behavior.on.error and errors.* decide.
  result<void> refused(const batch& b, const std::vector<const sink_record*>& todo,
                       const std::string& why) {
    const auto& first = *todo[b.records.front()];
    const auto& last = *todo[b.records.back()];
    auto e = make_error(errc::fatal, why);
    if (cfg_.behavior == on_error::log)
      spdlog::warn("{}; skipping {} record(s) (behavior.on.error=log)", why, b.records.size());
    for (auto i : b.records) {
      auto r = ctx_->report(*todo[i], e);
      if (!r && cfg_.behavior == on_error::fail)
        return make_error(
            errc::fatal,
            fmt::format("{}; {} record(s) not delivered ({}-{} offset {}{}); the task fails: "
                        "errors.tolerance=none and behavior.on.error=fail",
                        why, b.records.size(), first.topic, first.kafka_partition.value_or(0),
                        first.kafka_offset,
                        b.records.size() > 1
                            ? fmt::format(" to {}-{} offset {}", last.topic,
                                          last.kafka_partition.value_or(0), last.kafka_offset)
                            : std::string()));
    }
    return ok();
  }

  sink_config cfg_;
  sink_task_context* ctx_ = nullptr;
  std::unique_ptr<objstore::http_session> session_;
  std::mt19937_64 rng_;
  int retries_ = 0;  // of the batch that failed last
  // Records of the current put() already delivered or reported: the
  // runtime hands the same records again after a retriable error.
  std::set<record_id> delivered_;
};

}  // namespace

std::unique_ptr<sink_task> make_http_sink_task() {
  return std::make_unique<http_sink_task>();
}

std::string redact_url(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return "(url)";
  auto host_at = scheme + 3;
  auto end = url.find_first_of("/?#", host_at);
  auto authority = url.substr(host_at, end == std::string_view::npos ? url.npos : end - host_at);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string out = std::string(url.substr(0, host_at)) + std::string(authority);
  if (end != std::string_view::npos) out += "/…";
  return out;
}

}  // namespace runnel::connect::http
