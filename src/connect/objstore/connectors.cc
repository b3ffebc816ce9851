// The connectors: S3, Azure Blob Storage and a local directory, a source
// and a sink class each, over one source task (source_task.h) and one sink
// task (sink_task.h).
#include <fmt/format.h>

#include "connect/api/connector.h"
#include "connect/api/plugins.h"
#include "connect/objstore/sink_task.h"
#include "connect/objstore/source_task.h"

namespace runnel::connect::objstore {

namespace {

class objstore_source_connector final : public source_connector {
 public:
  explicit objstore_source_connector(store_kind kind) : kind_(kind) {}

  const config_def& config() const override { return source_config_def(kind_); }

  result<void> start(const config_map& props, connector_context&) override {
    // Refuse a bad config here, where the REST API reports it, rather
    // than in every task.
    CONNECT_TRY(parse_source_settings(kind_, props));
    CONNECT_TRY(open_store(kind_, props));
    props_ = props;
    return ok();
  }
  // One task: the files of a store are read in one order by one reader.
  result<std::vector<config_map>> task_configs(int) override { return std::vector{props_}; }
  void stop() override {}
  std::unique_ptr<source_task> create_task() const override {
    return std::make_unique<objstore_source_task>(kind_);
  }
  // The offsets are the whole dedup store (which version of each object is
  // done, how far a half-read one got), and after.action and queue deletes
  // happen in commit_record: with records and offsets in one transaction,
  // every file is read exactly once in every discovery mode.
  exactly_once_support exactly_once(const config_map&) const override {
    return exactly_once_support::supported;
  }

 private:
  store_kind kind_;
  config_map props_;
};

class objstore_sink_connector final : public sink_connector {
 public:
  explicit objstore_sink_connector(store_kind kind) : kind_(kind) {}

  const config_def& config() const override { return sink_config_def(kind_); }

  result<void> start(const config_map& props, connector_context&) override {
    CONNECT_TRY(parse_sink_settings(kind_, props));
    CONNECT_TRY(open_store(kind_, props, "output.path"));
    props_ = props;
    return ok();
  }
  // Any number of tasks: each writes the partitions it is assigned, and
  // file names carry the partition.
  result<std::vector<config_map>> task_configs(int max_tasks) override {
    return std::vector<config_map>(size_t(std::max(1, max_tasks)), props_);
  }
  void stop() override {}
  std::unique_ptr<sink_task> create_task() const override {
    return std::make_unique<objstore_sink_task>(kind_);
  }

 private:
  store_kind kind_;
  config_map props_;
};

}  // namespace

void register_objstore(plugin_registry& r) {
  r.add({.class_name = "runnel.connect.objstore.S3SourceConnector",
         .type = plugin_type::source,
         .version = RUNNEL_VERSION,
         .aliases = {},
         .make = [] { return std::make_unique<objstore_source_connector>(store_kind::s3); }});
  r.add({.class_name = "runnel.connect.objstore.AzureBlobSourceConnector",
         .type = plugin_type::source,
         .version = RUNNEL_VERSION,
         .aliases = {},
         .make = [] { return std::make_unique<objstore_source_connector>(store_kind::azure); }});
  r.add(
      {.class_name = "runnel.connect.objstore.DirectorySourceConnector",
       .type = plugin_type::source,
       .version = RUNNEL_VERSION,
       .aliases = {},
       .make = [] { return std::make_unique<objstore_source_connector>(store_kind::directory); }});
  // The sinks (docs/connect/objstore.md lists these names; they were
  // defined but never registered until SQL's sinks asked for them).
  r.add({.class_name = "runnel.connect.objstore.S3SinkConnector",
         .type = plugin_type::sink,
         .version = RUNNEL_VERSION,
         .aliases = {"io.confluent.connect.s3.S3SinkConnector"},
         .make = [] { return std::make_unique<objstore_sink_connector>(store_kind::s3); }});
  r.add({.class_name = "runnel.connect.objstore.AzureBlobSinkConnector",
         .type = plugin_type::sink,
         .version = RUNNEL_VERSION,
         .aliases = {"io.confluent.connect.azure.blob.AzureBlobStorageSinkConnector"},
         .make = [] { return std::make_unique<objstore_sink_connector>(store_kind::azure); }});
  r.add({.class_name = "runnel.connect.objstore.DirectorySinkConnector",
         .type = plugin_type::sink,
         .version = RUNNEL_VERSION,
         .aliases = {},
         .make = [] { return std::make_unique<objstore_sink_connector>(store_kind::directory); }});
}

}  // namespace runnel::connect::objstore
