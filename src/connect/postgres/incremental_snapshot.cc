#include "connect/postgres/incremental_snapshot.h"

#include <cctype>
#include <cstdio>
#include <random>

#include "connect/postgres/replication.h"

namespace runnel::connect::postgres {

namespace {

constexpr const char* k_collections = "incremental_snapshot_collections";
constexpr const char* k_primary_key = "incremental_snapshot_primary_key";
constexpr const char* k_maximum_key = "incremental_snapshot_maximum_key";
constexpr const char* k_id = "incremental_snapshot_collections_id";
constexpr const char* k_condition = "incremental_snapshot_collections_additional_condition";
constexpr const char* k_surrogate = "incremental_snapshot_collections_surrogate_key";

std::string key_text(const std::vector<std::string>& k) {
  data a = data::array();
  for (const auto& v : k) {
    a.push_back(v);
  }
  return a.dump();
}

// A key stored by us (a JSON array of strings); nullopt otherwise.
std::optional<std::vector<std::string>> parse_key(const data& offset, const char* name,
                                                  bool& foreign) {
  auto it = offset.find(name);
  if (it == offset.end() || it->is_null()) {
    return std::nullopt;
  }
  if (it->is_string()) {
    auto j = data::parse(it->get<std::string>(), nullptr, false);
    if (j.is_array()) {
      std::vector<std::string> out;
      bool strings = true;
      for (const auto& v : j) {
        strings = strings && v.is_string();
        if (strings) {
          out.push_back(v.get<std::string>());
        }
      }
      if (strings && !out.empty()) {
        return out;
      }
    }
  }
  foreign = true;
  return std::nullopt;
}

std::string quoted_key(const std::vector<std::string>& key) {
  std::string s;
  for (const auto& k : key) {
    s += (s.empty() ? "" : ", ") + quote_identifier(k);
  }
  return s;
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

}  // namespace

void incremental_progress::next_table() {
  if (!collections.empty()) {
    collections.erase(collections.begin());
  }
  last_key.reset();
  maximum_key.reset();
}

void incremental_progress::to_offset(data& offset) const {
  if (!running()) {
    return;
  }
  data list = data::array();
  for (const auto& c : collections) {
    data e = data::object();
    e[k_id] = c.id;
    e[k_condition] = c.condition ? data(*c.condition) : data(nullptr);
    e[k_surrogate] = nullptr;
    list.push_back(std::move(e));
  }
  offset[k_collections] = list.dump();
  if (last_key) {
    offset[k_primary_key] = key_text(*last_key);
  }
  if (maximum_key) {
    offset[k_maximum_key] = key_text(*maximum_key);
  }
}

incremental_progress incremental_progress::from_offset(const data& offset, std::string& warning) {
  incremental_progress p;
  if (!offset.is_object()) {
    return p;
  }
  auto it = offset.find(k_collections);
  if (it == offset.end() || !it->is_string()) {
    return p;
  }
  auto list = data::parse(it->get<std::string>(), nullptr, false);
  if (!list.is_array()) {
    warning = "postgres: the stored " + std::string(k_collections) +
              " is not a JSON list; the incremental snapshot it describes is dropped";
    return p;
  }
  for (const auto& e : list) {
    if (!e.is_object() || !e.contains(k_id) || !e[k_id].is_string()) {
      continue;
    }
    incremental_collection c{.id = e[k_id].get<std::string>(), .condition = std::nullopt};
    auto cond = e.find(k_condition);
    if (cond != e.end() && cond->is_string() && !cond->get<std::string>().empty()) {
      c.condition = cond->get<std::string>();
    }
    p.collections.push_back(std::move(c));
  }
  if (p.collections.empty()) {
    return p;
  }
  bool foreign = false;
  p.last_key = parse_key(offset, k_primary_key, foreign);
  p.maximum_key = parse_key(offset, k_maximum_key, foreign);
  if (foreign || (p.last_key && !p.maximum_key)) {
    warning = "postgres: the stored incremental snapshot position of " + p.collections[0].id +
              " is not in runnel's form (a Debezium offset?); that table's incremental "
              "snapshot starts again from its first chunk";
    p.last_key.reset();
    p.maximum_key.reset();
  }
  return p;
}

std::optional<std::string> snapshot_signal::condition(const std::string& collection) const {
  for (const auto& [c, f] : conditions) {
    if (c == collection) {
      return f;
    }
  }
  return condition_for_all;
}

result<snapshot_signal> parse_snapshot_signal(const std::optional<std::string>& json) {
  snapshot_signal s;
  if (!json || json->empty()) {
    return s;
  }
  auto j = data::parse(*json, nullptr, false);
  if (!j.is_object()) {
    return make_error(errc::bad_request, "the signal's data is not a JSON object: " + *json);
  }
  if (auto t = j.find("type"); t != j.end() && t->is_string()) {
    s.type = t->get<std::string>();
    for (auto& ch : s.type) {
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
  }
  if (auto dc = j.find("data-collections"); dc != j.end() && !dc->is_null()) {
    if (!dc->is_array()) {
      return make_error(errc::bad_request, "data-collections must be a list of table names");
    }
    for (const auto& v : *dc) {
      if (!v.is_string() || v.get<std::string>().empty()) {
        return make_error(errc::bad_request, "data-collections must be a list of table names");
      }
      s.collections.push_back(v.get<std::string>());
    }
  }
  if (auto ac = j.find("additional-conditions"); ac != j.end() && !ac->is_null()) {
    if (!ac->is_array()) {
      return make_error(errc::bad_request,
                        "additional-conditions must be a list of {data-collection, filter}");
    }
    for (const auto& v : *ac) {
      if (!v.is_object() || !v.contains("data-collection") || !v.contains("filter") ||
          !v["data-collection"].is_string() || !v["filter"].is_string()) {
        return make_error(errc::bad_request,
                          "additional-conditions must be a list of {data-collection, filter}");
      }
      s.conditions.emplace_back(v["data-collection"].get<std::string>(),
                                v["filter"].get<std::string>());
    }
  }
  if (auto ac = j.find("additional-condition");
      ac != j.end() && ac->is_string() && !ac->get<std::string>().empty()) {
    s.condition_for_all = ac->get<std::string>();
  }
  return s;
}

std::optional<std::pair<std::string, std::string>> split_table_name(const std::string& name) {
  std::vector<std::string> parts;
  std::string cur;
  bool quoted = false;
  for (char c : name) {
    if (c == '"') {
      quoted = !quoted;
      cur += c;
    } else if (c == '.' && !quoted) {
      parts.push_back(unquote(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(unquote(cur));
  if (parts.size() == 3) {
    parts.erase(parts.begin());
  }
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
    return std::nullopt;
  }
  return std::make_pair(parts[0], parts[1]);
}

std::string chunk_query(const std::string& schema, const std::string& table,
                        const std::vector<std::string>& columns,
                        const std::vector<std::string>& key,
                        const std::vector<std::string>& key_types, bool after_last,
                        const std::optional<std::string>& condition, std::int64_t limit) {
  std::string cols;
  for (const auto& c : columns) {
    cols += (cols.empty() ? "" : ", ") + quote_identifier(c);
  }
  auto params = [&](std::size_t first) {
    std::string s;
    for (std::size_t i = 0; i < key.size(); ++i) {
      s += (i ? ", " : "") + ("$" + std::to_string(first + i)) + "::" + key_types[i];
    }
    return s;
  };
  auto k = quoted_key(key);
  std::string where;
  if (condition) {
    where += "(" + *condition + ") AND ";
  }
  std::size_t next = 1;
  if (after_last) {
    where += "(" + k + ") > (" + params(next) + ") AND ";
    next += key.size();
  }
  where += "(" + k + ") <= (" + params(next) + ")";
  return "SELECT " + (cols.empty() ? std::string("NULL") : cols) + " FROM " +
         quote_identifier(schema) + "." + quote_identifier(table) + " WHERE " + where +
         " ORDER BY " + k + " LIMIT " + std::to_string(limit);
}

std::string maximum_key_query(const std::string& schema, const std::string& table,
                              const std::vector<std::string>& key,
                              const std::optional<std::string>& condition) {
  std::string order;
  for (const auto& c : key) {
    order += (order.empty() ? "" : ", ") + quote_identifier(c) + " DESC";
  }
  return "SELECT " + quoted_key(key) + " FROM " + quote_identifier(schema) + "." +
         quote_identifier(table) + (condition ? " WHERE (" + *condition + ")" : "") + " ORDER BY " +
         order + " LIMIT 1";
}

std::string new_chunk_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 1
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

}  // namespace runnel::connect::postgres
