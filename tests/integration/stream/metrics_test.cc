// A stream app's admin server against a real broker: /metrics holds the
// app's metrics (records processed, commit and process latency, lateness,
// store sizes, restore progress), /ready follows the app's state, and every
// stream metric the Grafana dashboard (docs/monitoring/grafana-runnel.json)
// queries is exported.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "broker_fixture.h"

namespace runnel::stream::it {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct reply {
  int status = 0;
  std::string body;
};

reply get(uint16_t port, const std::string& target) {
  asio::io_context ioc;
  beast::tcp_stream s(ioc);
  s.expires_after(std::chrono::seconds(10));
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(s, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  return {int(res.result_int()), res.body()};
}

// The sum of every sample of `name` whose labels include all of `labels`
// (`k="v"` strings); nullopt if there is none.
std::optional<double> sum(const std::string& text, const std::string& name,
                          const std::vector<std::string>& labels) {
  std::optional<double> total;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    const std::string series = line.substr(0, space);
    const auto brace = series.find('{');
    if (series.substr(0, brace) != name) continue;
    bool match = true;
    for (const auto& l : labels) match = match && series.find(l) != std::string::npos;
    if (!match) continue;
    total = total.value_or(0) + std::stod(line.substr(space + 1));
  }
  return total;
}

bool eventually(const std::function<bool()>& cond, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return cond();
}

class app_metrics_http : public broker_fixture {};

topology counting(const std::string& in, const std::string& out) {
  builder b;
  b.stream<std::string, std::string>(in)
      .group_by_key()
      .count(materialized<int64_t>{"counts", std::nullopt})
      .to_stream()
      .to(out);
  return b.build();
}

std::vector<input> records(const std::string& topic, int n, int64_t t0) {
  std::vector<input> r;
  for (int i = 0; i < n; ++i)
    r.push_back({topic, "k" + std::to_string(i % 10), "v", t0 + i, int32_t(i % 2)});
  return r;
}

// The stream metric names the dashboard's queries use.
std::set<std::string> dashboard_stream_metrics() {
  std::ifstream f(RUNNEL_SOURCE_DIR "/docs/monitoring/grafana-runnel.json");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  std::set<std::string> out;
  static const std::regex re("runnel_stream_[a-z_]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it)
    out.insert(it->str());
  return out;
}

TEST_F(app_metrics_http, serves_the_apps_metrics_and_follows_its_state) {
  std::string in = unique("in"), out = unique("out"), id = unique("app");
  create_topic(in, 2);
  create_topic(out, 2);
  auto c = config(id);
  c.admin_listen = "127.0.0.1:0";
  running_app app(counting(in, out), c);
  ASSERT_TRUE(eventually([&] { return app.get().admin_port() != 0; }, std::chrono::seconds(30)));
  const uint16_t port = app.get().admin_port();
  ASSERT_TRUE(
      eventually([&] { return get(port, "/ready").status == 200; }, std::chrono::seconds(60)));
  EXPECT_EQ(get(port, "/health").status, 200);

  const int64_t t0 = base_time();
  produce(records(in, 200, t0));
  // Out of order on partition 0: 50 ms behind its stream time.
  produce({{in, "k0", "late", t0 + 198 - 50, 0}});
  wait_caught_up(id, {in});

  const std::string app_l = "application=\"" + id + "\"";
  std::string text;
  ASSERT_TRUE(eventually(
      [&] {
        text = get(port, "/metrics").body;
        return sum(text, "runnel_stream_records_processed_total", {app_l}) == 201.0;
      },
      std::chrono::seconds(30)))
      << text;
  EXPECT_EQ(sum(text, "runnel_stream_tasks", {app_l}), 2.0);
  EXPECT_EQ(sum(text, "runnel_stream_state", {app_l, "state=\"RUNNING\""}), 1.0);
  EXPECT_EQ(sum(text, "runnel_stream_state", {app_l}), 1.0);  // one state at a time
  EXPECT_GE(sum(text, "runnel_stream_commits_total", {app_l}).value_or(0), 1.0);
  EXPECT_GE(sum(text, "runnel_stream_commit_latency_seconds_count", {app_l}).value_or(0), 1.0);
  EXPECT_GE(sum(text, "runnel_stream_process_latency_seconds_count", {app_l}).value_or(0), 10.0);
  EXPECT_EQ(sum(text, "runnel_stream_record_lateness_seconds_count", {app_l}), 1.0);
  EXPECT_EQ(sum(text, "runnel_stream_record_lateness_seconds_sum", {app_l}), 0.05);
  EXPECT_EQ(sum(text, "runnel_stream_records_produced_total", {app_l}), 201.0);
  EXPECT_GT(sum(text, "runnel_stream_state_store_bytes", {app_l, "store=\"counts\""}).value_or(0),
            0.0);
  EXPECT_TRUE(sum(text, "runnel_stream_state_store_entries", {app_l, "store=\"counts\""}));
  EXPECT_EQ(sum(text, "runnel_stream_late_records_dropped_total", {app_l}), 0.0);
  EXPECT_EQ(sum(text, "runnel_stream_skipped_records_total", {app_l}), 0.0);
  EXPECT_TRUE(sum(text, "process_cpu_seconds_total", {}));
  // Task lag is checked every 10 s.
  ASSERT_TRUE(eventually(
      [&] {
        text = get(port, "/metrics").body;
        return sum(text, "runnel_stream_task_lag", {app_l}) == 0.0;
      },
      std::chrono::seconds(30)))
      << text;

  // Every stream metric the dashboard uses is exported (restore progress
  // appears once a store restores: the next test).
  for (const auto& m : dashboard_stream_metrics()) {
    if (m.rfind("runnel_stream_restore", 0) == 0) continue;
    EXPECT_NE(text.find("\n" + m), std::string::npos) << m << " is not exported";
  }

  ASSERT_TRUE(app.stop());
  // The server stays while the app object does: not ready, still alive.
  auto r = get(port, "/ready");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: NOT_RUNNING\n");
  EXPECT_EQ(get(port, "/health").status, 200);
}

TEST_F(app_metrics_http, restore_progress_counts_the_changelog) {
  std::string in = unique("in"), out = unique("out"), id = unique("app");
  create_topic(in, 2);
  create_topic(out, 2);
  auto c = config(id);
  {
    running_app app(counting(in, out), c);
    produce(records(in, 100, base_time()));
    wait_caught_up(id, {in});
    ASSERT_TRUE(app.stop());
  }
  std::filesystem::remove_all(c.state_dir);  // the restart restores from the changelog
  auto ends = admin().offsets(id + "-counts-changelog");
  ASSERT_TRUE(ends) << ends.error().message;
  int64_t changelog_records = 0;
  for (const auto& o : ends.value()) changelog_records += o.end.value - o.start.value;
  ASSERT_GT(changelog_records, 0);

  c.admin_listen = "127.0.0.1:0";
  running_app app(counting(in, out), c);
  ASSERT_TRUE(eventually([&] { return app.get().admin_port() != 0; }, std::chrono::seconds(30)));
  const uint16_t port = app.get().admin_port();
  ASSERT_TRUE(
      eventually([&] { return get(port, "/ready").status == 200; }, std::chrono::seconds(60)));
  const std::string app_l = "application=\"" + id + "\"";
  const std::string text = get(port, "/metrics").body;
  EXPECT_EQ(sum(text, "runnel_stream_restored_records_total", {app_l, "store=\"counts\""}),
            double(changelog_records))
      << text;
  EXPECT_EQ(sum(text, "runnel_stream_restore_remaining_records", {app_l}), 0.0);
  for (const auto& m : dashboard_stream_metrics()) {
    if (m.rfind("runnel_stream_restore", 0) != 0) continue;
    EXPECT_NE(text.find("\n" + m), std::string::npos) << m << " is not exported";
  }
  ASSERT_TRUE(app.stop());
}

TEST_F(app_metrics_http, a_bad_or_busy_admin_address_fails_run) {
  std::string in = unique("in"), out = unique("out");
  create_topic(in);
  auto c = config(unique("app"));
  c.admin_listen = "nonsense";
  app a(counting(in, out), c);
  auto r = a.run();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("admin_listen expects HOST:PORT"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(a.state(), app_state::failed);

  asio::io_context ioc;
  asio::ip::tcp::acceptor taken(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  c.admin_listen = "127.0.0.1:" + std::to_string(taken.local_endpoint().port());
  app b(counting(in, out), c);
  r = b.run();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot start the admin server"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace runnel::stream::it
