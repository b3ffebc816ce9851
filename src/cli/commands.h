// Registration of the command-line subcommands. Each add_* attaches one
// subcommand (with its --help) to a parent and runs it from a callback.
#pragma once

#include <CLI/CLI.hpp>

namespace runnel::cli {

// `runnel serve`: the broker.
void add_serve(CLI::App& app);

// `runnel bench storage`: append throughput of the partition log on disk.
void add_bench_storage(CLI::App& bench);

// The process exit code set by the subcommand that ran.
int exit_code();
void set_exit_code(int code);

}  // namespace runnel::cli
