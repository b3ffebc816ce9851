// `runnel connect run`: a standalone Connect worker (Kafka's
// connect-standalone): the connectors of the config files run in this
// process until SIGINT or SIGTERM; the REST API manages them meanwhile.
// `runnel connect distributed`: a distributed worker (Kafka's
// connect-distributed): workers with the same group.id share connectors and
// tasks through the Kafka group protocol; configs, offsets and statuses live
// in compacted topics; connectors come through the REST API.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "connect/runtime/connector_config.h"
#include "connect/service.h"
#include "observe/admin_server.h"

namespace runnel::cli {

namespace {

struct connect_run_options {
  std::vector<std::string> configs;
  std::string worker_file;
  std::string brokers;
  std::string offsets_file;
  std::vector<std::string> settings;
  std::string listen = "127.0.0.1:8083";
  bool distributed = false;
};

// The worker's properties: the file's, then the flags'.
std::optional<connect::config_map> worker_properties(const CLI::App& cmd,
                                                     const connect_run_options& o) {
  connect::config_map props;
  if (!o.worker_file.empty()) {
    auto p = connect::load_properties_file(o.worker_file);
    if (!p) {
      fail(cmd, p.error().message);
      return std::nullopt;
    }
    props = std::move(p).value();
  }
  for (const auto& s : o.settings) {
    auto kv = split_key_value(s);
    if (!kv) {
      fail(cmd, fmt::format("--set {}: expected name=value", s));
      return std::nullopt;
    }
    props[kv->first] = kv->second;
  }
  if (!o.brokers.empty()) props["bootstrap.servers"] = o.brokers;
  if (!o.offsets_file.empty()) props["offset.storage.file.filename"] = o.offsets_file;
  if (!props.count("bootstrap.servers")) props["bootstrap.servers"] = "127.0.0.1:9092";
  if (o.listen != "off") {
    auto hp = observe::parse_host_port(o.listen);
    if (!hp) {
      fail(cmd, fmt::format("--connect-listen {}: expected HOST:PORT or off", o.listen));
      return std::nullopt;
    }
    const bool v6 = hp->first.find(':') != std::string::npos;
    props["listeners"] = v6 ? fmt::format("http://[{}]:{}", hp->first, hp->second)
                            : fmt::format("http://{}:{}", hp->first, hp->second);
  }
  return props;
}

int run_connect(const CLI::App& cmd, const connect_run_options& o) {
  // Read every file before anything starts: a typo fails at once.
  std::vector<std::pair<std::string, connect::config_map>> connectors;
  for (const auto& path : o.configs) {
    auto c = connect::load_connector_file(path);
    if (!c) return fail(cmd, c.error().message);
    for (const auto& [name, _] : connectors)
      if (name == c.value().first)
        return fail(cmd, fmt::format("{}: connector {} is defined twice", path, name));
    connectors.push_back(std::move(c).value());
  }
  auto props = worker_properties(cmd, o);
  if (!props) return 1;
  auto cfg = connect::worker_config::parse(*props);
  if (!cfg) return fail(cmd, cfg.error().message);
  // Validated before anything starts too, so that a bad file runs nothing
  // (the herder would refuse it only after the earlier files' connectors
  // had started). Some checks depend on the worker (exactly.once.support).
  for (const auto& [name, config] : connectors)
    if (auto r = connect::check_connector_config(config, connect::plugin_registry::builtin(),
                                                 cfg.value().exactly_once_source());
        !r)
      return fail(cmd, fmt::format("connector {}: {}", name, r.error().message));

  // SIGINT/SIGTERM are waited for below; blocked before any thread starts
  // so that every thread (the workers', librdkafka's) inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto svc = connect::service::start({std::move(cfg).value(), o.distributed, o.listen != "off"});
  if (!svc) return fail(cmd, svc.error().message);
  auto& h = svc.value()->connect_herder();
  for (auto& [name, config] : connectors) {
    auto r = h.put_connector(name, std::move(config), false);
    if (!r) {
      svc.value()->stop();
      return fail(cmd, fmt::format("connector {}: {}", name, r.error().message));
    }
  }
  std::string names;
  for (const auto& [name, _] : connectors) names += (names.empty() ? "" : ", ") + name;
  // The ready line (stdout) tells scripts and tests the connectors are created.
  std::string rest;
  if (uint16_t port = svc.value()->rest_port())
    rest = fmt::format("; REST API on http://{}:{}/", h.config().rest_host, port);
  if (o.distributed)
    fmt::print("runnel connect: distributed worker in group {}{}\n", h.config().group_id, rest);
  else
    fmt::print("runnel connect: running {}{}\n", names.empty() ? "no connectors" : names, rest);
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("connect: signal {}; stopping the connectors", sig);
  svc.value()->stop();
  return 0;
}

}  // namespace

void add_connect(CLI::App& app) {
  auto* connect = app.add_subcommand("connect", "Kafka Connect connectors (runtime and plugins)");
  connect->require_subcommand(1);

  auto o = std::make_shared<connect_run_options>();
  auto* c = connect->add_subcommand(
      "run",
      "Run connectors in this process (standalone mode, as Kafka's connect-standalone) "
      "until SIGINT/SIGTERM");
  c->add_option("configs", o->configs,
                "Connector config files: JSON as the REST API takes it ({\"name\": ..., "
                "\"config\": {...}}) or a flat JSON object, or Java properties (Kafka's "
                "connector .properties files); none: start empty, add them through the REST "
                "API")
      ->check(CLI::ExistingFile);
  c->add_option("-w,--worker-config", o->worker_file,
                "Worker properties (Kafka's connect-standalone.properties keys: "
                "bootstrap.servers, key.converter, value.converter, "
                "offset.storage.file.filename, offset.flush.interval.ms, producer.*, "
                "consumer.*, ...)")
      ->check(CLI::ExistingFile);
  c->add_option("-b,--brokers", o->brokers,
                "Bootstrap brokers, HOST:PORT[,HOST:PORT...] (bootstrap.servers; default "
                "127.0.0.1:9092)")
      ->envname("RUNNEL_BROKERS");
  c->add_option("--offsets", o->offsets_file,
                "File of the source connectors' offsets (offset.storage.file.filename; "
                "required unless the worker config sets it or offset.storage.topic)");
  c->add_option("--connect-listen", o->listen,
                "HOST:PORT of Kafka Connect's REST API (port 0: any free one; off: none); "
                "also serves /metrics, /health, /ready and /v1/loglevel")
      ->capture_default_str();
  c->add_option("--set", o->settings, "A worker property, name=value (repeatable)")
      ->allow_extra_args(false);
  c->callback([c, o] { set_exit_code(run_connect(*c, *o)); });

  auto d = std::make_shared<connect_run_options>();
  d->distributed = true;
  auto* dc = connect->add_subcommand(
      "distributed",
      "Run a distributed Connect worker (as Kafka's connect-distributed) until SIGINT/SIGTERM: "
      "workers with the same group.id share the connectors and tasks; manage them through the "
      "REST API");
  dc->add_option("-w,--worker-config", d->worker_file,
                 "Worker properties (Kafka's connect-distributed.properties keys: "
                 "bootstrap.servers, group.id, config.storage.topic, offset.storage.topic, "
                 "status.storage.topic, *.storage.replication.factor, key.converter, "
                 "value.converter, ...)")
      ->check(CLI::ExistingFile);
  dc->add_option("-b,--brokers", d->brokers,
                 "Bootstrap brokers, HOST:PORT[,HOST:PORT...] (bootstrap.servers; default "
                 "127.0.0.1:9092)")
      ->envname("RUNNEL_BROKERS");
  dc->add_option("--connect-listen", d->listen,
                 "HOST:PORT of Kafka Connect's REST API (port 0: any free one; off: none); "
                 "also serves /metrics, /health, /ready and /v1/loglevel")
      ->capture_default_str();
  dc->add_option("--set", d->settings, "A worker property, name=value (repeatable)")
      ->allow_extra_args(false);
  dc->callback([dc, d] { set_exit_code(run_connect(*dc, *d)); });
}

}  // namespace runnel::cli
