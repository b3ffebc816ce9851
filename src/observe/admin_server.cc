#include "observe/admin_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <charconv>
#include <future>
#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "observe/exposition.h"
#include "observe/log_level.h"

namespace runnel::observe {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using asio::ip::tcp;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

namespace {

constexpr auto idle_timeout = std::chrono::seconds(30);
constexpr int max_sessions = 64;

constexpr const char* index_text =
    "runnel admin\n"
    "  GET /metrics       Prometheus metrics\n"
    "  GET /health        200 while alive\n"
    "  GET /ready         200 when serving\n"
    "  GET /v1/loglevel   the log level\n"
    "  PUT /v1/loglevel?level=debug[&expires=SECONDS]\n";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out += char(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The value of `key` in a query string "a=1&b=2".
std::optional<std::string> query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    auto eq = part.find('=');
    if (percent_decode(part.substr(0, eq)) == key)
      return eq == std::string_view::npos ? std::string() : percent_decode(part.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

response text(const request& req, http::status st, std::string body,
              const char* type = "text/plain; charset=utf-8") {
  response r{st, req.version()};
  r.set(http::field::server, "runnel");
  r.set(http::field::content_type, type);
  r.set(http::field::cache_control, "no-store");
  r.body() = std::move(body);
  return r;
}

response json(const request& req, http::status st, const nlohmann::json& j) {
  return text(req, st, j.dump() + "\n", "application/json");
}

response not_allowed(const request& req, const char* allow) {
  auto r = text(req, http::status::method_not_allowed,
                std::string(req.method_string()) + " is not allowed here; use " + allow + "\n");
  r.set(http::field::allow, allow);
  return r;
}

}  // namespace

struct admin_server::impl {
  explicit impl(admin_options o)
      : opts(std::move(o)), reg(opts.metrics ? opts.metrics : &registry::global()) {}

  admin_options opts;
  registry* reg;
  // Declared before the scrape pool: a scrape finishing during stop()
  // completes onto this context, which must still exist.
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  // Brings the previous log level back after a PUT with `expires`.
  asio::steady_timer level_timer{ioc};
  uint64_t level_generation = 0;
  asio::thread_pool scrape_pool{1};
  // Runs options.api (which may block); only when it is set.
  std::optional<asio::thread_pool> api_pool;
  std::thread thread;
  uint16_t bound_port = 0;
  int sessions = 0;
  bool stopped = false;

  asio::awaitable<response> handle(const request& req);
  response log_level(const request& req, std::string_view query);
  void revert_level_after(std::chrono::seconds d, spdlog::level::level_enum previous);
};

namespace {

asio::awaitable<std::string> scrape(registry* r) {
  co_return r->expose();
}

asio::awaitable<std::optional<http_reply>> call_api(const api_handler* api, http_call call) {
  co_return (*api)(call);
}

asio::awaitable<void> session(admin_server::impl* s, tcp::socket sock) {
  ++s->sessions;
  beast::tcp_stream stream(std::move(sock));
  beast::flat_buffer buf;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(s->opts.max_body_bytes);
    stream.expires_after(idle_timeout);
    auto [ec, n] = co_await http::async_read(stream, buf, parser, asio::as_tuple(use_awaitable));
    if (ec) break;
    const request& req = parser.get();
    response res = co_await s->handle(req);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    stream.expires_after(idle_timeout);
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(use_awaitable));
    if (wec || !res.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  --s->sessions;
}

asio::awaitable<void> accept_loop(admin_server::impl* s) {
  asio::steady_timer backoff(s->ioc);
  for (;;) {
    auto [ec, sock] = co_await s->acceptor.async_accept(asio::as_tuple(use_awaitable));
    if (ec) {
      if (s->stopped || !s->acceptor.is_open()) co_return;
      // Out of descriptors, most likely: do not spin.
      spdlog::warn("admin: accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::as_tuple(use_awaitable));
      continue;
    }
    if (s->sessions >= max_sessions) continue;  // closes it
    asio::co_spawn(s->ioc, session(s, std::move(sock)), asio::detached);
  }
}

}  // namespace

asio::awaitable<response> admin_server::impl::handle(const request& req) {
  const std::string_view target(req.target().data(), req.target().size());
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  const bool get = req.method() == http::verb::get;

  if (opts.api) {
    http_call call{std::string(req.method_string()), std::string(target), req.body()};
    auto reply =
        co_await asio::co_spawn(*api_pool, call_api(&opts.api, std::move(call)), use_awaitable);
    if (reply) {
      response r{http::status(reply->status), req.version()};
      r.set(http::field::server, "runnel");
      if (!reply->body.empty()) r.set(http::field::content_type, reply->content_type);
      r.body() = std::move(reply->body);
      co_return r;
    }
  }

  if (path == "/metrics") {
    if (!get) co_return not_allowed(req, "GET");
    auto body = co_await asio::co_spawn(scrape_pool, scrape(reg), use_awaitable);
    co_return text(req, http::status::ok, std::move(body), text_content_type);
  }
  if (path == "/health" || path == "/ready") {
    if (!get) co_return not_allowed(req, "GET");
    const auto& check = path == "/health" ? opts.alive : opts.ready;
    status st = check ? check() : status{};
    if (st.ok) co_return text(req, http::status::ok, path == "/health" ? "ok\n" : "ready\n");
    co_return text(req, http::status::service_unavailable,
                   (path == "/health" ? "unhealthy: " : "not ready: ") + st.detail + "\n");
  }
  if (path == "/v1/loglevel") co_return log_level(req, query);
  if (path == "/") {
    if (!get) co_return not_allowed(req, "GET");
    co_return text(req, http::status::ok, index_text);
  }
  co_return text(req, http::status::not_found,
                 "no such endpoint: " + std::string(path) + "\n\n" + index_text);
}

response admin_server::impl::log_level(const request& req, std::string_view query) {
  if (req.method() == http::verb::get)
    return json(req, http::status::ok, {{"level", level_name(current_level())}});
  if (req.method() != http::verb::put) return not_allowed(req, "GET, PUT");

  std::optional<std::string> level = query_param(query, "level");
  std::optional<std::string> expires = query_param(query, "expires");
  if (!req.body().empty()) {
    auto j = nlohmann::json::parse(req.body(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return json(req, http::status::bad_request, {{"error", "the body must be a JSON object"}});
    if (j.contains("level")) {
      if (!j["level"].is_string())
        return json(req, http::status::bad_request, {{"error", "level must be a string"}});
      level = j["level"].get<std::string>();
    }
    if (j.contains("expires")) {
      if (!j["expires"].is_number_integer())
        return json(req, http::status::bad_request,
                    {{"error", "expires must be a whole number of seconds"}});
      expires = std::to_string(j["expires"].get<int64_t>());
    }
  }
  if (!level)
    return json(req, http::status::bad_request,
                {{"error", "say which level: ?level=trace|debug|info|warn|error|critical|off"}});
  auto l = parse_level(*level);
  if (!l)
    return json(req, http::status::bad_request,
                {{"error", "unknown level '" + *level +
                               "'; one of trace, debug, info, warn, error, critical, off"}});
  int64_t secs = 0;
  if (expires && !expires->empty()) {
    auto [p, ec] = std::from_chars(expires->data(), expires->data() + expires->size(), secs);
    if (ec != std::errc() || p != expires->data() + expires->size() || secs < 0 ||
        secs > 7 * 24 * 3600)
      return json(req, http::status::bad_request,
                  {{"error", "expires must be 0..604800 seconds, got '" + *expires + "'"}});
  }
  const auto previous = current_level();
  set_level(*l);
  // At a level the new setting shows (nothing when it is off).
  spdlog::log(std::max(*l, spdlog::level::info), "admin: log level set to {} (was {}){}",
              level_name(*l), level_name(previous),
              secs > 0 ? fmt::format(", for {} s", secs) : "");
  ++level_generation;  // a newer PUT cancels an older expiry
  level_timer.cancel();
  if (secs > 0) revert_level_after(std::chrono::seconds(secs), previous);
  nlohmann::json out{{"level", level_name(*l)}, {"previous", level_name(previous)}};
  if (secs > 0) out["expires"] = secs;
  return json(req, http::status::ok, out);
}

void admin_server::impl::revert_level_after(std::chrono::seconds d,
                                            spdlog::level::level_enum previous) {
  level_timer.expires_after(d);
  const uint64_t gen = level_generation;
  level_timer.async_wait([this, gen, previous](const boost::system::error_code& ec) {
    if (ec || gen != level_generation) return;
    set_level(previous);
    spdlog::info("admin: log level back to {} (expired)", level_name(previous));
  });
}

admin_server::admin_server(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

admin_server::~admin_server() {
  stop();
}

uint16_t admin_server::port() const {
  return impl_->bound_port;
}

result<std::unique_ptr<admin_server>> admin_server::start(admin_options o) {
  auto s = std::make_unique<impl>(std::move(o));
  if (s->opts.api) s->api_pool.emplace(size_t(std::max(1, s->opts.api_threads)));
  boost::system::error_code ec;
  tcp::resolver resolver(s->ioc);
  auto eps = resolver.resolve(s->opts.host, std::to_string(s->opts.port),
                              tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || eps.empty()) {
    spdlog::error("admin: cannot resolve {}: {}", s->opts.host, ec.message());
    return std::make_error_code(std::errc::invalid_argument);
  }
  const tcp::endpoint ep = *eps.begin();
  s->acceptor.open(ep.protocol(), ec);
  if (!ec) s->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s->acceptor.bind(ep, ec);
  if (!ec) s->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::error("admin: cannot listen on {}:{}: {}", s->opts.host, s->opts.port, ec.message());
    return std::error_code(ec.value(), std::system_category());
  }
  s->bound_port = s->acceptor.local_endpoint().port();
  asio::co_spawn(s->ioc, accept_loop(s.get()), asio::detached);
  auto* raw = s.get();
  s->thread = std::thread([raw] { raw->ioc.run(); });
  spdlog::info("admin: serving /metrics, /health, /ready, /v1/loglevel on {}:{}", s->opts.host,
               s->bound_port);
  return std::unique_ptr<admin_server>(new admin_server(std::move(s)));
}

void admin_server::stop() {
  auto& s = *impl_;
  if (!s.thread.joinable()) return;
  std::promise<void> closed;
  asio::post(s.ioc, [&] {
    s.stopped = true;
    boost::system::error_code ec;
    s.acceptor.close(ec);
    s.level_timer.cancel();
    closed.set_value();
  });
  closed.get_future().wait_for(std::chrono::seconds(5));
  s.ioc.stop();
  s.thread.join();
  s.scrape_pool.join();
  if (s.api_pool) s.api_pool->join();
}

std::optional<std::pair<std::string, uint16_t>> parse_host_port(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string host(s.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port_s = s.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), port);
  if (host.empty() || port_s.empty() || ec != std::errc() || p != port_s.data() + port_s.size() ||
      port > 65535)
    return std::nullopt;
  return std::make_pair(std::move(host), uint16_t(port));
}

}  // namespace runnel::observe
