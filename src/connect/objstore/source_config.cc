#include "connect/objstore/source_config.h"

#include <cstdlib>

#include <fmt/format.h>

#include "connect/objstore/azure_blob_store.h"
#include "connect/objstore/directory_store.h"
#include "connect/objstore/s3_store.h"

namespace runnel::connect::objstore {

namespace {

void define_store_keys(config_def& d, store_kind kind) {
  using cd = config_default;
  if (kind == store_kind::s3) {
    const std::string g = "S3";
    d.define(make_config_key("s3.bucket.name", config_type::string, cd::required(),
                             config_importance::high, "The bucket to read.", g,
                             validators::non_empty_string()));
    d.define(make_config_key("s3.region", config_type::string, cd::of("us-east-1"),
                             config_importance::medium,
                             "The bucket's region (part of every SigV4 signature).", g));
    d.define(
        make_config_key("store.url", config_type::string, cd::null(), config_importance::medium,
                        "The S3 endpoint, scheme://host[:port], for S3-compatible stores; default: "
                        "https://s3.<region>.amazonaws.com.",
                        g));
    d.define(make_config_key(
        "s3.path.style.access.enabled", config_type::boolean, cd::of("false"),
        config_importance::medium,
        "Path-style requests (http://host/bucket/key), as most S3-compatible stores "
        "want; false: virtual-host style (http://bucket.host/key), as AWS wants.",
        g));
    d.define(make_config_key(
        "aws.access.key.id", config_type::string, cd::null(), config_importance::high,
        "The access key; default: the AWS_ACCESS_KEY_ID environment variable.", g));
    d.define(make_config_key(
        "aws.secret.access.key", config_type::password, cd::null(), config_importance::high,
        "The secret key; default: the AWS_SECRET_ACCESS_KEY environment variable.", g));
    d.define(make_config_key(
        "aws.session.token", config_type::password, cd::null(), config_importance::medium,
        "A session token for temporary credentials; default: AWS_SESSION_TOKEN.", g));
  } else if (kind == store_kind::azure) {
    const std::string g = "Azure Blob Storage";
    d.define(make_config_key("azblob.account.name", config_type::string, cd::required(),
                             config_importance::high, "The storage account.", g,
                             validators::non_empty_string()));
    d.define(make_config_key("azblob.container.name", config_type::string, cd::required(),
                             config_importance::high, "The container to read.", g,
                             validators::non_empty_string()));
    d.define(make_config_key(
        "azblob.account.key", config_type::password, cd::null(), config_importance::high,
        "The account key (Shared Key authorization); give this or azblob.sas.token.", g));
    d.define(make_config_key("azblob.sas.token", config_type::password, cd::null(),
                             config_importance::high,
                             "A SAS token with read and list (and delete/write for after.action) "
                             "permissions; give this or azblob.account.key.",
                             g));
    d.define(
        make_config_key("store.url", config_type::string, cd::null(), config_importance::medium,
                        "The blob service URL; default: https://<account>.blob.core.windows.net "
                        "(Azurite: http://127.0.0.1:10000/devstoreaccount1).",
                        g));
  } else {
    d.define(make_config_key("input.path", config_type::string, cd::required(),
                             config_importance::high,
                             "The directory to read, with its subdirectories.", "Directory",
                             validators::non_empty_string()));
  }
}

void define_shared_keys(config_def& d, store_kind kind) {
  using cd = config_default;
  const std::string g = "Source";
  d.define(make_config_key("topic", config_type::string, cd::required(), config_importance::high,
                           "The topic records are written to.", g, validators::non_empty_string()));
  d.define(make_config_key("prefix", config_type::string, cd::of(""), config_importance::medium,
                           "Only keys that start with this (a folder: \"in/\").", g));
  d.define(make_config_key(
      "format", config_type::string, cd::of("lines"), config_importance::high,
      "lines: a string per line; json: a JSON value per line; csv: a row per record "
      "(an object keyed by the header with csv.header=true); bytes: the whole file as "
      "one record; pointer: one CloudEvent per file (container, key, size, etag, "
      "time) for consumers that read the object themselves. .gz and .zst files are "
      "decompressed.",
      g, validators::one_of({"lines", "json", "csv", "bytes", "pointer"})));
  d.define(make_config_key("csv.header", config_type::boolean, cd::of("true"),
                           config_importance::medium,
                           "The first row of a CSV file names the columns.", g));
  d.define(make_config_key("csv.delimiter", config_type::string, cd::of(","),
                           config_importance::medium, "The CSV field separator.", g));
  const std::string disc = "Discovery";
  d.define(make_config_key(
      "poll.interval.ms", config_type::long_, cd::of("1000"), config_importance::medium,
      "How often the store is listed for new files.", disc, validators::at_least(1)));
  d.define(make_config_key(
      "listing.grace.ms", config_type::long_, cd::of("300000"), config_importance::low,
      "An incremental listing starts after the keys first seen longer ago than this, "
      "so a file that appears late (a slow upload) with a key sorting before newer "
      "ones is still found.",
      disc, validators::at_least(0)));
  d.define(make_config_key("listing.full.interval.ms", config_type::long_, cd::of("3600000"),
                           config_importance::low,
                           "How often the listing is full (every key under the prefix); 0: always.",
                           disc, validators::at_least(0)));
  d.define(make_config_key(
      "min.object.age.ms", config_type::long_, cd::of(kind == store_kind::directory ? "1000" : "0"),
      config_importance::low,
      "Files modified more recently than this wait for a later listing (a file still "
      "being written in place).",
      disc, validators::at_least(0)));
  d.define(make_config_key(
      "include.existing", config_type::boolean, cd::of("true"), config_importance::medium,
      "Read the files already there when the connector first starts; false: only "
      "files that appear later.",
      disc));
  d.define(make_config_key(
      "discovery.mode", config_type::string, cd::of("listing"), config_importance::high,
      kind == store_kind::directory
          ? "listing: list the directory every poll.interval.ms; notifications: inotify "
            "(files closed after writing or moved in), with a listing at the start and "
            "when events may have been lost (queue overflow, a new subdirectory); "
            "hybrid: inotify for latency and a listing every backfill.interval.ms for "
            "what it misses."
          : "listing: list the store every poll.interval.ms; notifications: storage "
            "events from a queue (S3 events through SQS: sqs.queue.url; Event Grid "
            "BlobCreated through an Azure Storage queue: azqueue.name); hybrid: "
            "notifications for latency and a listing every backfill.interval.ms for "
            "what they miss.",
      disc, validators::one_of({"listing", "notifications", "hybrid"})));
  d.define(make_config_key("backfill.interval.ms", config_type::long_, cd::of("60000"),
                           config_importance::medium, "hybrid: how often the store is listed.",
                           disc, validators::at_least(1)));
  if (kind != store_kind::directory) {
    d.define(
        make_config_key("notification.visibility.timeout.s", config_type::long_, cd::of("300"),
                        config_importance::low,
                        "How long a received notification stays hidden; one not deleted (its file "
                        "not yet done) comes back after this.",
                        disc, validators::between(1, 43200)));
  }
  if (kind == store_kind::azure) {
    d.define(make_config_key(
        "azqueue.name", config_type::string, cd::null(), config_importance::medium,
        "The Storage queue Event Grid delivers the account's BlobCreated events to.", disc));
    d.define(
        make_config_key("azqueue.url", config_type::string, cd::null(), config_importance::low,
                        "The queue service URL; default: https://<account>.queue.core.windows.net "
                        "(Azurite: http://127.0.0.1:10001/devstoreaccount1).",
                        disc));
  }
  if (kind == store_kind::s3) {
    d.define(
        make_config_key("sqs.queue.url", config_type::string, cd::null(), config_importance::medium,
                        "The SQS queue the bucket's ObjectCreated notifications go to.", disc));
    d.define(make_config_key("sqs.region", config_type::string, cd::null(), config_importance::low,
                             "The queue's region; default: s3.region.", disc));
    d.define(make_config_key(
        "sqs.endpoint", config_type::string, cd::null(), config_importance::low,
        "scheme://host[:port] SQS requests go to; default: the queue URL's.", disc));
  }
  const std::string lim = "Limits";
  d.define(make_config_key(
      "max.files.per.poll", config_type::int_, cd::of("100"), config_importance::low,
      "At most this many files are started in one poll.", lim, validators::at_least(1)));
  d.define(make_config_key("max.bytes.per.poll", config_type::long_, cd::of("16777216"),
                           config_importance::low, "A poll returns once it read this many bytes.",
                           lim, validators::at_least(1)));
  d.define(make_config_key("read.chunk.bytes", config_type::long_, cd::of("4194304"),
                           config_importance::low, "The size of each ranged read of a file.", lim,
                           validators::at_least(1024)));
  const std::string after = "After reading";
  d.define(make_config_key(
      "after.action", config_type::string, cd::of("none"), config_importance::medium,
      "What happens to a file once all its records are in Kafka: none, delete, or "
      "move (to after.move.prefix + its key).",
      after, validators::one_of({"none", "delete", "move"})));
  d.define(make_config_key("after.move.prefix", config_type::string, cd::of(""),
                           config_importance::medium,
                           "Where after.action=move puts files; must not be under prefix.", after));
}

std::string env_or(const std::optional<std::string>& v, const char* env) {
  if (v && !v->empty()) return *v;
  const char* e = std::getenv(env);
  return e ? e : "";
}

}  // namespace

const config_def& store_config_def(store_kind kind) {
  static const config_def defs[3] = {[] {
                                       config_def d;
                                       define_store_keys(d, store_kind::s3);
                                       return d;
                                     }(),
                                     [] {
                                       config_def d;
                                       define_store_keys(d, store_kind::azure);
                                       return d;
                                     }(),
                                     [] {
                                       config_def d;
                                       define_store_keys(d, store_kind::directory);
                                       return d;
                                     }()};
  return defs[int(kind)];
}

const config_def& source_config_def(store_kind kind) {
  static const config_def defs[3] = {[] {
                                       config_def d;
                                       define_store_keys(d, store_kind::s3);
                                       define_shared_keys(d, store_kind::s3);
                                       return d;
                                     }(),
                                     [] {
                                       config_def d;
                                       define_store_keys(d, store_kind::azure);
                                       define_shared_keys(d, store_kind::azure);
                                       return d;
                                     }(),
                                     [] {
                                       config_def d;
                                       define_store_keys(d, store_kind::directory);
                                       define_shared_keys(d, store_kind::directory);
                                       return d;
                                     }()};
  return defs[int(kind)];
}

result<source_settings> parse_source_settings(store_kind kind, const config_map& props) {
  CONNECT_TRY(auto c, source_config_def(kind).parse(props));
  source_settings s;
  s.kind = kind;
  s.store_props = props;
  s.topic = c.get_string("topic");
  auto format = c.get_string("format");
  if (format != "pointer") s.format = parse_record_format(format);
  s.csv.header = c.get_bool("csv.header");
  auto delim = c.get_string("csv.delimiter");
  if (delim.size() != 1) {
    return make_error(errc::invalid_config, "csv.delimiter must be one character");
  }
  s.csv.delimiter = delim[0];
  s.listing.prefix = c.get_string("prefix");
  s.listing.grace = std::chrono::milliseconds(c.get_long("listing.grace.ms"));
  s.listing.full_every = std::chrono::milliseconds(c.get_long("listing.full.interval.ms"));
  s.listing.min_age = std::chrono::milliseconds(c.get_long("min.object.age.ms"));
  s.poll_interval = std::chrono::milliseconds(c.get_long("poll.interval.ms"));
  s.include_existing = c.get_bool("include.existing");
  s.max_files_per_poll = c.get_int("max.files.per.poll");
  s.max_bytes_per_poll = c.get_long("max.bytes.per.poll");
  s.read_chunk_bytes = c.get_long("read.chunk.bytes");
  auto after = c.get_string("after.action");
  s.after = after == "delete" ? after_action::remove
            : after == "move" ? after_action::move
                              : after_action::none;
  s.move_prefix = c.get_string("after.move.prefix");
  auto mode = c.get_string("discovery.mode");
  s.discovery = mode == "notifications" ? discovery_mode::notifications
                : mode == "hybrid"      ? discovery_mode::hybrid
                                        : discovery_mode::listing;
  s.backfill_interval = std::chrono::milliseconds(c.get_long("backfill.interval.ms"));
  if (kind != store_kind::directory) {
    s.notification_visibility =
        std::chrono::seconds(c.get_long("notification.visibility.timeout.s"));
    const char* needs = kind == store_kind::s3 ? "sqs.queue.url" : "azqueue.name";
    if (kind == store_kind::s3) {
      s.sqs_queue_url = c.get_optional_string("sqs.queue.url").value_or("");
      s.sqs_region = c.get_optional_string("sqs.region").value_or(c.get_string("s3.region"));
      s.sqs_endpoint = c.get_optional_string("sqs.endpoint").value_or("");
    } else {
      s.azure_queue = c.get_optional_string("azqueue.name").value_or("");
      s.azure_queue_url = c.get_optional_string("azqueue.url").value_or("");
    }
    if (s.discovery != discovery_mode::listing && s.sqs_queue_url.empty() &&
        s.azure_queue.empty()) {
      return make_error(errc::invalid_config,
                        fmt::format("discovery.mode={} needs {}", mode, needs));
    }
  }
  if (s.after == after_action::move) {
    if (s.move_prefix.empty()) {
      return make_error(errc::invalid_config, "after.action=move needs after.move.prefix");
    }
    if (s.move_prefix.starts_with(s.listing.prefix)) {
      return make_error(errc::invalid_config,
                        fmt::format("after.move.prefix '{}' is under prefix '{}': moved files "
                                    "would be read again",
                                    s.move_prefix, s.listing.prefix));
    }
  }
  return s;
}

result<std::unique_ptr<blob_store>> open_store(store_kind kind, const config_map& props,
                                               std::string_view path_key) {
  if (kind == store_kind::directory) {
    auto it = props.find(std::string(path_key));
    if (it == props.end() || it->second.empty()) {
      return make_error(errc::invalid_config,
                        fmt::format("Missing required configuration \"{}\"", path_key));
    }
    CONNECT_TRY(auto store, directory_store::open(it->second));
    return std::unique_ptr<blob_store>(std::move(store));
  }
  CONNECT_TRY(auto c, store_config_def(kind).parse(props));
  if (kind == store_kind::s3) {
    s3_config s;
    s.bucket = c.get_string("s3.bucket.name");
    s.region = c.get_string("s3.region");
    s.endpoint = c.get_optional_string("store.url").value_or("");
    s.path_style = c.get_bool("s3.path.style.access.enabled");
    s.access_key = env_or(c.get_optional_string("aws.access.key.id"), "AWS_ACCESS_KEY_ID");
    s.secret_key = env_or(c.get_optional_string("aws.secret.access.key"), "AWS_SECRET_ACCESS_KEY");
    s.session_token = env_or(c.get_optional_string("aws.session.token"), "AWS_SESSION_TOKEN");
    CONNECT_TRY(auto store, s3_store::open(std::move(s)));
    return std::unique_ptr<blob_store>(std::move(store));
  }
  if (kind == store_kind::azure) {
    azure_blob_config a;
    a.credentials.account = c.get_string("azblob.account.name");
    a.credentials.account_key = c.get_optional_string("azblob.account.key").value_or("");
    a.credentials.sas_token = c.get_optional_string("azblob.sas.token").value_or("");
    a.container = c.get_string("azblob.container.name");
    a.endpoint = c.get_optional_string("store.url").value_or("");
    CONNECT_TRY(auto store, azure_blob_store::open(std::move(a)));
    return std::unique_ptr<blob_store>(std::move(store));
  }
  return make_error(errc::invalid_config, "unknown store");
}

}  // namespace runnel::connect::objstore
