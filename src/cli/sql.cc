// `runnel sql`: a SQL-only process serving the PostgreSQL protocol.
#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <pthread.h>

#include "cli/commands.h"
#include "cli/sql_connectors.h"
#include "cli/sql_group.h"
#include "observe/admin_server.h"
#include "sql/engine/engine.h"
#include "sql/pgwire/server.h"

namespace runnel::cli {

namespace {

struct sql_options {
  std::string listen = "127.0.0.1:4566";  // RisingWave's port: tools and habits carry over
  std::string brokers = "127.0.0.1:9092";
  std::string catalog_topic;   // empty: the catalog goes with the process
  std::string state_dir;       // empty: contents and view state go with the process
  size_t state_cache_mb = 64;  // RocksDB's block cache and memtables, together
  bool share = false;          // share the catalog's pipelines with the other processes of it
  std::string advertise;       // where the others reach this one (default: --listen's)
  int session_timeout_ms = 10000;
  // Views' operator tables held in memory; the largest are spilled past it.
  size_t operator_cache_mb = 256;
};

int run_sql(const sql_options& o) {
  auto at = observe::parse_host_port(o.listen);
  if (!at) {
    fmt::print(stderr, "runnel sql: --listen wants HOST:PORT, not '{}'\n", o.listen);
    return 2;
  }
  // SIGINT and SIGTERM are waited for below: block them before any thread
  // starts, so that every thread inherits the mask and none is interrupted.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  if (o.share && o.catalog_topic.empty()) {
    fmt::print(stderr,
               "runnel sql: --share needs --catalog-topic (the processes sharing the work "
               "are those of one catalog)\n");
    return 2;
  }
  if (o.share && (at->first == "0.0.0.0" || at->first == "::") && o.advertise.empty()) {
    fmt::print(stderr,
               "runnel sql: --share with --listen on {} needs --advertise HOST:PORT (where "
               "the other processes reach this one)\n",
               at->first);
    return 2;
  }
  // Before the engine, which puts its sinks' connectors there, so that it
  // goes after the engine has flushed them.
  sql_connectors connectors(nullptr, o.brokers);
  // Before the engine too: its group thread leaves the group as the
  // engine stops.
  std::unique_ptr<sql::group_link> group;
  if (o.share)
    group =
        make_sql_group(o.brokers, o.catalog_topic, std::chrono::milliseconds(o.session_timeout_ms));
  sql::engine_options eo;
  eo.connectors = &connectors;
  eo.brokers = o.brokers;
  eo.catalog_topic = o.catalog_topic;
  eo.state_dir = o.state_dir;
  eo.state_cache_bytes = o.state_cache_mb << 20;
  eo.operator_cache_bytes = o.operator_cache_mb << 20;
  if (const char* n = std::getenv("RUNNEL_SQL_TEST_EXIT_BETWEEN_PHASES"))
    eo.test_exit_between_phases = std::strtoull(n, nullptr, 10);
  if (const char* h = std::getenv("RUNNEL_SQL_TEST_HOLD_WRITES")) eo.test_hold_writes = h;
  eo.group = group.get();
  sql::engine engine(eo);
  auto failed = engine.open_catalog();
  if (!failed) {
    fmt::print(stderr, "runnel sql: {}\n", failed.error().message);
    return 1;
  }
  for (const auto& f : failed.value())
    fmt::print(stderr, "runnel sql: catalog entry not re-created: {}\n", f);
  auto server = sql::pg_server::start(engine, at->first, at->second);
  if (!server) {
    fmt::print(stderr, "runnel sql: cannot start: {}\n", server.error().message);
    return 1;
  }
  if (group) {
    std::string address =
        o.advertise.empty() ? fmt::format("{}:{}", at->first, server.value()->port()) : o.advertise;
    if (auto s = engine.start_sharing(address); !s) {
      fmt::print(stderr, "runnel sql: cannot share the work: {}\n", s.error().message);
      return 1;
    }
  }
  // A line scripts can wait for.
  fmt::print("runnel: sql ready on {}:{}\n", at->first, server.value()->port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  server.value().reset();
  return 0;
}

}  // namespace

void add_sql(CLI::App& app) {
  auto o = std::make_shared<sql_options>();
  auto* c = app.add_subcommand(
      "sql", "Serve streaming SQL over the PostgreSQL protocol (psql -h 127.0.0.1 -p 4566 -d dev)");
  c->add_option(
       "--listen", o->listen,
       "HOST:PORT for PostgreSQL clients (port 0: any free port); any user is accepted without a "
       "password, so keep it on loopback")
      ->capture_default_str();
  c->add_option("-b,--brokers", o->brokers,
                "The Kafka-protocol cluster of sources and sinks that do not name one "
                "(properties.bootstrap.server), HOST:PORT[,HOST:PORT...]")
      ->envname("RUNNEL_BROKERS")
      ->capture_default_str();
  c->add_option("--catalog-topic", o->catalog_topic,
                "A compacted topic on --brokers that keeps every CREATE, so that a restarted "
                "process re-creates its sources, tables, views and sinks (created if missing); "
                "unset: they go with the process");
  c->add_option("--state-dir", o->state_dir,
                "A directory for the durable state (RocksDB): tables' rows, views' contents and "
                "operator state, sources' offsets, committed together, so that with "
                "--catalog-topic a restarted process (even after kill -9) resumes every view "
                "where it stopped; unset: views are recomputed from their sources after a "
                "restart and INSERTed rows are lost");
  c->add_option("--state-cache-mb", o->state_cache_mb,
                "With --state-dir: the memory (MiB) RocksDB may hold — its block cache, with "
                "the memtables counted in it. Relations' contents are read from disk through "
                "it, so they may be far larger than memory (views' operator state has "
                "--operator-cache-mb besides)")
      ->check(CLI::Range(size_t{8}, size_t{1} << 20))
      ->capture_default_str();
  c->add_option("--operator-cache-mb", o->operator_cache_mb,
                "With --state-dir: the memory (MiB) views' operator state (groups, join "
                "sides, Top-N rows...) may hold. Tables that fit are held whole in memory; "
                "beyond it the largest are spilled to RocksDB and read from disk, so state "
                "may be far larger than memory. 0: all operator state is read from disk")
      ->check(CLI::Range(size_t{0}, size_t{1} << 20))
      ->capture_default_str();
  c->add_flag("--share", o->share,
              "Share the work with the other `runnel sql --share` processes of the same "
              "--catalog-topic (a Kafka group): each pipeline (a source or table with every view "
              "and sink over it) runs in one of them, DDL and queries sent to any are forwarded "
              "to the one that runs them, and when one dies its pipelines move to the others");
  c->add_option("--advertise", o->advertise,
                "With --share: HOST:PORT where the other processes reach this one's PostgreSQL "
                "listener (default: --listen's address with its port)");
  c->add_option("--session-timeout-ms", o->session_timeout_ms,
                "With --share: how long a silent process keeps its pipelines before the group "
                "moves them to the others")
      ->capture_default_str();
  c->callback([o] { set_exit_code(run_sql(*o)); });
}

}  // namespace runnel::cli
