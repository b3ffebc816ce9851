// ALTER TABLE|SOURCE|SINK|VIEW|MATERIALIZED VIEW name RENAME TO new_name.
//
// As in PostgreSQL, dependants keep working: a view over the renamed
// relation reads the same relation afterwards. Running dataflows name their
// inputs by id, so nothing running changes; what names relations by name
// is the stored text — each relation's CREATE statement (SHOW CREATE, the
// catalog topic, the state store's markers) and a plain view's query,
// bound at each use — and that is rewritten (parse/rename.h) so that a
// restart re-creates the same relations under the new name.
#include <algorithm>
#include <cctype>
#include <set>

#include "sql/catalog/catalog_log.h"
#include "sql/engine/engine.h"
#include "sql/engine/relation_state.h"
#include "sql/engine/system_tables.h"
#include "sql/parse/rename.h"
#include "sql/plan/binder.h"

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
  for (auto& c : changes) redefine(*c.rel, c.definition, &c.parsed);
  rename_in_memory(*r, to);
  return done;
}

void engine::redefine(relation& v, const std::string& definition, const statement* parsed) {
  if (v.info.definition == definition) return;
  std::optional<statement> own;
  if (!parsed && v.info.kind == relation_kind::view) {
    auto p = parse_sql(definition);
    if (!p || p.value().size() != 1) return;  // the leader parsed it; never here
    own = std::move(p.value().front());
    parsed = &*own;
  }
  bool stored = has_state(v);
  v.info.definition = definition;
  if (stored) mark_stored(v);
  if (v.info.kind == relation_kind::view && parsed) {
    v.info.query = std::make_shared<const json>(parsed->node);
    v.info.temporal_joins = parsed->temporal_joins;
  }
}

void engine::rename_in_memory(relation& r, const std::string& to) {
  const std::string from = r.info.name;
  for (auto& v : relations_)
    if (auto it = v->info.deps.find(from); it != v->info.deps.end() && it->second == r.info.id) {
      v->info.deps.erase(it);
      v->info.deps[to] = r.info.id;
    }
  r.info.name = to;
  for (auto& c : r.info.columns)
    if (c.qualifier == from) c.qualifier = to;
  if (r.is_view()) r.env.name = to;
}

namespace {

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// The identifier at `p` (bare or double-quoted): its end, and its value
// (a bare one folded to lower case). False if there is none.
bool read_ident(std::string_view t, size_t p, size_t& end, std::string& value) {
  value.clear();
  if (p >= t.size()) return false;
  if (t[p] == '"') {
    size_t q = p + 1;
    while (q < t.size()) {
      if (t[q] == '"') {
        if (q + 1 < t.size() && t[q + 1] == '"') {
          value += '"';
          q += 2;
          continue;
        }
        end = q + 1;
        return true;
      }
      value += t[q++];
    }
    return false;
  }
  size_t q = p;
  while (q < t.size() && ident_char(t[q]))
    value += static_cast<char>(std::tolower(static_cast<unsigned char>(t[q++])));
  end = q;
  return q > p;
}

size_t skip_space(std::string_view t, size_t p) {
  while (p < t.size() && std::isspace(static_cast<unsigned char>(t[p]))) ++p;
  return p;
}

// A dotted name at `p` (a.b.c): the start and end of its last field.
bool last_field(std::string_view t, size_t p, size_t& start, size_t& end, std::string& value) {
  if (!read_ident(t, p, end, value)) return false;
  start = p;
  for (;;) {
    size_t q = skip_space(t, end);
    if (q >= t.size() || t[q] != '.') return true;
    q = skip_space(t, q + 1);
    size_t e = 0;
    std::string v;
    if (!read_ident(t, q, e, v)) return true;  // a.* : the star is not a field
    start = q;
    end = e;
    value = std::move(v);
  }
}

// The locations of column references that are a select-list item without
// AS: renaming them would rename that output column, so they get `AS old`.
void bare_targets(const json& j, std::set<int>& out) {
  if (j.is_object()) {
    if (j.contains("ResTarget")) {
      const json& rt = j["ResTarget"];
      if (!rt.contains("name") && rt.contains("val") && rt["val"].contains("ColumnRef"))
        out.insert(rt["val"]["ColumnRef"].value("location", -1));
    }
    for (const auto& [k, v] : j.items()) bare_targets(v, out);
  } else if (j.is_array()) {
    for (const auto& v : j) bare_targets(v, out);
  }
}

// The select-list items of the top-level SELECT (where a * may expand to
// the renamed column: the view's column list pins its output names).
std::set<int> top_targets(const json& q) {
  std::set<int> out;
  const json& sel = q.contains("SelectStmt") ? q["SelectStmt"] : q;
  if (sel.is_object() && sel.contains("targetList"))
    for (const auto& t : sel["targetList"])
      if (t.contains("ResTarget")) out.insert(t["ResTarget"].value("location", -1));
  return out;
}

bool mentions_using(const json& j, const std::string& name) {
  if (j.is_object()) {
    if (j.value("isNatural", false)) return true;
    if (j.contains("usingClause"))
      for (const auto& u : j["usingClause"])
        if (u.contains("String") && u["String"].value("sval", "") == name) return true;
    for (const auto& [k, v] : j.items())
      if (mentions_using(v, name)) return true;
  } else if (j.is_array()) {
    for (const auto& v : j)
      if (mentions_using(v, name)) return true;
  }
  return false;
}

// CREATE [MATERIALIZED] VIEW name (c1, c2, ...) AS ...: the column list
// after the name, put in or replaced.
result<std::string> with_column_list(std::string_view def, const statement& st,
                                     const std::vector<std::string>& names) {
  size_t start = 0, end = 0;
  std::string v;
  if (st.name_pos < 0 || !last_field(def, static_cast<size_t>(st.name_pos), start, end, v))
    return make_error(errc::internal, -1, "cannot find the view's name in its definition");
  std::string list = " (";
  for (size_t i = 0; i < names.size(); ++i) list += (i ? ", " : "") + quote_identifier(names[i]);
  list += ")";
  size_t p = skip_space(def, end);
  size_t to = end;
  if (p < def.size() && def[p] == '(') {
    size_t q = p + 1;
    while (q < def.size() && def[q] != ')') {
      if (def[q] == '"') {
        size_t e = 0;
        std::string ignored;
        if (!read_ident(def, q, e, ignored)) break;
        q = e;
      } else {
        ++q;
      }
    }
    if (q >= def.size())
      return make_error(errc::internal, -1, "cannot find the end of the view's column list");
    to = q + 1;
  }
  return std::string(def.substr(0, end)) + list + std::string(def.substr(to));
}

// The query of a view's, materialized view's or sink's statement.
json query_of(const statement& st, relation_kind kind) {
  if (kind == relation_kind::sink && st.node.contains("SelectStmt"))
    return json(st.node["SelectStmt"]);
  return st.node;
}

}  // namespace

// ALTER TABLE|SOURCE|VIEW|MATERIALIZED VIEW r RENAME COLUMN a TO b.
//
// As in PostgreSQL, what reads the column keeps reading it: running
// dataflows read columns by position, so nothing running changes; the
// stored statements are what names it, and they are rewritten so that a
// restart binds the same columns. r's own: a table's column definition
// (and its keys); a view's column list (`CREATE VIEW v (…, b, …)`), put in
// or replaced. Each dependant's (views, materialized views, sinks AS
// SELECT): its text is bound again with bind_options::column_uses, which
// gives the position of every reference that resolves to r.a (through
// joins, windows, CTE bodies; not the plain views it inlines, which are
// dependants of their own); each is respelled b, a select-list item `a`
// becomes `b AS a` so that the dependant's own columns keep their names,
// and a view's column list pins its output names where a * expanded to the
// column. What cannot be rewritten so is refused (0A000): a * elsewhere,
// USING (a) or NATURAL joins, a sink FROM r or selecting * (its records
// name the columns), and the columns of a source (they name the fields it
// decodes). The rewritten texts are bound again under the new name before
// anything is written.
result<statement_result> engine::rename_column(const statement& s, relation& r,
                                               statement_result done) {
  if (r.info.kind == relation_kind::sink)
    return make_error(errc::feature_not_supported, s.column_pos,
                      "RENAME COLUMN is not supported for sink \"{}\": its columns name the "
                      "fields of the records it writes",
                      s.name);
  const bool over_topic = r.source || r.info.kind == relation_kind::source;
  int at = -1;
  for (size_t i = 0; i < r.info.columns.size(); ++i) {
    if (r.info.columns[i].hidden) continue;
    if (r.info.columns[i].name == s.new_name)
      return make_error(errc::duplicate_column, -1,
                        "column \"{}\" of relation \"{}\" already exists", s.new_name, s.name);
    if (r.info.columns[i].name == s.column) at = static_cast<int>(i);
  }
  if (at < 0)
    return make_error(errc::undefined_column, s.column_pos,
                      "column \"{}\" of relation \"{}\" does not exist", s.column, s.name);
  const std::string from = s.column, to = s.new_name;
  auto refuse = [&](const relation& v, const std::string& why) {
    sql_error e = make_error(errc::feature_not_supported, s.column_pos,
                             "cannot rename column \"{}\" of \"{}\": {} \"{}\" {}", from, s.name,
                             relation_kind_name(v.info.kind), v.info.name, why);
    e.hint = "Drop what depends on it, rename the column, then create them again.";
    return e;
  };

  struct change {
    relation* rel;
    std::string definition;
  };
  std::vector<change> changes;

  // Its own definition.
  if (over_topic) {
    // The column goes on reading its field (OPTIONS (column_name …)); what
    // else names it in the statement is not rewritten.
    BOOST_OUTCOME_TRY(auto parsed, parse_sql(r.info.definition));
    const statement& st = parsed.front();
    size_t value_columns = 0;
    for (const auto& e : st.node["CreateStmt"].value("tableElts", json::array()))
      value_columns += e.contains("ColumnDef") ? 1 : 0;
    bool named = static_cast<size_t>(at) >= value_columns;  // an INCLUDE … AS column
    for (const auto& w : st.watermarks)
      named |= w.column == from || w.expr.dump().find("\"" + from + "\"") != std::string::npos;
    named |= std::find(r.info.primary_key.begin(), r.info.primary_key.end(), at) !=
             r.info.primary_key.end();
    if (named)
      return make_error(errc::feature_not_supported, s.column_pos,
                        "cannot rename column \"{}\" of \"{}\": its WATERMARK, INCLUDE or PRIMARY "
                        "KEY clause names it",
                        from, s.name);
    BOOST_OUTCOME_TRY(auto d, rename_source_column_in(r.info.definition, from, to));
    changes.push_back({&r, std::move(d)});
  } else if (r.info.kind == relation_kind::table) {
    BOOST_OUTCOME_TRY(auto d, rename_column_in(r.info.definition, from, to));
    changes.push_back({&r, std::move(d)});
  } else {
    BOOST_OUTCOME_TRY(auto parsed, parse_sql(r.info.definition));
    std::vector<std::string> names;
    for (const auto& c : r.info.columns)
      if (!c.hidden) names.push_back(c.name == from ? to : c.name);
    BOOST_OUTCOME_TRY(auto d, with_column_list(r.info.definition, parsed.front(), names));
    changes.push_back({&r, std::move(d)});
  }

  // Its dependants', each reference found by binding it again.
  for (auto& vp : relations_) {
    relation& v = *vp;
    if (&v == &r || v.hidden) continue;
    bool reads = false;
    for (const auto& [n, id] : v.info.deps) reads |= id == r.info.id;
    if (!reads) continue;
    BOOST_OUTCOME_TRY(auto parsed, parse_sql(v.info.definition));
    const statement& st = parsed.front();
    if (v.info.kind == relation_kind::sink && !st.from.empty())
      return refuse(v, "reads it whole (FROM): its records name the columns");
    if (mentions_using(st.node, from)) return refuse(v, "joins with USING or NATURAL");
    std::vector<column_use> uses;
    bind_options opt;
    opt.catalog = this;
    opt.resolved = &v.info.deps;
    opt.temporal_joins = st.temporal_joins;
    opt.streaming = v.info.kind != relation_kind::view;
    opt.column_uses = &uses;
    json query = query_of(st, v.info.kind);
    BOOST_OUTCOME_TRY(bind_query(query, opt));
    std::set<int> bare, top = top_targets(query);
    bare_targets(query, bare);
    std::string text = v.info.definition;
    bool pin = false;
    // Respelled from the last reference back, so positions stay true.
    std::vector<std::pair<size_t, std::pair<size_t, std::string>>> edits;  // start -> (end, text)
    for (const auto& u : uses) {
      if (u.relation != r.info.id || u.column != at) continue;
      if (u.star) {
        if (v.info.kind == relation_kind::sink || !top.count(u.location))
          return refuse(v, "selects * from it where its columns' names would change");
        pin = true;
        continue;
      }
      size_t fs = 0, fe = 0;
      std::string val;
      if (u.location < 0 || !last_field(text, static_cast<size_t>(u.location), fs, fe, val) ||
          val != from)
        return make_error(errc::internal, s.column_pos,
                          "cannot find the reference to column \"{}\" in \"{}\"", from,
                          v.info.name);
      std::string spelled = quote_identifier(to);
      if (bare.count(u.location)) spelled += " AS " + quote_identifier(from);
      edits.push_back({fs, {fe, spelled}});
    }
    if (edits.empty() && !pin) continue;
    std::sort(edits.begin(), edits.end());
    edits.erase(std::unique(edits.begin(), edits.end()), edits.end());
    for (auto it = edits.rbegin(); it != edits.rend(); ++it)
      text = text.substr(0, it->first) + it->second.second + text.substr(it->second.first);
    if (pin) {
      BOOST_OUTCOME_TRY(auto reparsed, parse_sql(text));
      std::vector<std::string> names;
      for (const auto& c : v.info.columns)
        if (!c.hidden) names.push_back(c.name);
      BOOST_OUTCOME_TRY(text, with_column_list(text, reparsed.front(), names));
    }
    changes.push_back({&v, std::move(text)});
  }

  // Every rewritten dependant binds under the new name, or nothing changes.
  r.info.columns[static_cast<size_t>(at)].name = to;
  for (const auto& c : changes) {
    if (c.rel == &r) continue;
    auto check = [&]() -> result<void> {
      BOOST_OUTCOME_TRY(auto parsed, parse_sql(c.definition));
      const statement& st = parsed.front();
      bind_options opt;
      opt.catalog = this;
      opt.resolved = &c.rel->info.deps;
      opt.temporal_joins = st.temporal_joins;
      opt.streaming = c.rel->info.kind != relation_kind::view;
      BOOST_OUTCOME_TRY(bind_query(query_of(st, c.rel->info.kind), opt));
      return outcome::success();
    };
    if (auto ok = check(); !ok) {
      r.info.columns[static_cast<size_t>(at)].name = from;
      return make_error(errc::internal, s.column_pos,
                        "renaming column \"{}\" would break \"{}\" ({}): nothing was changed", from,
                        c.rel->info.name, ok.error().message);
    }
  }
  if (catalog_) {
    std::vector<catalog_entry> puts;
    for (const auto& c : changes) {
      catalog_entry e;
      e.name = c.rel->info.name;
      e.id = c.rel->info.id;
      e.sql = c.definition;
      if (c.rel->source) e.start_offsets = c.rel->source->start_offsets();
      puts.push_back(std::move(e));
    }
    if (auto w = catalog_->replace(puts, {}); !w) {
      r.info.columns[static_cast<size_t>(at)].name = from;
      return w.error();
    }
  }
  // (Each rewritten text was parsed and bound above.)
  for (auto& c : changes) redefine(*c.rel, c.definition, nullptr);
  return done;
}

}  // namespace runnel::sql
