// Registration of the command-line subcommands. Each add_* attaches one
// subcommand (with its --help) to a parent and runs it from a callback.
#pragma once

#include <CLI/CLI.hpp>

namespace runnel::cli {

// `runnel serve`: the broker.
void add_serve(CLI::App& app);

// `runnel sql`: streaming SQL over the PostgreSQL protocol.
void add_sql(CLI::App& app);

// `runnel bench storage`: append throughput of the partition log on disk.
void add_bench_storage(CLI::App& bench);

// `runnel bench produce|consume|e2e`: load against any Kafka-protocol
// cluster, throughput and latency percentiles.
void add_bench_produce(CLI::App& bench);
void add_bench_consume(CLI::App& bench);
void add_bench_e2e(CLI::App& bench);

// `runnel nexmark`: the Nexmark benchmark's events into topics.
void add_nexmark(CLI::App& app);

// `runnel cluster info`.
void add_cluster(CLI::App& app);

// `runnel topic create|list|describe|delete|alter-config|add-partitions`.
void add_topic(CLI::App& app);

// `runnel produce TOPIC`: stdin lines to messages.
void add_produce(CLI::App& app);

// `runnel consume TOPIC`: messages to stdout.
void add_consume(CLI::App& app);

// `runnel group list|describe|delete|reset-offsets|offset-delete`.
void add_group(CLI::App& app);

// `runnel connect run`: connectors in this process (standalone mode).
void add_connect(CLI::App& app);

// The process exit code set by the subcommand that ran.
int exit_code();
void set_exit_code(int code);

}  // namespace runnel::cli
