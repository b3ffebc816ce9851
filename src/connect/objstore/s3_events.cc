#include "connect/objstore/s3_events.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "connect/objstore/time_format.h"

namespace runnel::connect::objstore {

std::string decode_event_key(std::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '+') {
      out.push_back(' ');
    } else if (key[i] == '%' && i + 2 < key.size() && std::isxdigit((unsigned char)key[i + 1]) &&
               std::isxdigit((unsigned char)key[i + 2])) {
      out.push_back(char(std::stoi(std::string(key.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(key[i]);
    }
  }
  return out;
}

result<std::vector<created_object>> parse_s3_event(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return make_error(errc::data, "not an S3 event: not a JSON object");
  std::vector<created_object> out;
  auto records = j.find("Records");
  if (records == j.end()) {
    if (j.contains("Event")) return out;  // s3:TestEvent, sent when notifications are set up
    return make_error(errc::data, "not an S3 event: no Records");
  }
  if (!records->is_array()) return make_error(errc::data, "not an S3 event: Records");
  for (auto& r : *records) {
    if (!r.is_object() || !r.value("eventName", std::string()).starts_with("ObjectCreated:")) {
      continue;
    }
    auto s3 = r.find("s3");
    if (s3 == r.end() || !s3->is_object()) continue;
    created_object c;
    c.bucket = s3->value("/bucket/name"_json_pointer, std::string());
    const auto& o = (*s3)["object"];
    if (!o.is_object() || !o.contains("key")) continue;
    c.object.key = decode_event_key(o.value("key", std::string()));
    c.object.size = o.value("size", int64_t(0));
    c.object.etag = o.value("eTag", std::string());
    c.object.last_modified =
        parse_iso8601(r.value("eventTime", std::string())).value_or(time_point{});
    out.push_back(std::move(c));
  }
  return out;
}

result<std::vector<created_object>> parse_blob_created_event(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() && !j.is_array()) return make_error(errc::data, "not an Event Grid event");
  if (j.is_object()) j = nlohmann::json::array({j});
  std::vector<created_object> out;
  for (auto& ev : j) {
    if (!ev.is_object()) return make_error(errc::data, "not an Event Grid event");
    auto type = ev.value("eventType", ev.value("type", std::string()));
    if (type != "Microsoft.Storage.BlobCreated") continue;
    constexpr std::string_view containers = "/blobServices/default/containers/";
    auto subject = ev.value("subject", std::string());
    auto at = subject.find(containers);
    auto blobs = subject.find("/blobs/", at == std::string::npos ? 0 : at);
    if (at == std::string::npos || blobs == std::string::npos) continue;
    created_object c;
    c.bucket = subject.substr(at + containers.size(), blobs - at - containers.size());
    c.object.key = subject.substr(blobs + 7);
    const auto& d = ev.contains("data") && ev["data"].is_object() ? ev["data"] : nlohmann::json();
    if (!d.is_object()) continue;
    c.object.etag = d.value("eTag", std::string());
    if (c.object.etag.size() >= 2 && c.object.etag.front() == '"') {
      c.object.etag = c.object.etag.substr(1, c.object.etag.size() - 2);
    }
    c.object.size = d.value("contentLength", int64_t(0));
    c.object.last_modified = parse_iso8601(ev.value("eventTime", ev.value("time", std::string())))
                                 .value_or(time_point{});
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace runnel::connect::objstore
