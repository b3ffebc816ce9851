#include "connect/objstore/sink_config.h"

#include <fmt/format.h>

namespace runnel::connect::objstore {

namespace {

config_def make_def(store_kind kind) {
  using cd = config_default;
  config_def d;
  if (kind == store_kind::directory) {
    d.define(make_config_key("output.path", config_type::string, cd::required(),
                             config_importance::high, "The directory files are written under.",
                             "Sink", validators::non_empty_string()));
  } else {
    d.merge(store_config_def(kind));
  }
  d.define(make_config_key("topics.dir", config_type::string, cd::of("topics"),
                           config_importance::medium,
                           "The top folder: files are <topics.dir>/<topic>/<partition path>/"
                           "<topic>+<kafka partition>+<first offset>.<format>.",
                           "Sink"));
  d.define(
      make_config_key("format", config_type::string, cd::of("json"), config_importance::high,
                      "json: one JSON value per line; csv: one row per record (columns from the "
                      "first record's fields, with a header line).",
                      "Sink", validators::one_of({"json", "csv"})));
  d.define(make_config_key(
      "format.class", config_type::string, cd::null(), config_importance::medium,
      "Confluent's name for the format (…JsonFormat); overrides format when set.", "Sink"));
  d.define(make_config_key("compression.type", config_type::string, cd::of("none"),
                           config_importance::medium,
                           "none, gzip or zstd; the file name gets .gz or .zst.", "Sink",
                           validators::one_of({"none", "gzip", "zstd"})));
  d.define(make_config_key("s3.compression.type", config_type::string, cd::null(),
                           config_importance::medium, "Confluent's name for compression.type.",
                           "Sink"));
  d.define(make_config_key("flush.size", config_type::long_, cd::of("1000"),
                           config_importance::high,
                           "Records per file: a file is written once it holds this many.", "Sink",
                           validators::at_least(1)));
  d.define(make_config_key("rotate.size.bytes", config_type::long_, cd::of("67108864"),
                           config_importance::medium,
                           "A file is also written once its records take this many bytes.", "Sink",
                           validators::at_least(1)));
  d.define(make_config_key(
      "rotate.interval.ms", config_type::long_, cd::of("-1"), config_importance::medium,
      "A file is also written when a record's timestamp is this much later than the "
      "file's first (-1: off). Deterministic: replays make the same files.",
      "Sink"));
  d.define(make_config_key(
      "rotate.schedule.interval.ms", config_type::long_, cd::of("-1"), config_importance::medium,
      "A file is also written when it was open this long by the wall clock (-1: off). "
      "Not deterministic: a replay after a crash may cut files elsewhere, so a record "
      "can then be in two files.",
      "Sink"));
  d.define(make_config_key(
      "partitioner.class", config_type::string, cd::of("default"), config_importance::medium,
      "default: partition=<kafka partition>; field: <field>=<value> of "
      "partition.field.name; time: path.format of the record time (Hive style, "
      "dt=…/hour=…). Confluent's class names (…DefaultPartitioner, "
      "…FieldPartitioner, …TimeBasedPartitioner) work too.",
      "Sink"));
  d.define(make_config_key(
      "path.format", config_type::string, cd::of("'dt'=yyyy-MM-dd/'hour'=HH"),
      config_importance::medium,
      "The time partitioner's folders, a java.text.SimpleDateFormat pattern (UTC).", "Sink"));
  d.define(make_config_key("partition.duration.ms", config_type::long_, cd::of("3600000"),
                           config_importance::low,
                           "The time partitioner's bucket: record times are rounded down to it.",
                           "Sink", validators::at_least(1)));
  d.define(make_config_key(
      "timestamp.extractor", config_type::string, cd::of("Record"), config_importance::low,
      "Record: the record's timestamp; RecordField: timestamp.field of the value "
      "(epoch ms).",
      "Sink", validators::one_of({"Record", "RecordField"})));
  d.define(make_config_key(
      "timestamp.field", config_type::string, cd::of("timestamp"), config_importance::low,
      "The value's field with the time (epoch ms) for timestamp.extractor=RecordField.", "Sink"));
  d.define(make_config_key("partition.field.name", config_type::string, cd::null(),
                           config_importance::medium,
                           "The value's field the field partitioner uses.", "Sink"));
  return d;
}

}  // namespace

const config_def& sink_config_def(store_kind kind) {
  static const config_def defs[3] = {make_def(store_kind::s3), make_def(store_kind::azure),
                                     make_def(store_kind::directory)};
  return defs[int(kind)];
}

result<sink_settings> parse_sink_settings(store_kind kind, const config_map& props) {
  CONNECT_TRY(auto c, sink_config_def(kind).parse(props));
  sink_settings s;
  s.topics_dir = c.get_string("topics.dir");
  auto format = c.get_string("format");
  if (auto cls = c.get_optional_string("format.class")) {
    if (cls->ends_with("JsonFormat")) {
      format = "json";
    } else if (cls->ends_with("CsvFormat")) {
      format = "csv";
    } else {
      return make_error(errc::invalid_config,
                        fmt::format("format.class {} is not supported (JSON and CSV are)", *cls));
    }
  }
  s.format = format == "csv" ? sink_format::csv : sink_format::json;
  auto codec =
      c.get_optional_string("s3.compression.type").value_or(c.get_string("compression.type"));
  s.codec = codec == "gzip"   ? compression::gzip
            : codec == "zstd" ? compression::zstd
                              : compression::none;
  s.flush_size = c.get_long("flush.size");
  s.rotate_size_bytes = c.get_long("rotate.size.bytes");
  s.rotate_interval =
      std::chrono::milliseconds(std::max<int64_t>(0, c.get_long("rotate.interval.ms")));
  s.rotate_schedule =
      std::chrono::milliseconds(std::max<int64_t>(0, c.get_long("rotate.schedule.interval.ms")));
  auto p = c.get_string("partitioner.class");
  if (p == "default" || p.ends_with("DefaultPartitioner")) {
    s.partition_by = partitioner::kafka_partition;
  } else if (p == "field" || p.ends_with("FieldPartitioner")) {
    s.partition_by = partitioner::field;
    s.partition_field = c.get_optional_string("partition.field.name").value_or("");
    if (s.partition_field.empty()) {
      return make_error(errc::invalid_config, "the field partitioner needs partition.field.name");
    }
  } else if (p == "time" || p.ends_with("TimeBasedPartitioner") ||
             p.ends_with("HourlyPartitioner") || p.ends_with("DailyPartitioner")) {
    s.partition_by = partitioner::time;
    std::string pattern = c.get_string("path.format");
    if (p.ends_with("DailyPartitioner")) pattern = "'year'=YYYY/'month'=MM/'day'=dd";
    if (p.ends_with("HourlyPartitioner")) pattern = "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH";
    // Confluent's examples write the year as YYYY (week year); as a path it
    // means the calendar year.
    for (auto& ch : pattern) {
      if (ch == 'Y') ch = 'y';
    }
    auto f = date_format::compile(pattern);
    if (!f) {
      return make_error(errc::invalid_config,
                        fmt::format("path.format '{}': {}", pattern, f.error().message));
    }
    s.path_format = std::move(f).value();
    s.partition_duration = std::chrono::milliseconds(c.get_long("partition.duration.ms"));
    if (c.get_string("timestamp.extractor") == "RecordField") {
      s.timestamp_field = c.get_string("timestamp.field");
    }
  } else {
    return make_error(
        errc::invalid_config,
        fmt::format("partitioner.class {} is not supported (default, field, time)", p));
  }
  return s;
}

}  // namespace runnel::connect::objstore
