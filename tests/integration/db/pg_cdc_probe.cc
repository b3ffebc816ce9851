// pg_cdc_probe: the PostgreSQL replication layer of the connect module
// (src/connect/postgres) run on its own, for test_postgres_cdc.py.
//
//   pg_cdc_probe CONNINFO SLOT PUBLICATION CHANGES TIMEOUT_S
//
// Creates the slot if it does not exist (printing `slot created LSN` or
// `slot exists LSN`, then `streaming`), streams from the slot's confirmed
// position and prints one JSON object per pgoutput message until CHANGES
// insert/update/delete/truncate messages were seen (and their transaction
// committed) or TIMEOUT_S passed. It acknowledges each commit's end LSN
// after printing it, as a connector acknowledges only what is durable, so a
// second run continues after the last transaction the first one finished.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "connect/convert/json_data.h"
#include "connect/postgres/pgoutput.h"
#include "connect/postgres/replication.h"
#include "connect/postgres/value_mapping.h"

namespace pg = runnel::connect::postgres;
using nlohmann::json;

namespace {

json tuple_json(const pg::tuple& t) {
  json a = json::array();
  for (const auto& v : t) {
    switch (v.what) {
      case pg::value::kind::null:
        a.push_back(nullptr);
        break;
      case pg::value::kind::unchanged_toast:
        a.push_back(json{{"unchanged_toast", true}});
        break;
      default:
        a.push_back(v.data);
    }
  }
  return a;
}

json to_json(const pg::message& m) {
  return std::visit(
      [](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, pg::begin_msg>) {
          return {{"type", "begin"}, {"xid", x.xid}, {"final_lsn", x.final_lsn.to_string()}};
        } else if constexpr (std::is_same_v<T, pg::commit_msg>) {
          return {{"type", "commit"},
                  {"end_lsn", x.end_lsn.to_string()},
                  {"ts_ms", x.commit_time.unix_millis()}};
        } else if constexpr (std::is_same_v<T, pg::relation>) {
          json cols = json::array();
          for (const auto& c : x.columns) {
            cols.push_back({{"name", c.name}, {"type_oid", c.type_oid}, {"key", c.part_of_key}});
          }
          return {{"type", "relation"},
                  {"schema", x.schema},
                  {"table", x.name},
                  {"identity", std::string(1, static_cast<char>(x.identity))},
                  {"columns", cols}};
        } else if constexpr (std::is_same_v<T, pg::insert_msg>) {
          return {{"type", "insert"}, {"new", tuple_json(x.new_tuple)}};
        } else if constexpr (std::is_same_v<T, pg::update_msg>) {
          json j{{"type", "update"}, {"new", tuple_json(x.new_tuple)}};
          if (x.old_tuple) {
            j["old_kind"] = std::string(1, x.old_kind);
            j["old"] = tuple_json(*x.old_tuple);
          }
          return j;
        } else if constexpr (std::is_same_v<T, pg::delete_msg>) {
          return {{"type", "delete"},
                  {"old_kind", std::string(1, x.old_kind)},
                  {"old", tuple_json(x.old_tuple)}};
        } else if constexpr (std::is_same_v<T, pg::truncate_msg>) {
          return {{"type", "truncate"}, {"relations", x.relation_oids.size()}};
        } else if constexpr (std::is_same_v<T, pg::logical_msg>) {
          return {{"type", "message"}, {"prefix", x.prefix}, {"content", x.content}};
        } else {
          return {{"type", "other"}};
        }
      },
      m);
}

bool is_change(const pg::message& m) {
  return std::holds_alternative<pg::insert_msg>(m) || std::holds_alternative<pg::update_msg>(m) ||
         std::holds_alternative<pg::delete_msg>(m) || std::holds_alternative<pg::truncate_msg>(m);
}

int fail(const runnel::connect::error& e) {
  std::cerr << "pg_cdc_probe: " << e.message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: pg_cdc_probe CONNINFO SLOT PUBLICATION CHANGES TIMEOUT_S\n";
    return 2;
  }
  std::string slot = argv[2];
  std::string publication = argv[3];
  long want = std::stol(argv[4]);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::stol(argv[5]));

  auto c = pg::replication_connection::open(argv[1]);
  if (!c) {
    return fail(c.error());
  }
  auto& conn = c.value();
  auto existing = conn.slot_confirmed_flush(slot);
  if (!existing) {
    return fail(existing.error());
  }
  if (existing.value()) {
    std::cout << "slot exists " << existing.value()->to_string() << std::endl;
  } else {
    auto created = conn.create_slot(slot, false, false);
    if (!created) {
      return fail(created.error());
    }
    std::cout << "slot created " << created.value().consistent_point.to_string() << std::endl;
  }
  if (auto s = conn.start(slot, pg::lsn{}, {publication}, true); !s) {
    return fail(s.error());
  }
  std::cout << "streaming" << std::endl;

  pg::relation_cache relations;
  long changes = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto d = conn.next(std::chrono::milliseconds(200));
    if (!d) {
      return fail(d.error());
    }
    if (!d.value()) {
      continue;
    }
    auto m = pg::decode(d.value()->payload);
    if (!m) {
      return fail(m.error());
    }
    json j = to_json(m.value());
    if (const auto* ins = std::get_if<pg::insert_msg>(&m.value())) {
      if (const auto* r = relations.find(ins->relation_oid)) {
        j["table"] = r->schema + "." + r->name;
        // The row as Debezium's "after" (value_mapping.h), in JsonConverter's JSON.
        json mapped = json::object();
        for (std::size_t i = 0; i < r->columns.size() && i < ins->new_tuple.size(); ++i) {
          const auto& col = r->columns[i];
          const auto& v = ins->new_tuple[i];
          if (v.what != pg::value::kind::text) {
            mapped[col.name] = nullptr;
            continue;
          }
          auto value = pg::column_value(col, v.data);
          if (!value) {
            return fail(value.error());
          }
          auto as_json = runnel::connect::to_json(pg::column_schema(col, true), value.value());
          if (!as_json) {
            return fail(as_json.error());
          }
          mapped[col.name] = json::parse(as_json.value().dump());
        }
        j["after"] = mapped;
      }
    }
    if (auto* r = std::get_if<pg::relation>(&m.value())) {
      relations.put(*r);
    }
    std::cout << j.dump() << std::endl;
    changes += is_change(m.value()) ? 1 : 0;
    if (const auto* commit = std::get_if<pg::commit_msg>(&m.value())) {
      if (auto s = conn.send_status(commit->end_lsn, commit->end_lsn); !s) {
        return fail(s.error());
      }
      if (changes >= want) {
        std::cout << "done " << changes << std::endl;
        return 0;
      }
    }
  }
  std::cerr << "pg_cdc_probe: timed out after " << changes << " of " << want << " changes\n";
  return 3;
}
