// bench/peers/redis_load: load client for Redis Streams, the Redis side of
// bench/compare. Messages are XADDed to 16 streams (b:p0..b:p15, the analogue
// of 16 partitions), round-robin, over --clients connections, each keeping
// --pipeline commands in flight. Prints one JSON object on the last line with
// the fields `runnel bench` prints (count, seconds, msgs_per_s, mb_per_s,
// p50_ms ... max_ms).
//
// Modes:
//   produce  as fast as possible for --duration-ms, or --count messages;
//            latency: reply time minus the time its pipelined batch was sent
//   consume  XREAD (non-blocking, COUNT 1000 per stream) from the start of
//            every stream on one connection until all entries present at the
//            start are read; latency fields are 0
//   e2e      producers send on a fixed schedule (--rate msgs/s over all
//            clients) with the intended send time (CLOCK_MONOTONIC ns) in the
//            first 8 bytes; a reader thread XREAD BLOCKs on all streams;
//            latency = receive time minus intended send time
// Build: g++ -O2 -std=c++20 -pthread redis_load.cc -lhiredis
#include <hiredis/hiredis.h>

#include <time.h>
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int streams = 16;

struct options {
  int port = 6379;
  std::string mode = "produce";
  size_t message_bytes = 1024;
  long duration_ms = 10000;
  long count = 0;  // 0: run for duration_ms
  double rate = 0;
  int clients = 2;
  int pipeline = 256;
};

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "redis_load: %s\n", what.c_str());
  std::exit(1);
}

redisContext* connect(const options& o) {
  redisContext* c = redisConnect("127.0.0.1", o.port);
  if (c == nullptr || c->err) die(std::string("connect: ") + (c ? c->errstr : "out of memory"));
  return c;
}

redisReply* get_reply(redisContext* c) {
  void* r = nullptr;
  if (redisGetReply(c, &r) != REDIS_OK) die(std::string("reply: ") + c->errstr);
  auto* reply = static_cast<redisReply*>(r);
  if (reply->type == REDIS_REPLY_ERROR) die(std::string("server: ") + reply->str);
  return reply;
}

std::string random_payload(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, 'A');
  for (auto& ch : s) ch = char('A' + rng() % 26);
  return s;
}

std::string key(int p) {
  return "b:p" + std::to_string(p);
}

// Latencies in ns from every thread; percentiles at the end.
struct samples {
  std::mutex mu;
  std::vector<int64_t> all;
  void add(std::vector<int64_t>& mine) {
    std::lock_guard lock(mu);
    all.insert(all.end(), mine.begin(), mine.end());
  }
};

void report(long count, double seconds, size_t bytes, std::vector<int64_t>& lat) {
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    if (lat.empty()) return 0.0;
    size_t i = std::min(lat.size() - 1, size_t(p / 100.0 * double(lat.size())));
    return double(lat[i]) / 1e6;
  };
  std::printf(
      "{\"count\":%ld,\"seconds\":%.3f,\"msgs_per_s\":%.0f,\"mb_per_s\":%.1f,\"p50_ms\":%.3f,"
      "\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f}\n",
      count, seconds, double(count) / seconds, double(count) * double(bytes) / seconds / 1e6,
      pct(50), pct(90), pct(99), pct(99.9), lat.empty() ? 0.0 : double(lat.back()) / 1e6);
}

void produce(const options& o) {
  std::atomic<long> total{0};
  samples lat;
  int64_t start = now_ns(), deadline = start + o.duration_ms * 1000000;
  std::vector<std::thread> threads;
  for (int t = 0; t < o.clients; t++) {
    threads.emplace_back([&, t] {
      redisContext* c = connect(o);
      std::string payload = random_payload(o.message_bytes, t + 1);
      std::vector<std::string> keys;
      for (int p = 0; p < streams; p++) keys.push_back(key(p));
      long quota = o.count ? o.count / o.clients + (t < o.count % o.clients) : -1;
      long sent = 0;
      std::vector<int64_t> mine;
      unsigned seq = t;
      while (quota < 0 ? now_ns() < deadline : sent < quota) {
        long n = o.pipeline;
        if (quota >= 0) n = std::min(n, quota - sent);
        int64_t t0 = now_ns();
        for (long i = 0; i < n; i++) {
          const std::string& k = keys[seq++ % streams];
          redisAppendCommand(c, "XADD %b * v %b", k.data(), k.size(), payload.data(),
                             payload.size());
        }
        for (long i = 0; i < n; i++) freeReplyObject(get_reply(c));
        int64_t t1 = now_ns();
        if (quota < 0) mine.insert(mine.end(), size_t(n), t1 - t0);
        sent += n;
      }
      total += sent;
      lat.add(mine);
      redisFree(c);
    });
  }
  for (auto& th : threads) th.join();
  report(total, double(now_ns() - start) / 1e9, o.message_bytes, lat.all);
}

void consume(const options& o) {
  redisContext* c = connect(o);
  long expected = 0;
  for (int p = 0; p < streams; p++) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "XLEN %s", key(p).c_str()));
    if (r == nullptr) die("XLEN failed");
    expected += r->integer;
    freeReplyObject(r);
  }
  std::vector<std::string> ids(streams, "0-0");
  long got = 0;
  size_t bytes = 0;
  int64_t start = now_ns();
  while (got < expected) {
    std::vector<std::string> args = {"XREAD", "COUNT", "1000", "STREAMS"};
    for (int p = 0; p < streams; p++) args.push_back(key(p));
    for (int p = 0; p < streams; p++) args.push_back(ids[p]);
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (auto& a : args) argv.push_back(a.c_str()), lens.push_back(a.size());
    auto* r =
        static_cast<redisReply*>(redisCommandArgv(c, int(argv.size()), argv.data(), lens.data()));
    if (r == nullptr || r->type == REDIS_REPLY_ERROR) die("XREAD failed");
    if (r->type != REDIS_REPLY_ARRAY) die("XREAD: stream ended early");
    for (size_t s = 0; s < r->elements; s++) {
      redisReply* stream = r->element[s];
      int p = std::atoi(stream->element[0]->str + 3);
      redisReply* entries = stream->element[1];
      for (size_t e = 0; e < entries->elements; e++) {
        redisReply* entry = entries->element[e];
        bytes += entry->element[1]->element[1]->len;
        got++;
      }
      if (entries->elements) ids[p] = entries->element[entries->elements - 1]->element[0]->str;
    }
    freeReplyObject(r);
  }
  double seconds = double(now_ns() - start) / 1e9;
  std::vector<int64_t> none;
  report(got, seconds, got ? bytes / size_t(got) : o.message_bytes, none);
}

void e2e(const options& o) {
  if (o.rate <= 0) die("e2e needs --rate");
  std::atomic<long> sent_total{0};
  std::atomic<bool> producers_done{false};
  int64_t start = now_ns() + 200000000;  // readers are blocking by then
  int64_t end = start + o.duration_ms * 1000000;
  std::vector<int64_t> lat;
  lat.reserve(size_t(o.rate * double(o.duration_ms) / 1000 * 1.1) + 1024);
  long received = 0;
  int64_t last_receive = 0;
  std::thread reader([&] {
    redisContext* c = connect(o);
    std::vector<std::string> ids(streams, "0-0");
    int64_t give_up = 0;
    for (;;) {
      if (producers_done && received >= sent_total) break;
      if (producers_done && give_up == 0) give_up = now_ns() + 5000000000;
      if (give_up && now_ns() > give_up) break;
      std::vector<std::string> args = {"XREAD", "COUNT", "1000", "BLOCK", "100", "STREAMS"};
      for (int p = 0; p < streams; p++) args.push_back(key(p));
      for (int p = 0; p < streams; p++) args.push_back(ids[p]);
      std::vector<const char*> argv;
      std::vector<size_t> lens;
      for (auto& a : args) argv.push_back(a.c_str()), lens.push_back(a.size());
      auto* r =
          static_cast<redisReply*>(redisCommandArgv(c, int(argv.size()), argv.data(), lens.data()));
      if (r == nullptr || r->type == REDIS_REPLY_ERROR) die("XREAD failed");
      int64_t now = now_ns();
      if (r->type == REDIS_REPLY_ARRAY) {
        for (size_t s = 0; s < r->elements; s++) {
          redisReply* stream = r->element[s];
          int p = std::atoi(stream->element[0]->str + 3);
          redisReply* entries = stream->element[1];
          for (size_t e = 0; e < entries->elements; e++) {
            redisReply* v = entries->element[e]->element[1]->element[1];
            int64_t stamp;
            std::memcpy(&stamp, v->str, 8);
            lat.push_back(now - stamp);
            received++;
          }
          if (entries->elements) ids[p] = entries->element[entries->elements - 1]->element[0]->str;
        }
        last_receive = now;
      }
      freeReplyObject(r);
    }
    redisFree(c);
  });
  std::vector<std::thread> producers;
  for (int t = 0; t < o.clients; t++) {
    producers.emplace_back([&, t] {
      redisContext* c = connect(o);
      std::string payload = random_payload(o.message_bytes, t + 1);
      std::vector<std::string> keys;
      for (int p = 0; p < streams; p++) keys.push_back(key(p));
      double interval = 1e9 / (o.rate / o.clients);
      int64_t my_start = start + int64_t(interval * t / o.clients);
      long i = 0;
      unsigned seq = t;
      for (;;) {
        int64_t now = now_ns();
        if (now >= end) break;
        long n = 0;
        while (n < o.pipeline) {
          int64_t slot = my_start + int64_t(double(i) * interval);
          if (slot > now || slot >= end) break;
          std::memcpy(payload.data(), &slot, 8);
          const std::string& k = keys[seq++ % streams];
          redisAppendCommand(c, "XADD %b * v %b", k.data(), k.size(), payload.data(),
                             payload.size());
          i++, n++;
        }
        if (n == 0) {
          int64_t slot = my_start + int64_t(double(i) * interval);
          int64_t wait = std::min(slot, end) - now;
          if (wait > 50000) {
            timespec ts{0, long(wait - 20000)};
            nanosleep(&ts, nullptr);
          }
          continue;
        }
        for (long k = 0; k < n; k++) freeReplyObject(get_reply(c));
        sent_total += n;
      }
      redisFree(c);
    });
  }
  for (auto& th : producers) th.join();
  producers_done = true;
  reader.join();
  if (received < sent_total)
    die("lost messages: sent " + std::to_string(sent_total.load()) + ", received " +
        std::to_string(received));
  report(received, double(last_receive - start) / 1e9, o.message_bytes, lat);
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) die(a + " needs a value");
      return std::string(argv[++i]);
    };
    if (a == "--port")
      o.port = std::stoi(value());
    else if (a == "--mode")
      o.mode = value();
    else if (a == "--message-bytes")
      o.message_bytes = std::stoul(value());
    else if (a == "--duration-ms")
      o.duration_ms = std::stol(value());
    else if (a == "--count")
      o.count = std::stol(value());
    else if (a == "--rate")
      o.rate = std::stod(value());
    else if (a == "--clients")
      o.clients = std::stoi(value());
    else if (a == "--pipeline")
      o.pipeline = std::stoi(value());
    else
      die("unknown argument " + a + " (see the comment at the top of redis_load.cc)");
  }
  if (o.message_bytes < 8) die("--message-bytes must be at least 8");
  if (o.mode == "produce")
    produce(o);
  else if (o.mode == "consume")
    consume(o);
  else if (o.mode == "e2e")
    e2e(o);
  else
    die("unknown --mode " + o.mode);
}
