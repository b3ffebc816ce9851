// The admin server over real HTTP on a loopback port.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "observe/admin_server.h"
#include "observe/exposition.h"
#include "observe/log_level.h"

namespace runnel::observe {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct reply {
  int status = 0;
  std::string content_type;
  std::string allow;
  std::string body;
};

// One request on its own connection.
reply call(uint16_t port, http::verb method, const std::string& target, std::string body = "") {
  asio::io_context ioc;
  beast::tcp_stream s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  s.expires_after(std::chrono::seconds(10));
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.body() = std::move(body);
  req.prepare_payload();
  http::write(s, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  return {int(res.result_int()), std::string(res[http::field::content_type]),
          std::string(res[http::field::allow]), res.body()};
}

class AdminServer : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_level_ = current_level();
    reg_.counter("test_scrapes_total", "h").inc(3);
    admin_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.metrics = &reg_;
    o.ready = [this] { return ready_.load() ? status{} : status{false, "recovering logs"}; };
    o.alive = [this] { return alive_.load() ? status{} : status{false, "fsync failed"}; };
    auto s = admin_server::start(std::move(o));
    ASSERT_TRUE(s) << s.error().message();
    server_ = std::move(s).value();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    server_.reset();
    set_level(saved_level_);
  }

  registry reg_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> alive_{true};
  std::unique_ptr<admin_server> server_;
  uint16_t port_ = 0;
  spdlog::level::level_enum saved_level_{};
};

TEST_F(AdminServer, MetricsServesTheRegistryAsPrometheusText) {
  auto r = call(port_, http::verb::get, "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, text_content_type);
  EXPECT_EQ(r.body, reg_.expose());
  EXPECT_NE(r.body.find("test_scrapes_total 3\n"), std::string::npos);
}

TEST_F(AdminServer, HealthAndReadyFollowTheirChecks) {
  EXPECT_EQ(call(port_, http::verb::get, "/health").status, 200);
  auto r = call(port_, http::verb::get, "/ready");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: recovering logs\n");
  ready_ = true;
  r = call(port_, http::verb::get, "/ready");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ready\n");
  alive_ = false;
  r = call(port_, http::verb::get, "/health");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "unhealthy: fsync failed\n");
}

TEST_F(AdminServer, LogLevelReadsAndSets) {
  set_level(spdlog::level::info);
  auto r = call(port_, http::verb::get, "/v1/loglevel");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{\"level\":\"info\"}\n");

  r = call(port_, http::verb::put, "/v1/loglevel?level=debug");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{\"level\":\"debug\",\"previous\":\"info\"}\n");
  EXPECT_EQ(current_level(), spdlog::level::debug);
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);

  r = call(port_, http::verb::put, "/v1/loglevel", R"({"level":"WARN"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(current_level(), spdlog::level::warn);
}

TEST_F(AdminServer, LogLevelRejectsBadInputAndKeepsTheLevel) {
  set_level(spdlog::level::info);
  for (const char* target :
       {"/v1/loglevel?level=loud", "/v1/loglevel", "/v1/loglevel?level=debug&expires=-1",
        "/v1/loglevel?level=debug&expires=x"}) {
    auto r = call(port_, http::verb::put, target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_NE(r.body.find("\"error\""), std::string::npos) << r.body;
  }
  auto r = call(port_, http::verb::put, "/v1/loglevel", "{not json");
  EXPECT_EQ(r.status, 400);
  r = call(port_, http::verb::put, "/v1/loglevel", R"({"level":7})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(current_level(), spdlog::level::info);
}

TEST_F(AdminServer, LogLevelWithExpiresComesBack) {
  set_level(spdlog::level::info);
  auto r = call(port_, http::verb::put, "/v1/loglevel?level=trace&expires=1");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{\"expires\":1,\"level\":\"trace\",\"previous\":\"info\"}\n");
  EXPECT_EQ(current_level(), spdlog::level::trace);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (current_level() != spdlog::level::info && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(current_level(), spdlog::level::info);
}

TEST_F(AdminServer, ALaterSetCancelsAnEarlierExpiry) {
  set_level(spdlog::level::info);
  EXPECT_EQ(call(port_, http::verb::put, "/v1/loglevel?level=trace&expires=1").status, 200);
  EXPECT_EQ(call(port_, http::verb::put, "/v1/loglevel?level=error").status, 200);
  // Past the first expiry, the second (permanent) setting still holds.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(current_level(), spdlog::level::err);
}

TEST_F(AdminServer, UnknownPathsAndMethods) {
  auto r = call(port_, http::verb::get, "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("/metrics"), std::string::npos);
  r = call(port_, http::verb::post, "/metrics");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET");
  r = call(port_, http::verb::delete_, "/v1/loglevel");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET, PUT");
  EXPECT_EQ(call(port_, http::verb::get, "/").status, 200);
}

TEST_F(AdminServer, KeepsTheConnectionAliveAcrossRequests) {
  asio::io_context ioc;
  beast::tcp_stream s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  s.expires_after(std::chrono::seconds(10));
  beast::flat_buffer buf;
  for (const char* target : {"/health", "/metrics", "/v1/loglevel"}) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "x");
    http::write(s, req);
    http::response<http::string_body> res;
    http::read(s, buf, res);
    EXPECT_EQ(res.result_int(), 200u) << target;
    EXPECT_TRUE(res.keep_alive());
  }
}

TEST_F(AdminServer, ABodyOverTheLimitClosesTheConnection) {
  asio::io_context ioc;
  beast::tcp_stream s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  s.expires_after(std::chrono::seconds(10));
  http::request<http::string_body> req{http::verb::put, "/v1/loglevel", 11};
  req.set(http::field::host, "x");
  req.body() = std::string(1 << 20, 'x');
  req.prepare_payload();
  beast::error_code ec;
  http::write(s, req, ec);  // may fail part-way once the server closes
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res, ec);
  EXPECT_TRUE(ec) << "got a response: " << res.result_int();
  // And the server still serves.
  EXPECT_EQ(call(port_, http::verb::get, "/health").status, 200);
}

TEST(AdminServerStart, ReportsAPortInUse) {
  registry reg;
  admin_options o;
  o.port = 0;
  o.metrics = &reg;
  auto first = admin_server::start(o);
  ASSERT_TRUE(first);
  o.port = first.value()->port();
  auto second = admin_server::start(o);
  EXPECT_FALSE(second);
  if (!second) {
    EXPECT_EQ(second.error(), std::errc::address_in_use);
  }
}

TEST(AdminServerStart, StopIsIdempotent) {
  registry reg;
  admin_options o;
  o.port = 0;
  o.metrics = &reg;
  auto s = admin_server::start(o);
  ASSERT_TRUE(s);
  s.value()->stop();
  s.value()->stop();
}

TEST(ParseHostPort, AcceptsHostsAndBracketedIpv6) {
  EXPECT_EQ(parse_host_port("127.0.0.1:9644"),
            std::make_pair(std::string("127.0.0.1"), uint16_t(9644)));
  EXPECT_EQ(parse_host_port("localhost:0"), std::make_pair(std::string("localhost"), uint16_t(0)));
  EXPECT_EQ(parse_host_port("[::1]:80"), std::make_pair(std::string("::1"), uint16_t(80)));
  EXPECT_FALSE(parse_host_port("9644"));
  EXPECT_FALSE(parse_host_port(":9644"));
  EXPECT_FALSE(parse_host_port("host:"));
  EXPECT_FALSE(parse_host_port("host:65536"));
  EXPECT_FALSE(parse_host_port("host:12ab"));
}

}  // namespace
}  // namespace runnel::observe
