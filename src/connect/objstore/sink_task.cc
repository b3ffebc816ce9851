#include "connect/objstore/sink_task.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "connect/objstore/azure_auth.h"

namespace runnel::connect::objstore {

namespace {

client::topic_partition tp_of(const std::string& topic, int32_t partition) {
  return {topic, runnel::partition_id(partition)};
}

// A CSV field, quoted when it must be (RFC 4180).
std::string csv_field(const data& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

}  // namespace

result<void> objstore_sink_task::start(const config_map& props, sink_task_context&) {
  CONNECT_TRY(settings_, parse_sink_settings(kind_, props));
  CONNECT_TRY(store_, open_store(kind_, props, "output.path"));
  return ok();
}

result<std::string> objstore_sink_task::path_of(const sink_record& r) const {
  switch (settings_.partition_by) {
    case partitioner::kafka_partition:
      return fmt::format("partition={}", r.kafka_partition.value_or(0));
    case partitioner::field: {
      if (!r.value.is_object() || !r.value.contains(settings_.partition_field)) {
        return make_error(errc::data, fmt::format("the value has no field {} to partition by",
                                                  settings_.partition_field));
      }
      const auto& v = r.value[settings_.partition_field];
      return fmt::format("{}={}", settings_.partition_field,
                         v.is_string() ? v.get<std::string>() : v.dump());
    }
    case partitioner::time: {
      int64_t t = r.timestamp.value_or(0);
      if (!settings_.timestamp_field.empty()) {
        if (!r.value.is_object() || !r.value.contains(settings_.timestamp_field) ||
            !r.value[settings_.timestamp_field].is_number_integer()) {
          return make_error(errc::data, fmt::format("the value has no epoch-ms field {}",
                                                    settings_.timestamp_field));
        }
        t = r.value[settings_.timestamp_field].get<int64_t>();
      }
      int64_t d = settings_.partition_duration.count();
      t = t >= 0 ? t / d * d : (t - d + 1) / d * d;
      return settings_.path_format->format(t);
    }
  }
  return std::string();
}

result<void> objstore_sink_task::append(open_file& f, const sink_record& r) {
  if (settings_.format == sink_format::json) {
    // Bytes are written as base64 strings, as Confluent's JsonFormat does.
    if (r.value.is_binary()) {
      const auto& b = r.value.get_binary();
      f.body += data(base64_encode(std::string(b.begin(), b.end()))).dump();
    } else {
      f.body += r.value.dump();
    }
    f.body += '\n';
    return ok();
  }
  if (f.records == 0) {
    if (r.value.is_object()) {
      for (auto& [k, v] : r.value.items()) f.columns.push_back(k);
      std::vector<std::string> header;
      for (auto& c : f.columns) header.push_back(csv_field(data(c)));
      f.body += fmt::format("{}\n", fmt::join(header, ","));
    }
  }
  std::vector<std::string> fields;
  if (r.value.is_object()) {
    for (auto& c : f.columns) fields.push_back(csv_field(r.value.value(c, data())));
  } else if (r.value.is_array()) {
    for (auto& v : r.value) fields.push_back(csv_field(v));
  } else {
    fields.push_back(csv_field(r.value));
  }
  f.body += fmt::format("{}\n", fmt::join(fields, ","));
  return ok();
}

result<void> objstore_sink_task::write(const file_key& k, open_file& f) {
  const auto& [topic, partition, path] = k;
  std::string name =
      fmt::format("{}/{}/{}/{}+{}+{:010}.{}{}", settings_.topics_dir, topic, path, topic, partition,
                  f.first_offset, settings_.format == sink_format::csv ? "csv" : "json",
                  compression_extension(settings_.codec));
  auto written = store_->write(name, compress_whole(settings_.codec, f.body));
  if (!written) {
    // The buffer stays: the next put or pre_commit writes it again.
    return make_error(errc::retriable, written.error().message);
  }
  return ok();
}

result<void> objstore_sink_task::put(std::vector<sink_record>& records) {
  for (auto& r : records) {
    int32_t partition = r.kafka_partition.value_or(0);
    auto tp = tp_of(r.topic, partition);
    auto next = next_offset_.find(tp);
    if (next != next_offset_.end() && r.kafka_offset < next->second) continue;  // redelivered
    auto path = path_of(r);
    if (!path) return path.error();
    file_key k{r.topic, partition, path.value()};
    auto& f = files_[k];
    int64_t t = r.timestamp.value_or(0);
    // A record past the time span of its file closes that file first.
    if (f.records > 0 && settings_.rotate_interval.count() > 0 &&
        t - f.first_time >= settings_.rotate_interval.count()) {
      CONNECT_TRY(write(k, f));
      f = open_file{};
    }
    if (f.records == 0) {
      f.path = path.value();
      f.first_offset = r.kafka_offset;
      f.first_time = t;
      f.opened = std::chrono::steady_clock::now();
    }
    CONNECT_TRY(append(f, r));
    ++f.records;
    next_offset_[tp] = r.kafka_offset + 1;
    if (f.records >= settings_.flush_size ||
        int64_t(f.body.size()) >= settings_.rotate_size_bytes) {
      CONNECT_TRY(write(k, f));
      files_.erase(k);
    }
  }
  return ok();
}

result<offset_map> objstore_sink_task::pre_commit(const offset_map& current) {
  if (settings_.rotate_schedule.count() > 0) {
    auto now = std::chrono::steady_clock::now();
    for (auto it = files_.begin(); it != files_.end();) {
      if (it->second.records > 0 && now - it->second.opened >= settings_.rotate_schedule) {
        CONNECT_TRY(write(it->first, it->second));
        it = files_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Per partition, the first offset not in a written file.
  offset_map safe;
  for (auto& [tp, next] : current) safe[tp] = next;
  for (auto& [k, f] : files_) {
    if (f.records == 0) continue;
    auto tp = tp_of(std::get<0>(k), std::get<1>(k));
    auto it = safe.find(tp);
    if (it == safe.end() || f.first_offset < it->second) safe[tp] = f.first_offset;
  }
  return safe;
}

result<void> objstore_sink_task::close(const std::vector<client::topic_partition>& partitions) {
  for (auto& tp : partitions) {
    next_offset_.erase(tp);
    for (auto it = files_.begin(); it != files_.end();) {
      if (std::get<0>(it->first) == tp.topic && std::get<1>(it->first) == tp.partition.value) {
        it = files_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return ok();
}

}  // namespace runnel::connect::objstore
