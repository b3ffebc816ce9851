// The configuration of the object-store and directory sources: the keys of
// each store (Confluent's names where its S3 and Azure Blob connectors have
// one: s3.bucket.name, store.url, aws.access.key.id, azblob.account.name,
// …), the keys every source shares (topic, prefix, format, discovery,
// limits, after-action), and the store they open.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "connect/api/config_def.h"
#include "connect/objstore/blob_store.h"
#include "connect/objstore/listing_discovery.h"
#include "connect/objstore/record_reader.h"

namespace runnel::connect::objstore {

enum class store_kind { s3, azure, directory };

// The keys of one store (bucket or container, endpoint, credentials; the
// directory's path), shared by its source and its sink.
const config_def& store_config_def(store_kind kind);

// The full config_def of one source class (store keys + shared keys).
const config_def& source_config_def(store_kind kind);

enum class after_action { none, remove, move };
enum class discovery_mode { listing, notifications, hybrid };

struct source_settings {
  store_kind kind = store_kind::directory;
  config_map store_props;  // the original config, for open_store()
  std::string topic;
  std::optional<record_format> format;  // nullopt: pointer events
  csv_options csv;
  listing_options listing;
  std::chrono::milliseconds poll_interval{1000};
  bool include_existing = true;
  int max_files_per_poll = 100;
  int64_t max_bytes_per_poll = 16 << 20;
  int64_t read_chunk_bytes = 4 << 20;
  after_action after = after_action::none;
  std::string move_prefix;
  // S3 and Azure sources: storage events from a queue.
  discovery_mode discovery = discovery_mode::listing;
  std::chrono::milliseconds backfill_interval{60000};  // hybrid: how often to list
  std::chrono::seconds notification_visibility{300};
  std::string sqs_queue_url;  // S3: SQS
  std::string sqs_region;
  std::string sqs_endpoint;
  std::string azure_queue;  // Azure: a Storage queue fed by Event Grid
  std::string azure_queue_url;
};

// errc::invalid_config with every problem found.
result<source_settings> parse_source_settings(store_kind kind, const config_map& props);

// Opens the store the config names; a directory is named by `path_key`
// (the source's input.path, the sink's output.path).
result<std::unique_ptr<blob_store>> open_store(store_kind kind, const config_map& props,
                                               std::string_view path_key = "input.path");

}  // namespace runnel::connect::objstore
