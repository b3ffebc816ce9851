#include "connect/postgres/change_events.h"

#include <chrono>

namespace runnel::connect::postgres {

namespace {

std::int64_t system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The sentence logged once for a table whose `before` cannot be whole.
std::optional<std::string> identity_warning(const relation& r) {
  auto name = r.schema + "." + r.name;
  auto fix = " (ALTER TABLE " + name + " REPLICA IDENTITY FULL gives whole rows)";
  switch (r.identity) {
    case replica_identity::full:
      return std::nullopt;
    case replica_identity::default_:
      return "postgres: table " + name +
             " has REPLICA IDENTITY DEFAULT: 'before' is null in updates that keep the primary "
             "key and holds only the key columns in deletes" +
             fix;
    case replica_identity::index:
      return "postgres: table " + name +
             " has REPLICA IDENTITY USING INDEX: 'before' is null in updates that keep the "
             "index's columns and holds only those columns in deletes" +
             fix;
    case replica_identity::nothing:
      return "postgres: table " + name +
             " has REPLICA IDENTITY NOTHING: updates and deletes carry no old values, so "
             "'before' is always null and deletes cannot be keyed" +
             fix;
  }
  return std::nullopt;
}

}  // namespace

change_events::change_events(event_options o, catalog_lookup lookup, clock now_us)
    : opts_(std::move(o)), lookup_(std::move(lookup)), now_us_(std::move(now_us)) {
  if (!now_us_) {
    now_us_ = system_now_us;
  }
}

result<void> change_events::on_relation(const relation& r) {
  std::optional<table_catalog> catalog;
  if (lookup_) {
    BOOST_OUTCOME_TRY(catalog, lookup_(r));
  }
  tables_.insert_or_assign(r.oid, table_schema::make(r, opts_.topic_prefix, catalog));
  auto it = warned_.find(r.oid);
  if (it == warned_.end() || it->second != r.identity) {
    warned_[r.oid] = r.identity;
    if (auto w = identity_warning(r)) {
      warnings_.push_back(std::move(*w));
    }
  }
  return ok();
}

const table_schema* change_events::table(std::uint32_t oid) const {
  auto it = tables_.find(oid);
  return it == tables_.end() ? nullptr : &it->second;
}

result<const table_schema*> change_events::find(std::uint32_t oid) const {
  if (auto* t = table(oid)) {
    return t;
  }
  return make_error(errc::fatal, "postgres: a change of relation " + std::to_string(oid) +
                                     " arrived before its Relation message");
}

std::vector<std::string> change_events::take_warnings() {
  return std::exchange(warnings_, {});
}

bool change_events::skipped(char op) const {
  return opts_.skipped_operations.find(op) != std::string::npos;
}

source_record change_events::make(const table_schema& t, char op, data key, data before, data after,
                                  const change_position& p) const {
  source_info s{.name = opts_.topic_prefix,
                .db = opts_.database,
                .schema = t.rel().schema,
                .table = t.rel().name,
                .ts_us = p.ts_us,
                .snapshot = p.snapshot,
                .tx_id = p.tx_id,
                .change_lsn = p.change_lsn,
                .last_commit_lsn = p.last_commit_lsn,
                .xmin = std::nullopt};
  auto now = now_us_();
  source_record r;
  r.topic = t.topic();
  r.key_schema = t.key_schema();
  r.key = std::move(key);
  r.value_schema = t.envelope_schema();
  data v = data::object();
  v["before"] = std::move(before);
  v["after"] = std::move(after);
  v["source"] = source_value(s);
  v["transaction"] = nullptr;
  v["op"] = std::string(1, op);
  v["ts_ms"] = now / 1000;
  v["ts_us"] = now;
  v["ts_ns"] = now * 1000;
  r.value = std::move(v);
  r.source_partition = data{{"server", opts_.topic_prefix}};
  return r;
}

source_record change_events::tombstone(const table_schema& t, data key) const {
  source_record r;
  r.topic = t.topic();
  r.key_schema = t.key_schema();
  r.key = std::move(key);
  // No value schema, as Debezium's tombstones: a converter writes a null
  // value (the envelope's schema does not admit one).
  r.value_schema = nullptr;
  r.value = nullptr;
  r.source_partition = data{{"server", opts_.topic_prefix}};
  return r;
}

result<std::vector<source_record>> change_events::on_insert(const insert_msg& m,
                                                            const change_position& p) {
  BOOST_OUTCOME_TRY(auto* t, find(m.relation_oid));
  std::vector<source_record> out;
  if (skipped('c')) {
    return out;
  }
  BOOST_OUTCOME_TRY(auto key, t->key(m.new_tuple));
  BOOST_OUTCOME_TRY(auto after, t->row(m.new_tuple));
  out.push_back(make(*t, 'c', std::move(key), nullptr, std::move(after), p));
  return out;
}

result<std::vector<source_record>> change_events::on_read(std::uint32_t oid, const tuple& row,
                                                          const change_position& p) {
  BOOST_OUTCOME_TRY(auto* t, find(oid));
  BOOST_OUTCOME_TRY(auto key, t->key(row));
  BOOST_OUTCOME_TRY(auto after, t->row(row));
  std::vector<source_record> out;
  out.push_back(make(*t, 'r', std::move(key), nullptr, std::move(after), p));
  return out;
}

result<std::vector<source_record>> change_events::on_update(const update_msg& m,
                                                            const change_position& p) {
  BOOST_OUTCOME_TRY(auto* t, find(m.relation_oid));
  const tuple* old = m.old_tuple ? &*m.old_tuple : nullptr;
  BOOST_OUTCOME_TRY(auto new_key, t->key(m.new_tuple));
  BOOST_OUTCOME_TRY(auto after, t->row(m.new_tuple, m.old_kind == 'O' ? old : nullptr));
  std::vector<source_record> out;
  if (old && t->has_key()) {
    BOOST_OUTCOME_TRY(auto old_key, t->key(*old));
    if (old_key != new_key) {
      // The key changed: the old key's row is gone and a new key's row
      // appears, so that a consumer keyed by the primary key sees both.
      BOOST_OUTCOME_TRY(auto before, t->row(*old));
      if (!skipped('d')) {
        auto del = make(*t, 'd', old_key, std::move(before), nullptr, p);
        del.add_header("__debezium.newkey", new_key, t->key_schema());
        out.push_back(std::move(del));
        if (opts_.tombstones_on_delete) {
          // Debezium's tombstone of a key change names the new key too.
          auto tomb = tombstone(*t, old_key);
          tomb.add_header("__debezium.newkey", new_key, t->key_schema());
          out.push_back(std::move(tomb));
        }
      }
      if (!skipped('c')) {
        auto create = make(*t, 'c', new_key, nullptr, std::move(after), p);
        create.add_header("__debezium.oldkey", old_key, t->key_schema());
        out.push_back(std::move(create));
      }
      return out;
    }
  }
  if (skipped('u')) {
    return out;
  }
  data before = nullptr;
  if (old) {
    BOOST_OUTCOME_TRY(before, t->row(*old));
  }
  out.push_back(make(*t, 'u', std::move(new_key), std::move(before), std::move(after), p));
  return out;
}

result<std::vector<source_record>> change_events::on_delete(const delete_msg& m,
                                                            const change_position& p) {
  BOOST_OUTCOME_TRY(auto* t, find(m.relation_oid));
  std::vector<source_record> out;
  if (skipped('d')) {
    return out;
  }
  BOOST_OUTCOME_TRY(auto key, t->key(m.old_tuple));
  BOOST_OUTCOME_TRY(auto before, t->row(m.old_tuple));
  out.push_back(make(*t, 'd', key, std::move(before), nullptr, p));
  if (opts_.tombstones_on_delete && t->has_key()) {
    out.push_back(tombstone(*t, std::move(key)));
  }
  return out;
}

result<std::vector<source_record>> change_events::on_truncate(const truncate_msg& m,
                                                              const change_position& p) {
  std::vector<source_record> out;
  if (skipped('t')) {
    return out;
  }
  for (auto oid : m.relation_oids) {
    BOOST_OUTCOME_TRY(auto* t, find(oid));
    auto r = make(*t, 't', nullptr, nullptr, nullptr, p);
    // A truncate concerns the whole table: no key, as in Debezium.
    r.key_schema = nullptr;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace runnel::connect::postgres
