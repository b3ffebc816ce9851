#include "connect/http/batch.h"

#include <map>

#include "connect/objstore/http.h"

namespace runnel::connect::http {

namespace {

void replace_all(std::string& s, std::string_view what, const std::string& with) {
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
    s.replace(at, what.size(), with);
}

}  // namespace

std::string record_text(const sink_record& r, body_format f) {
  const data& v = r.value;
  if (v.is_binary()) {
    const auto& b = v.get_binary();
    std::string raw(b.begin(), b.end());
    return f == body_format::string ? raw : data(base64_encode(raw)).dump();
  }
  if (v.is_string() && f == body_format::string) return v.get<std::string>();
  return v.dump();
}

std::string resolve_url(const std::string& pattern, const sink_record& r) {
  std::string url = pattern;
  if (url.find("${topic}") != std::string::npos)
    replace_all(url, "${topic}", objstore::uri_encode(r.topic));
  if (url.find("${key}") != std::string::npos) {
    std::string key = r.key.is_null()     ? std::string()
                      : r.key.is_string() ? r.key.get<std::string>()
                      : r.key.is_binary()
                          ? std::string(r.key.get_binary().begin(), r.key.get_binary().end())
                          : r.key.dump();
    replace_all(url, "${key}", objstore::uri_encode(key));
  }
  return url;
}

std::vector<batch> make_batches(const sink_config& c, std::span<const sink_record* const> records) {
  std::vector<batch> out;
  std::map<std::string, std::size_t> open;  // URL → its batch still taking records
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::string url = resolve_url(c.url, *records[i]);
    auto it = open.find(url);
    if (it == open.end() || out[it->second].records.size() >= std::size_t(c.batch_max_size)) {
      out.push_back(batch{url, {}, {}});
      open[url] = out.size() - 1;
      it = open.find(url);
    }
    out[it->second].records.push_back(i);
  }
  for (auto& b : out) {
    b.body = c.prefix;
    for (std::size_t n = 0; n < b.records.size(); ++n) {
      if (n > 0) b.body += c.separator;
      b.body += record_text(*records[b.records[n]], c.format);
    }
    b.body += c.suffix;
  }
  return out;
}

}  // namespace runnel::connect::http
