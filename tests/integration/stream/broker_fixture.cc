#include "broker_fixture.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include <fmt/format.h>

namespace runnel::stream::it {

namespace {

using clock = std::chrono::steady_clock;

// A port nobody listens on right now: bind to port 0, read it, close.
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    std::abort();
  ::close(fd);
  return ntohs(a.sin_port);
}

// The `runnel serve` child process of the current test suite.
struct broker_process {
  std::unique_ptr<temp_dir> dir;
  pid_t pid = -1;
  std::string bootstrap;
  std::thread drain;  // keeps reading its stdout so it never blocks on it
};

broker_process* current = nullptr;

std::string start_broker(broker_process& b) {
  b.dir = std::make_unique<temp_dir>("runnel-stream-it-broker");
  b.bootstrap = fmt::format("127.0.0.1:{}", free_port());
  std::string data = (b.dir->path() / "data").string();
  std::string log = (b.dir->path() / "broker.log").string();
  std::vector<std::string> args{RUNNEL_BINARY,
                                "serve",
                                "--data-dir",
                                data,
                                "--listen",
                                b.bootstrap,
                                "--admin-listen",
                                "127.0.0.1:0",
                                "--connect-listen",
                                "off",
                                "--sql-listen",
                                "off",
                                "--set",
                                "group.initial.rebalance.delay.ms=0"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (::pipe(out) != 0) return "pipe failed";
  b.pid = ::fork();
  if (b.pid == 0) {
    // The child: only async-signal-safe calls until exec. The broker dies
    // with the test process, even when a crash skips TearDownTestSuite.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out[1], STDOUT_FILENO);
    if (err >= 0) ::dup2(err, STDERR_FILENO);
    ::close(out[0]);
    ::execv(RUNNEL_BINARY, argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  if (b.pid < 0) {
    ::close(out[0]);
    return "fork failed";
  }
  // Wait for the ready line, generously: a loaded CI machine is slow.
  std::string seen;
  auto deadline = clock::now() + std::chrono::seconds(60);
  bool ready = false;
  while (!ready && clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buf[512];
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
    ready = seen.find("runnel: ready on") != std::string::npos;
  }
  int fd = out[0];
  b.drain = std::thread([fd] {
    char buf[512];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
    ::close(fd);
  });
  if (!ready) return "the broker did not report ready; its stdout: " + seen;
  return {};
}

void stop_broker(broker_process& b) {
  if (b.pid > 0) {
    ::kill(b.pid, SIGTERM);
    auto deadline = clock::now() + std::chrono::seconds(20);
    int status = 0;
    while (::waitpid(b.pid, &status, WNOHANG) == 0) {
      if (clock::now() > deadline) {
        ::kill(b.pid, SIGKILL);
        ::waitpid(b.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // reaping, not syncing
    }
    b.pid = -1;
  }
  if (b.drain.joinable()) b.drain.join();
  b.dir.reset();
}

}  // namespace

int64_t base_time() {
  static const int64_t t = [] {
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    return now / 3'600'000 * 3'600'000 - 3'600'000;
  }();
  return t;
}

temp_dir::temp_dir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

struct run_outcome {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<client::result<void>> result;
};

running_app::running_app(topology t, app_config c)
    : app_(std::make_unique<runnel::stream::app>(std::move(t), std::move(c))),
      outcome_(std::make_shared<run_outcome>()) {
  thread_ = std::thread([a = app_.get(), o = outcome_] {
    auto r = a->run();
    std::lock_guard lock(o->mu);
    o->result = std::move(r);
    o->cv.notify_all();
  });
}

running_app::~running_app() {
  if (thread_.joinable()) (void)stop();
}

client::result<void> running_app::stop() {
  app_->stop();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(outcome_->mu);
  return *outcome_->result;
}

std::optional<client::result<void>> running_app::wait_exit(std::chrono::milliseconds timeout) {
  std::unique_lock lock(outcome_->mu);
  if (!outcome_->cv.wait_for(lock, timeout, [&] { return outcome_->result.has_value(); }))
    return std::nullopt;
  lock.unlock();
  if (thread_.joinable()) thread_.join();
  return outcome_->result;
}

void broker_fixture::SetUpTestSuite() {
  if (current) return;
  current = new broker_process;
  if (auto why = start_broker(*current); !why.empty()) {
    stop_broker(*current);
    delete current;
    current = nullptr;
    FAIL() << why;
  }
}

void broker_fixture::TearDownTestSuite() {
  if (!current) return;
  stop_broker(*current);
  delete current;
  current = nullptr;
}

const std::string& broker_fixture::bootstrap() {
  return current->bootstrap;
}

void broker_fixture::SetUp() {
  ASSERT_NE(current, nullptr) << "no broker";
  state_ = std::make_unique<temp_dir>("runnel-stream-it-state");
  client::admin_options ao;
  ao.client.brokers = bootstrap();
  auto a = client::admin::create(ao);
  ASSERT_TRUE(a) << a.error().message;
  admin_.emplace(std::move(a.value()));
  client::producer_options po;
  po.client.brokers = bootstrap();
  po.acks = "all";
  po.idempotent = true;  // keeps the produce order through retries
  auto p = client::producer::create(po);
  ASSERT_TRUE(p) << p.error().message;
  producer_.emplace(std::move(p.value()));
}

client::admin& broker_fixture::admin() {
  return *admin_;
}

std::string broker_fixture::unique(const std::string& what) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return fmt::format("{}-{}-{}-{}", info ? info->name() : "test", what, ::getpid(), ++counter_);
}

void broker_fixture::create_topic(const std::string& name, int32_t partitions) {
  // Kept whatever the records' timestamps (the far-future flush records too).
  auto r = admin().create_topic(client::new_topic{name, partitions, -1, {{"retention.ms", "-1"}}});
  ASSERT_TRUE(r) << "create " << name << ": " << r.error().message;
}

void broker_fixture::produce(const std::vector<input>& records) {
  for (const auto& in : records) {
    client::outgoing_message m;
    m.topic = in.topic;
    m.partition = runnel::partition_id(in.partition);
    m.key = in.key;
    m.value = in.value;
    m.timestamp = runnel::timestamp(in.timestamp);
    auto r = producer_->send(m);
    ASSERT_TRUE(r) << r.error().message;
  }
  auto f = producer_->flush(std::chrono::seconds(60));
  ASSERT_TRUE(f) << f.error().message;
}

app_config broker_fixture::config(const std::string& application_id) {
  app_config c;
  c.application_id = application_id;
  c.brokers = bootstrap();
  c.state_dir = state_->path() / application_id;
  c.commit_interval = std::chrono::milliseconds(200);
  c.handle_signals = false;
  return c;
}

void broker_fixture::wait_caught_up(const std::string& application_id,
                                    const std::vector<std::string>& topics,
                                    std::chrono::seconds timeout) {
  std::string why;
  auto deadline = clock::now() + timeout;
  while (clock::now() < deadline) {
    // The app's repartition topics appear once it has started.
    std::vector<std::string> all = topics;
    if (auto md = admin().metadata(); md) {
      for (const auto& t : md.value().topics)
        if (t.name.rfind(application_id + "-", 0) == 0 && t.name.ends_with("-repartition"))
          all.push_back(t.name);
    }
    bool done = true;
    for (const auto& topic : all) {
      auto ends = admin().offsets(topic);
      auto committed = admin().committed_offsets(application_id, topic);
      if (!ends || !committed) {
        done = false;
        why = "cannot read offsets of " + topic;
        break;
      }
      for (const auto& e : ends.value()) {
        if (e.end() == 0) continue;
        int64_t at = -1;
        for (const auto& c : committed.value())
          if (c.partition == e.partition) at = c.offset();
        if (at < e.end()) {
          done = false;
          why = fmt::format("{}-{} committed {} of {}", topic, e.partition(), at, e.end());
        }
      }
      if (!done) break;
    }
    if (done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling the broker's state
  }
  FAIL() << application_id << " did not catch up: " << why;
}

std::vector<output> broker_fixture::read_all(const std::string& topic) {
  auto offsets = admin().offsets(topic);
  EXPECT_TRUE(offsets) << topic << ": " << offsets.error().message;
  if (!offsets) return {};
  size_t total = 0;
  for (const auto& o : offsets.value()) total += static_cast<size_t>(o.end() - o.start());
  return read_until(topic, total);
}

std::vector<output> broker_fixture::read_until(const std::string& topic, size_t count,
                                               std::chrono::seconds timeout) {
  std::vector<output> out;
  auto info = admin().describe_topic(topic);
  EXPECT_TRUE(info) << topic << ": " << info.error().message;
  if (!info) return out;
  client::consumer_options co;
  co.client.brokers = bootstrap();
  co.auto_offset_reset = "earliest";
  auto c = client::consumer::create(co);
  EXPECT_TRUE(c) << c.error().message;
  if (!c) return out;
  std::vector<client::partition_assignment> parts;
  for (const auto& p : info.value().partitions)
    parts.push_back({topic, p.id, client::start_position::beginning()});
  auto a = c.value().assign(parts);
  EXPECT_TRUE(a) << a.error().message;
  auto deadline = clock::now() + timeout;
  while (out.size() < count && clock::now() < deadline) {
    auto n = c.value().poll_batch(std::chrono::milliseconds(200), 10000,
                                  [&](const client::message_view& m) {
                                    output o;
                                    o.partition = m.partition();
                                    o.offset = m.offset();
                                    o.timestamp = m.timestamp();
                                    if (m.key) o.key.emplace(*m.key);
                                    if (m.value) o.value.emplace(*m.value);
                                    o.headers = m.headers();
                                    out.push_back(std::move(o));
                                  });
    if (!n && !client::is_transient(n.error())) {
      ADD_FAILURE() << topic << ": " << n.error().message;
      break;
    }
  }
  EXPECT_GE(out.size(), count) << "timed out reading " << topic;
  std::stable_sort(out.begin(), out.end(), [](const output& a, const output& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  return out;
}

uint64_t broker_fixture::late_records(const app_metrics& m) {
  uint64_t n = 0;
  for (const auto& t : m.tasks) n += t.late_records;
  return n;
}

}  // namespace runnel::stream::it
