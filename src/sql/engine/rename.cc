// ALTER TABLE|SOURCE|SINK|VIEW|MATERIALIZED VIEW name RENAME TO new_name.
//
// As in PostgreSQL, dependants keep working: a view over the renamed
// relation reads the same relation afterwards. Running dataflows name their
// inputs by id, so nothing running changes; what names relations by name
// is the stored text — each relation's CREATE statement (SHOW CREATE, the
// catalog topic, the state store's markers) and a plain view's query,
// bound at each use — and that is rewritten (parse/rename.h) so that a
// restart re-creates the same relations under the new name.
#include <cctype>

#include "sql/catalog/catalog_log.h"
#include "sql/engine/engine.h"
#include "sql/engine/relation_state.h"
#include "sql/engine/system_tables.h"
#include "sql/parse/rename.h"

namespace runnel::sql {

result<statement_result> engine::alter_rename(const statement& s) {
  std::string tag = "ALTER " + s.object_kind;
  for (auto& c : tag) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  statement_result done{{}, row_batch(0), tag};
  relation* r = lookup(s.name);
  if (!r) {
    if (s.if_exists) return done;
    return make_error(errc::undefined_table, s.name_pos, "relation \"{}\" does not exist", s.name);
  }
  if (relation_kind_name(r->info.kind) != s.object_kind)
    return make_error(errc::wrong_object_type, s.name_pos, "\"{}\" is not a {}", s.name,
                      s.object_kind);
  if (!s.column.empty()) return rename_column(s, *r, std::move(done));
  if (find(s.new_name) || find_system_table("pg_catalog", s.new_name))
    return make_error(errc::duplicate_object, -1, "relation \"{}\" already exists", s.new_name);
  const std::string from = s.name, to = s.new_name;

  // Every definition that names it, rewritten first: if one cannot be,
  // nothing has changed yet.
  struct change {
    relation* rel;
    std::string definition;
    statement parsed;  // a plain view's query is bound from it
  };
  std::vector<change> changes;
  for (auto& v : relations_) {
    BOOST_OUTCOME_TRY(auto d, rename_relation_in(v->info.definition, from, to));
    if (d == v->info.definition) continue;
    BOOST_OUTCOME_TRY(auto parsed, parse_sql(d));
    changes.push_back({v.get(), std::move(d), std::move(parsed.front())});
  }

  // The catalog: the new entries and the old name's tombstone in one go.
  if (catalog_) {
    std::vector<catalog_entry> puts;
    for (const auto& c : changes) {
      if (c.rel->hidden) continue;  // a SUBSCRIBE's own view lives and dies with its cursor
      catalog_entry e;
      e.name = c.rel == r ? to : c.rel->info.name;
      e.id = c.rel->info.id;
      e.sql = c.definition;
      if (c.rel->source) e.start_offsets = c.rel->source->start_offsets();
      puts.push_back(std::move(e));
    }
    BOOST_OUTCOME_TRY(catalog_->replace(puts, {from}));
  }

  // In memory, and the state store's markers (a relation's committed state
  // is its definition's: the marker follows the text).
  for (auto& c : changes) {
    relation& v = *c.rel;
    bool stored = has_state(v);
    v.info.definition = c.definition;
    if (stored) mark_stored(v);
    if (v.info.kind == relation_kind::view) {
      v.info.query = std::make_shared<const json>(c.parsed.node);
      v.info.temporal_joins = c.parsed.temporal_joins;
    }
  }
  for (auto& v : relations_)
    if (auto it = v->info.deps.find(from); it != v->info.deps.end() && it->second == r->info.id) {
      v->info.deps.erase(it);
      v->info.deps[to] = r->info.id;
    }
  r->info.name = to;
  for (auto& c : r->info.columns)
    if (c.qualifier == from) c.qualifier = to;
  if (r->is_view()) r->env.name = to;
  return done;
}

// ALTER TABLE t RENAME COLUMN a TO b, for a table written with INSERT that
// nothing reads yet: a source's columns name the fields it decodes, and a
// view's text over the table would need its references rewritten with
// their scopes, which is not done.
result<statement_result> engine::rename_column(const statement& s, relation& r,
                                               statement_result done) {
  if (r.info.kind != relation_kind::table || r.source)
    return make_error(errc::feature_not_supported, s.column_pos,
                      "RENAME COLUMN is supported for tables written with INSERT only: the "
                      "columns of \"{}\" name what it reads",
                      s.name);
  for (const auto& v : relations_)
    for (const auto& [n, id] : v->info.deps)
      if (id == r.info.id && !v->hidden) {
        sql_error e = make_error(errc::feature_not_supported, s.column_pos,
                                 "cannot rename a column of table \"{}\": {} {} depends on it",
                                 s.name, relation_kind_name(v->info.kind), v->info.name);
        e.hint = "Drop what depends on it, rename the column, then create them again.";
        return e;
      }
  int at = -1;
  for (size_t i = 0; i < r.info.columns.size(); ++i) {
    if (r.info.columns[i].name == s.new_name)
      return make_error(errc::duplicate_column, -1,
                        "column \"{}\" of relation \"{}\" already exists", s.new_name, s.name);
    if (r.info.columns[i].name == s.column) at = static_cast<int>(i);
  }
  if (at < 0)
    return make_error(errc::undefined_column, s.column_pos, "column \"{}\" does not exist",
                      s.column);
  BOOST_OUTCOME_TRY(auto d, rename_column_in(r.info.definition, s.column, s.new_name));
  if (catalog_) {
    catalog_entry e;
    e.name = r.info.name;
    e.id = r.info.id;
    e.sql = d;
    BOOST_OUTCOME_TRY(catalog_->put(e));
  }
  bool stored = has_state(r);
  r.info.definition = std::move(d);
  if (stored) mark_stored(r);
  r.info.columns[static_cast<size_t>(at)].name = s.new_name;
  return done;
}

}  // namespace runnel::sql
