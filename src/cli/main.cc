// runnel: the server and the command-line tool in one binary.
#include <csignal>
#include <cstdio>
#include <string>

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // A peer that goes away must cost a failed write, never the process: the
  // broker's sendfile to a closed socket, or `runnel consume | head`.
  // Writers check their results instead (consume stops when stdout closes).
  std::signal(SIGPIPE, SIG_IGN);
  // Logs go to stderr; stdout carries command output (and `serve`'s ready line).
  spdlog::set_default_logger(spdlog::stderr_color_mt("runnel"));
  // SPDLOG_LEVEL=debug (or warn, ...) sets the start-up log level.
  spdlog::cfg::load_env_levels();
  CLI::App app{"runnel: an event streaming platform that speaks the Kafka protocol"};
  app.set_version_flag("--version", std::string("runnel ") + RUNNEL_VERSION);
  app.require_subcommand(1);

  runnel::cli::add_serve(app);
  runnel::cli::add_cluster(app);
  runnel::cli::add_topic(app);
  runnel::cli::add_produce(app);
  runnel::cli::add_consume(app);
  runnel::cli::add_group(app);
  runnel::cli::add_connect(app);
  runnel::cli::add_sql(app);
  runnel::cli::add_nexmark(app);

  auto* bench = app.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  runnel::cli::add_bench_storage(*bench);
  runnel::cli::add_bench_produce(*bench);
  runnel::cli::add_bench_consume(*bench);
  runnel::cli::add_bench_e2e(*bench);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return runnel::cli::exit_code();
}
