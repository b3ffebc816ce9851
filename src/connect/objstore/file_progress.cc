#include "connect/objstore/file_progress.h"

namespace runnel::connect::objstore {

data partition_of(std::string_view container, std::string_view key) {
  data p = data::object();
  p["container"] = std::string(container);
  p["key"] = std::string(key);
  return p;
}

data offset_of(const file_progress& p) {
  data o = data::object();
  o["etag"] = p.etag;
  o["size"] = p.size;
  o["records"] = p.records;
  o["done"] = p.done;
  return o;
}

std::optional<file_progress> parse_offset(const data& o) {
  if (!o.is_object()) return std::nullopt;
  auto etag = o.find("etag");
  auto size = o.find("size");
  auto records = o.find("records");
  auto done = o.find("done");
  if (etag == o.end() || !etag->is_string() || size == o.end() || !size->is_number_integer() ||
      records == o.end() || !records->is_number_integer() || done == o.end() ||
      !done->is_boolean()) {
    return std::nullopt;
  }
  return file_progress{etag->get<std::string>(), size->get<int64_t>(), records->get<int64_t>(),
                       done->get<bool>()};
}

std::optional<int64_t> dedup_store::start_record(const object_info& o) {
  auto it = known_.find(o.key);
  if (it == known_.end() && stored_) {
    if (auto off = stored_->offset(partition_of(container_, o.key))) {
      if (auto p = parse_offset(*off)) it = known_.emplace(o.key, *p).first;
    }
  }
  if (it == known_.end() || !it->second.same_version(o)) return 0;
  if (it->second.done) return std::nullopt;
  return it->second.records;
}

}  // namespace runnel::connect::objstore
