// `runnel serve`: the Kafka-protocol broker.
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "broker/config_catalog.h"
#include "broker/metrics.h"
#include "broker/server.h"
#include "cli/commands.h"
#include "cli/config_reference.h"
#include "cli/sql_connectors.h"
#include "connect/service.h"
#include "observe/admin_server.h"
#include "sql/engine/engine.h"
#include "sql/pgwire/server.h"

namespace runnel::cli {

namespace {

// The settings `runnel serve` applies itself (apply_setting below); the
// broker's own are in broker_config. Both go into docs/configuration.md.
constexpr process_setting process_settings[] = {
    {"listen", "listeners", "--listen", "`127.0.0.1:9092`",
     "HOST:PORT to listen on; HOST may be a name (`localhost`) or an address (`0.0.0.0` for "
     "every interface); port 0 picks a free one."},
    {"advertised.listener", "advertised.listeners", "--advertised-listener", "the listen address",
     "HOST:PORT clients are told to connect to (Metadata): what they can reach, e.g. a DNS name "
     "when the broker listens on 0.0.0.0."},
    {"data.dir", "", "--data-dir", "`runnel-data`",
     "Directory of the partition logs and metadata; one broker process per directory."},
    {"shards", "", "--shards", "one per core",
     "Event-loop threads; partitions are spread over them."},
    {"admin.listen", "", "--admin-listen", "`127.0.0.1:9644`",
     "HOST:PORT of the admin HTTP server: `/metrics`, `/health`, `/ready`, `/v1/loglevel` "
     "(docs/monitoring.md); port 0 picks a free one; `off`: no admin server."},
    {"sql.listen", "", "--sql-listen", "`127.0.0.1:4566`",
     "HOST:PORT for PostgreSQL clients (`psql -h 127.0.0.1 -p 4566 -d dev`): streaming SQL "
     "over this broker's topics (docs/sql/README.md); port 0 picks a free one; `off`: no SQL. "
     "Any user is accepted without a password, so keep it on loopback. Its catalog is the topic "
     "`_runnel_sql_catalog` and its state (tables' rows, views' contents and operator state, "
     "sources' offsets) is in `sql_state` under the data directory, so every view resumes "
     "after a restart."},
    {"sql.state.cache.mb", "", "--sql-state-cache-mb", "`64`",
     "Memory (MiB) the SQL state store (RocksDB) may hold: its block cache, with the memtables "
     "counted in it. Tables', sources' and views' contents are read from disk through it, so "
     "they may be far larger than memory; views' operator state has `sql.operator.cache.mb` "
     "besides (docs/sql/README.md, \"State and memory\")."},
    {"sql.operator.cache.mb", "", "--sql-operator-cache-mb", "`256`",
     "Memory (MiB) SQL views' operator state (groups, join sides, Top-N rows...) may hold: "
     "tables that fit are held whole in memory, beyond it the largest are spilled to the state "
     "store and read from disk (docs/sql/README.md, \"State and memory\"); 0: all of it is "
     "read from disk."},
    {"connect.listen", "listeners (Kafka Connect's)", "--connect-listen", "`127.0.0.1:8083`",
     "HOST:PORT of the hosted Kafka Connect worker's REST API (docs/connect/README.md): "
     "connectors run inside the broker process, their configs, offsets and statuses in the "
     "compacted topics `connect-configs`, `connect-offsets`, `connect-status`; port 0 picks a "
     "free one; `off`: no hosted worker."},
    {"connect.config", "", "--connect-config", "none",
     "Worker properties of the hosted Connect worker (Kafka's connect-distributed.properties "
     "keys: group.id, converters, producer.*, ...), over runnel's defaults."},
};

struct serve_options {
  bool print_reference = false;
  std::string config_file;
  std::string data_dir = "runnel-data";
  std::string listen = "127.0.0.1:9092";
  std::string advertised;
  // The admin HTTP server (metrics, health, log level); "off" disables it.
  std::string admin_listen = "127.0.0.1:9644";
  // Streaming SQL in this process, on RisingWave's port; "off" serves none
  // (brokers started side by side must turn it off or pick other ports, as
  // for the admin and Connect listeners).
  std::string sql_listen = "127.0.0.1:4566";
  size_t sql_state_cache_mb = 64;
  size_t sql_operator_cache_mb = 256;
  // The hosted Kafka Connect worker's REST API; "off" hosts none.
  std::string connect_listen = "127.0.0.1:8083";
  std::string connect_config;
  unsigned shards = 0;
  std::vector<std::string> overrides;  // --set key=value
};

bool split_host_port(const std::string& s, std::string& host, uint16_t& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    int p = std::stoi(s.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    port = uint16_t(p);
  } catch (...) {
    return false;
  }
  return !host.empty();
}

// Why broker_config refused `name=value`: an unknown name, or which value a
// known one expects.
std::string why_refused(const std::string& name, const std::string& value) {
  const broker::broker_config defaults;
  for (const auto& s : broker::describe_broker(defaults, defaults.listen_port)) {
    if (s.name != name) continue;
    return fmt::format("invalid value '{}' for {} (a {}; {})", value, name,
                       broker::config_type_name(s.type), s.doc);
  }
  std::string_view topic = name;
  if (topic.starts_with("log.")) topic.remove_prefix(4);
  if (const auto* t = broker::find_topic_setting(topic)) {
    return fmt::format("invalid value '{}' for {} (a {}; {})", value, name,
                       broker::config_type_name(t->type), t->doc);
  }
  return fmt::format(
      "unknown setting {} (every setting is listed in docs/configuration.md, or "
      "by `runnel serve --print-config-reference`)",
      name);
}

// The config file: one "name: value" (or "name=value") per line, '#'
// comments; the names are the broker's Kafka-style settings plus data.dir,
// listen and advertised.listener.
bool apply_setting(serve_options& o, broker::broker_config& c, const std::string& k,
                   const std::string& v) {
  if (k == "data.dir")
    o.data_dir = v;
  else if (k == "listen" || k == "listeners")
    o.listen = v;
  else if (k == "advertised.listener" || k == "advertised.listeners")
    o.advertised = v;
  else if (k == "admin.listen")
    o.admin_listen = v;
  else if (k == "sql.listen")
    o.sql_listen = v;
  else if (k == "sql.state.cache.mb") {
    const auto n = std::strtoul(v.c_str(), nullptr, 10);
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || n < 8 ||
        n > (1u << 20)) {
      fmt::print(stderr,
                 "runnel serve: sql.state.cache.mb expects MiB from 8 to 1048576, got '{}'\n", v);
      return false;
    }
    o.sql_state_cache_mb = n;
  } else if (k == "sql.operator.cache.mb") {
    const auto n = std::strtoul(v.c_str(), nullptr, 10);
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || n > (1u << 20)) {
      fmt::print(stderr,
                 "runnel serve: sql.operator.cache.mb expects MiB from 0 to 1048576, got '{}'\n",
                 v);
      return false;
    }
    o.sql_operator_cache_mb = n;
  } else if (k == "connect.listen")
    o.connect_listen = v;
  else if (k == "connect.config")
    o.connect_config = v;
  else if (k == "shards") {
    // stoul would throw on "x" or accept "4x"; a bad value is a sentence.
    const auto n = std::strtoul(v.c_str(), nullptr, 10);
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || n > 1024) {
      fmt::print(stderr,
                 "runnel serve: invalid value '{}' for shards (a number of threads, 0 "
                 "for one per core)\n",
                 v);
      return false;
    }
    o.shards = unsigned(n);
  } else if (auto r = c.set(k, v); !r) {
    fmt::print(stderr, "runnel serve: {}\n", why_refused(k, v));
    return false;
  }
  return true;
}

// Where a client of this broker connects: the listen host, or loopback
// when it listens on every interface.
std::string client_host(const std::string& listen_host) {
  if (listen_host == "0.0.0.0" || listen_host.empty()) return "127.0.0.1";
  if (listen_host == "::") return "[::1]";
  if (listen_host.find(':') != std::string::npos) return "[" + listen_host + "]";
  return listen_host;
}

// The hosted Connect worker's configuration: Kafka's distributed-mode
// sample settings for one node (connect-distributed.properties: group
// connect-cluster, topics connect-configs/-offsets/-status, here with
// replication factor 1), then --connect-config's properties, then the
// REST address.
std::optional<connect::worker_config> connect_worker(const serve_options& o,
                                                     const broker::broker_config& c) {
  connect::config_map props{
      {"group.id", "connect-cluster"},
      {"config.storage.topic", "connect-configs"},
      {"offset.storage.topic", "connect-offsets"},
      {"status.storage.topic", "connect-status"},
      {"config.storage.replication.factor", "1"},
      {"offset.storage.replication.factor", "1"},
      {"status.storage.replication.factor", "1"},
  };
  if (!o.connect_config.empty()) {
    auto p = connect::load_properties_file(o.connect_config);
    if (!p) {
      fmt::print(stderr, "runnel serve: --connect-config: {}\n", p.error().message);
      return std::nullopt;
    }
    for (auto& [k, v] : p.value()) props[k] = v;
  }
  auto hp = observe::parse_host_port(o.connect_listen);
  if (!hp) {
    fmt::print(stderr, "runnel serve: --connect-listen expects HOST:PORT or off, got {}\n",
               o.connect_listen);
    return std::nullopt;
  }
  const bool v6 = hp->first.find(':') != std::string::npos;
  props["listeners"] = v6 ? fmt::format("http://[{}]:{}", hp->first, hp->second)
                          : fmt::format("http://{}:{}", hp->first, hp->second);
  props["bootstrap.servers"] = fmt::format("{}:{}", client_host(c.listen_host), c.listen_port);
  auto w = connect::worker_config::parse(props);
  if (!w) {
    fmt::print(stderr, "runnel serve: the hosted Connect worker: {}\n", w.error().message);
    return std::nullopt;
  }
  return std::move(w).value();
}

int run_serve(serve_options o) {
  if (o.print_reference) {
    fmt::print("{}", config_reference(process_settings));
    return 0;
  }
  broker::broker_config c;
  if (!o.config_file.empty()) {
    std::ifstream in(o.config_file);
    if (!in) {
      fmt::print(stderr, "runnel serve: cannot read {}\n", o.config_file);
      return 2;
    }
    std::string line;
    while (std::getline(in, line)) {
      auto hash = line.find('#');
      if (hash != std::string::npos) line.resize(hash);
      auto sep = line.find_first_of(":=");
      if (sep == std::string::npos) continue;
      auto trim = [](std::string s) {
        s.erase(0, s.find_first_not_of(" \t\""));
        s.erase(s.find_last_not_of(" \t\r\"") + 1);
        return s;
      };
      // host:port values contain ':'; the key never does.
      if (!apply_setting(o, c, trim(line.substr(0, sep)), trim(line.substr(sep + 1)))) return 2;
    }
  }
  for (const auto& kv : o.overrides) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) {
      fmt::print(stderr, "runnel serve: --set expects name=value, got {}\n", kv);
      return 2;
    }
    if (!apply_setting(o, c, kv.substr(0, eq), kv.substr(eq + 1))) return 2;
  }
  c.data_dir = o.data_dir;
  c.shards = o.shards;
  if (!split_host_port(o.listen, c.listen_host, c.listen_port)) {
    fmt::print(stderr, "runnel serve: --listen expects HOST:PORT, got {}\n", o.listen);
    return 2;
  }
  if (!o.advertised.empty() &&
      !split_host_port(o.advertised, c.advertised_host, c.advertised_port)) {
    fmt::print(stderr, "runnel serve: --advertised-listener expects HOST:PORT, got {}\n",
               o.advertised);
    return 2;
  }
  std::optional<std::pair<std::string, uint16_t>> admin_at;
  if (o.admin_listen != "off") {
    admin_at = observe::parse_host_port(o.admin_listen);
    if (!admin_at) {
      fmt::print(stderr, "runnel serve: --admin-listen expects HOST:PORT or off, got {}\n",
                 o.admin_listen);
      return 2;
    }
  }
  std::optional<std::pair<std::string, uint16_t>> sql_at;
  if (o.sql_listen != "off") {
    sql_at = observe::parse_host_port(o.sql_listen);
    if (!sql_at) {
      fmt::print(stderr, "runnel serve: --sql-listen expects HOST:PORT or off, got {}\n",
                 o.sql_listen);
      return 2;
    }
  }
  // Ready once the logs are recovered and the Kafka listener is bound, until
  // shutdown begins. The admin server starts first, so /health answers
  // during a long recovery; declared after srv, it goes first.
  std::unique_ptr<broker::server> srv;
  std::atomic<bool> started{false};  // srv is started (and stays until admin goes)
  std::unique_ptr<observe::admin_server> admin;
  if (admin_at) {
    observe::admin_options ao;
    ao.host = admin_at->first;
    ao.port = admin_at->second;
    ao.ready = [&started, &srv]() -> observe::status {
      if (!started.load()) return {false, "starting: recovering logs"};
      if (srv->stopping()) return {false, "shutting down"};
      return {};
    };
    auto a = observe::admin_server::start(std::move(ao));
    if (!a) {
      fmt::print(stderr,
                 "runnel serve: cannot start the admin server on {}: {} (choose another with "
                 "--admin-listen HOST:PORT, or --admin-listen off)\n",
                 o.admin_listen, a.error().message());
      return 1;
    }
    admin = std::move(a).value();
  }
  std::optional<connect::worker_config> connect_cfg;
  if (o.connect_listen != "off") {
    auto w = connect_worker(o, c);
    if (!w) return 2;
    connect_cfg = std::move(*w);
  }
  // Caught from here on (not only once ready), so that a signal during
  // start-up still shuts the broker down cleanly.
  boost::asio::io_context sig_ctx;
  boost::asio::signal_set signals(sig_ctx, SIGINT, SIGTERM);
  srv = std::make_unique<broker::server>(c);
  if (auto r = srv->start(); !r) {
    fmt::print(stderr, "runnel serve: cannot start: {}\n", r.error().message());
    return 1;
  }
  auto collectors = broker::attach_metrics(*srv);
  // The hosted Connect worker is a client of this broker (DESIGN.md: connect
  // speaks the Kafka protocol only), so it starts once the broker serves, and
  // before SQL, whose sinks to databases and object stores put their
  // connectors there (the catalog's too, when it is replayed).
  std::unique_ptr<connect::service> hosted;
  if (connect_cfg) {
    connect_cfg->bootstrap_servers = fmt::format("{}:{}", client_host(c.listen_host), srv->port());
    auto svc = connect::service::start({std::move(*connect_cfg), true, true});
    if (!svc) {
      fmt::print(stderr,
                 "runnel serve: cannot start the hosted Connect worker: {} (choose another "
                 "address with --connect-listen HOST:PORT, or --connect-listen off)\n",
                 svc.error().message);
      srv->shutdown();
      return 1;
    }
    hosted = std::move(svc).value();
  }
  // SQL reads and writes this broker's topics over the Kafka protocol, as
  // `runnel sql` would from outside: it starts once the broker listens.
  // Declared before the engine, which uses it, so that it goes after it.
  std::unique_ptr<sql_connectors> sql_connectors_host;
  std::atomic<bool> sql_failed{false};
  std::unique_ptr<sql::engine> sql_engine;
  std::unique_ptr<sql::pg_server> sql_server;
  if (sql_at) {
    sql::engine_options eo;
    bool any = c.listen_host.empty() || c.listen_host == "0.0.0.0" || c.listen_host == "::";
    eo.brokers = fmt::format("{}:{}", any ? "127.0.0.1" : c.listen_host, srv->port());
    // The catalog lives in the broker it serves, so SQL objects outlive a restart.
    eo.catalog_topic = "_runnel_sql_catalog";
    // ... and its state beside the broker's data (no topic is named so).
    eo.state_dir = std::filesystem::path(o.data_dir) / "sql_state";
    eo.state_cache_bytes = o.sql_state_cache_mb << 20;
    eo.operator_cache_bytes = o.sql_operator_cache_mb << 20;
    sql_connectors_host =
        std::make_unique<sql_connectors>(hosted ? &hosted->connect_herder() : nullptr, eo.brokers);
    eo.connectors = sql_connectors_host.get();
    // An exactly-once sink's transaction failed: the SQL engine commits
    // nothing more, and the broker stops cleanly rather than die with it.
    eo.on_fatal = [&sql_failed](const std::string& why) {
      spdlog::critical(
          "sql: exactly-once sinks: {}; stopping (a restart resumes from the last "
          "committed epoch)",
          why);
      sql_failed = true;
      ::kill(::getpid(), SIGTERM);  // to the process: any thread not blocking it
    };
    sql_engine = std::make_unique<sql::engine>(eo);
    auto failed = sql_engine->open_catalog();
    if (!failed) {
      fmt::print(stderr, "runnel serve: cannot start SQL: {}\n", failed.error().message);
      srv->shutdown();
      return 1;
    }
    for (const auto& f : failed.value())
      fmt::print(stderr, "runnel serve: SQL catalog entry not re-created: {}\n", f);
    auto s = sql::pg_server::start(*sql_engine, sql_at->first, sql_at->second);
    if (!s) {
      fmt::print(stderr,
                 "runnel serve: cannot start SQL on {}: {} (choose another with --sql-listen "
                 "HOST:PORT, or --sql-listen off)\n",
                 o.sql_listen, s.error().message);
      srv->shutdown();
      return 1;
    }
    sql_server = std::move(s).value();
  }
  started = true;
  if (admin) fmt::print("runnel: admin on {}:{}\n", admin_at->first, admin->port());
  if (sql_server) fmt::print("runnel: sql on {}:{}\n", sql_at->first, sql_server->port());
  if (hosted)
    fmt::print("runnel: connect on {}:{}\n", hosted->connect_herder().config().rest_host,
               hosted->rest_port());
  // A line scripts can wait for (after the admin, sql and connect lines).
  fmt::print("runnel: ready on {}:{}\n", c.listen_host, srv->port());
  std::fflush(stdout);
  signals.async_wait([](const boost::system::error_code&, int sig) {
    spdlog::info("serve: signal {} received, shutting down", sig);
  });
  sig_ctx.run();
  // Connectors and SQL first: their last records and offsets still reach
  // the broker.
  // No statement runs once the SQL server is gone, so none puts a
  // connector into the stopped worker.
  sql_server.reset();
  if (hosted) hosted->stop();
  hosted.reset();
  sql_engine.reset();
  sql_connectors_host.reset();
  srv->shutdown();
  collectors.reset();
  admin.reset();
  return sql_failed ? 3 : 0;
}

}  // namespace

void add_serve(CLI::App& app) {
  auto o = std::make_shared<serve_options>();
  auto* c = app.add_subcommand("serve", "Run the Kafka-protocol broker");
  c->add_option("--config", o->config_file,
                "Settings file: one 'name: value' per line (docs/configuration.md lists them)");
  c->add_option("--data-dir", o->data_dir, "Where partition logs and metadata live")
      ->capture_default_str();
  c->add_option("--listen", o->listen,
                "HOST:PORT to listen on; HOST a name or an address (port 0: any free port)")
      ->capture_default_str();
  c->add_option("--advertised-listener", o->advertised,
                "HOST:PORT clients are told to connect to (default: the listen address)");
  c->add_option("--admin-listen", o->admin_listen,
                "HOST:PORT of the admin HTTP server (/metrics, /health, /ready, /v1/loglevel); "
                "port 0: any free port; off: none")
      ->capture_default_str();
  c->add_option("--sql-listen", o->sql_listen,
                "HOST:PORT for PostgreSQL clients (streaming SQL, database dev; RisingWave's "
                "port); port 0: any free port; off: none. Its state lives in DATA_DIR/sql_state")
      ->capture_default_str();
  c->add_option("--sql-state-cache-mb", o->sql_state_cache_mb,
                "Memory (MiB) the SQL state store may hold (RocksDB's block cache and "
                "memtables); contents larger than it are read from disk")
      ->check(CLI::Range(size_t{8}, size_t{1} << 20))
      ->capture_default_str();
  c->add_option("--sql-operator-cache-mb", o->sql_operator_cache_mb,
                "Memory (MiB) SQL views' operator state may hold; beyond it the largest "
                "tables are spilled to the state store and read from disk")
      ->check(CLI::Range(size_t{0}, size_t{1} << 20))
      ->capture_default_str();
  c->add_option("--connect-listen", o->connect_listen,
                "HOST:PORT of the hosted Kafka Connect worker's REST API (connectors run in "
                "this process; state in connect-configs/-offsets/-status); port 0: any free "
                "port; off: none")
      ->capture_default_str();
  c->add_option("--connect-config", o->connect_config,
                "Worker properties of the hosted Connect worker (connect-distributed.properties "
                "keys)")
      ->check(CLI::ExistingFile);
  c->add_option("--shards", o->shards, "Event-loop threads (default: one per core)");
  c->add_option("--set", o->overrides,
                "A broker setting by its Kafka name, e.g. --set num.partitions=3 (repeatable)");
  c->add_flag("--print-config-reference", o->print_reference,
              "Print every setting with its default as Markdown (docs/configuration.md) and exit");
  c->callback([o] { set_exit_code(run_serve(*o)); });
}

}  // namespace runnel::cli
