// word_count: a program built against an installed runnel. It uses both
// libraries: runnel::client to create topics, produce input and read the
// output back, runnel::stream to count the words per key.
//
//   word_count <bootstrap> <state dir> <topic suffix>
//
// Exits 0 once the output holds the expected counts, 1 on any error or if
// they do not arrive within a minute.
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <variant>

#include <runnel/client/admin.h>
#include <runnel/client/consumer.h>
#include <runnel/client/producer.h>
#include <runnel/stream.h>

namespace rc = runnel::client;
namespace rs = runnel::stream;

namespace {

int fail(const std::string& what, const rc::error& e) {
  std::fprintf(stderr, "word_count: %s: %s\n", what.c_str(), e.message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: word_count <bootstrap> <state dir> <topic suffix>\n");
    return 2;
  }
  const std::string brokers = argv[1], state_dir = argv[2], suffix = argv[3];
  const std::string input = "words-" + suffix, output = "counts-" + suffix;
  rc::client_config cc;
  cc.brokers = brokers;

  auto admin = rc::admin::create({cc, std::chrono::seconds(30)});
  if (!admin) return fail("admin", admin.error());
  for (const auto& topic : {input, output})
    if (auto r = admin.value().create_topic({topic, 1, -1, {}}); !r)
      return fail("create " + topic, r.error());

  auto producer = rc::producer::create({.client = cc});
  if (!producer) return fail("producer", producer.error());
  for (const char* word : {"apple", "pear", "apple", "fig", "apple", "pear"}) {
    rc::outgoing_message m;
    m.topic = input;
    m.key = word;
    m.value = word;
    if (auto r = producer.value().send(m); !r) return fail("send", r.error());
  }
  if (auto r = producer.value().flush(std::chrono::seconds(30)); !r)
    return fail("flush", r.error());

  rs::builder b;
  b.stream<std::string, std::string>(input).group_by_key().count().to_stream().to(output);
  rs::app_config c;
  c.application_id = "word-count-" + suffix;
  c.brokers = brokers;
  c.state_dir = state_dir;
  c.commit_interval = std::chrono::milliseconds(100);
  c.handle_signals = false;
  rs::app app(b.build(), c);
  rc::result<void> ran = runnel::outcome::success();
  std::thread runner([&] { ran = app.run(); });

  // The last count per word; done when it is apple 3, pear 2, fig 1.
  const std::map<std::string, int64_t> want{{"apple", 3}, {"pear", 2}, {"fig", 1}};
  std::map<std::string, int64_t> got;
  auto reader = rc::consumer::create({.client = cc});
  if (!reader) return fail("consumer", reader.error());
  auto& consumer = reader.value();
  if (auto r =
          consumer.assign({{output, runnel::partition_id(0), rc::start_position::beginning()}});
      !r)
    return fail("assign", r.error());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (got != want && std::chrono::steady_clock::now() < deadline &&
         app.state() != rs::app_state::failed) {
    auto e = consumer.poll(std::chrono::milliseconds(200));
    if (!e) continue;  // transient: the consumer retries
    if (auto* m = std::get_if<rc::message>(&e.value()); m && m->key && m->value) {
      auto count = rs::serdes::int64().deserialize(*m->value, nullptr);
      if (count) got[*m->key] = *count;
    }
  }
  app.stop();
  runner.join();
  if (!ran) return fail("app", ran.error());
  if (got != want) {
    std::fprintf(stderr, "word_count: wrong or missing counts:");
    for (const auto& [word, n] : got) std::fprintf(stderr, " %s=%lld", word.c_str(), (long long)n);
    std::fprintf(stderr, "\n");
    return 1;
  }
  std::printf("word_count: ok\n");
  return 0;
}
