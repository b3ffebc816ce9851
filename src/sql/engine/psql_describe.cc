#include "sql/engine/psql_describe.h"

#include <algorithm>
#include <charconv>
#include <regex>
#include <string>

#include "sql/engine/system_tables.h"
#include "sql/parse/rename.h"
#include "sql/parse/statement.h"

namespace runnel::sql {

namespace {

bool has(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// The number after `marker` ('16385' in WHERE c.oid = '16385').
std::optional<int64_t> quoted_number_after(std::string_view sql, std::string_view marker) {
  size_t at = sql.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  at += marker.size();
  int64_t v = 0;
  auto [p, ec] = std::from_chars(sql.data() + at, sql.data() + sql.size(), v);
  if (ec != std::errc()) return std::nullopt;
  return v;
}

const described_relation* by_oid(const std::vector<described_relation>& rels, int64_t oid) {
  for (const auto& r : rels)
    if (pg_relkind(r.info->kind) && relation_oid(*r.info) == oid) return &r;
  return nullptr;
}

// format_type(atttypid, atttypmod) of a column.
std::string format_type(const sql_type& t) {
  if (t.id == type_id::numeric && t.precision > 0)
    return "numeric(" + std::to_string(t.precision) + "," +
           std::to_string(std::max<int>(0, t.scale)) + ")";
  return std::string(type_name(t));
}

class table {
 public:
  explicit table(std::vector<std::string> names) : out_{}, width_(names.size()) {
    for (auto& n : names) out_.columns.push_back(plan_column{n, type_id::text, "", false});
    out_.rows = row_batch(static_cast<uint32_t>(width_));
  }
  // One row; nullopt cells are NULL.
  void add(const std::vector<std::optional<std::string>>& cells) {
    datum* d = out_.rows.add(1);
    for (size_t i = 0; i < width_; ++i)
      d[i] = i < cells.size() && cells[i] ? datum::of_text(out_.rows.strings().copy(*cells[i]))
                                          : datum::null_value();
  }
  statement_result done() {
    out_.tag = "SELECT " + std::to_string(out_.rows.size());
    return std::move(out_);
  }

 private:
  statement_result out_;
  size_t width_;
};

}  // namespace

std::optional<statement_result> psql_describe(std::string_view sql,
                                              const std::vector<described_relation>& rels) {
  // Which relations a name pattern matches.
  if (sql.starts_with("SELECT c.oid,\n  n.nspname,\n  c.relname\nFROM pg_catalog.pg_class c") &&
      has(sql, "pg_catalog.pg_table_is_visible(c.oid)") &&
      has(sql, "c.relname OPERATOR(pg_catalog.~) '^(")) {
    size_t b = sql.find("c.relname OPERATOR(pg_catalog.~) '^(") +
               std::string_view("c.relname OPERATOR(pg_catalog.~) '^(").size();
    size_t e = sql.find(")$'", b);
    if (e == std::string_view::npos) return std::nullopt;
    std::string pattern(sql.substr(b, e - b));
    // A quote in a name is doubled inside the literal.
    for (size_t q = pattern.find("''"); q != std::string::npos; q = pattern.find("''", q + 1))
      pattern.erase(q, 1);
    table t({"oid", "nspname", "relname"});
    std::optional<std::regex> re;
    try {
      re.emplace("^(" + pattern + ")$", std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return t.done();  // a pattern this regex dialect cannot read matches nothing
    }
    std::vector<const relation_info*> found;
    for (const auto& r : rels)
      if (pg_relkind(r.info->kind) && std::regex_match(r.info->name, *re)) found.push_back(r.info);
    std::sort(found.begin(), found.end(),
              [](const relation_info* a, const relation_info* b) { return a->name < b->name; });
    for (const auto* r : found) t.add({std::to_string(relation_oid(*r)), "public", r->name});
    return t.done();
  }
  // Its kind and flags: no checks, indexes, rules, triggers or row security.
  if (sql.starts_with("SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules")) {
    auto oid = quoted_number_after(sql, "WHERE c.oid = '");
    if (!oid) return std::nullopt;
    table t({"relchecks", "relkind", "relhasindex", "relhasrules", "relhastriggers",
             "relrowsecurity", "relforcerowsecurity", "relhasoids", "relispartition", "?column?",
             "reltablespace", "reloftype", "relpersistence", "relreplident", "amname"});
    if (const auto* r = by_oid(rels, *oid)) {
      relation_kind k = r->info->kind;
      std::optional<std::string> am;
      if (k == relation_kind::table || k == relation_kind::materialized_view) am = "heap";
      t.add({"0", pg_relkind(k), has_primary_key_index(*r->info) ? "t" : "f", "f", "f", "f", "f",
             "f", "f", "", "0", "", "p", "d", am});
    }
    return t.done();
  }
  // Its columns.
  if (sql.starts_with("SELECT a.attname,\n  pg_catalog.format_type(a.atttypid, a.atttypmod)")) {
    auto oid = quoted_number_after(sql, "WHERE a.attrelid = '");
    if (!oid) return std::nullopt;
    std::vector<std::string> names = {"attname",      "format_type", "?column?",    "attnotnull",
                                      "attcollation", "attidentity", "attgenerated"};
    // Columns psql adds for a foreign table or \d+: empty here.
    for (auto extra : {"attfdwoptions", "attstorage", "attcompression", "attstattarget",
                       "pg_catalog.col_description"})
      if (has(sql, extra)) names.emplace_back(extra);
    table t(names);
    if (const auto* r = by_oid(rels, *oid)) {
      for (size_t i = 0; i < r->info->columns.size(); ++i) {
        const auto& c = r->info->columns[i];
        if (c.hidden) continue;
        bool nn = i < r->not_null.size() && r->not_null[i];
        std::vector<std::optional<std::string>> row = {
            c.name, format_type(c.type), std::nullopt, nn ? "t" : "f", std::nullopt, "", ""};
        for (size_t k = 7; k < names.size(); ++k) {
          // \d+'s Storage: plain for fixed-width types, extended for the rest.
          bool varlena = c.type.id == type_id::text || c.type.id == type_id::bytea ||
                         c.type.id == type_id::numeric || c.type.id == type_id::jsonb;
          row.emplace_back(names[k] == "attstorage" ? (varlena ? "x" : "p") : "");
        }
        t.add(row);
      }
    }
    return t.done();
  }
  // Its indexes: the primary key of a table or an upsert source, as the
  // unique btree index PostgreSQL makes for one ("Indexes:" in the footer).
  if (sql.starts_with("SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered") &&
      has(sql, "FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i")) {
    auto oid = quoted_number_after(sql, "WHERE c.oid = '");
    if (!oid) return std::nullopt;
    table t({"relname", "indisprimary", "indisunique", "indisclustered", "indisvalid",
             "pg_get_indexdef", "pg_get_constraintdef", "contype", "condeferrable", "condeferred",
             "indisreplident", "reltablespace"});
    if (const auto* r = by_oid(rels, *oid); r && has_primary_key_index(*r->info)) {
      const relation_info& info = *r->info;
      std::string columns;
      for (int k : info.primary_key) {
        if (!columns.empty()) columns += ", ";
        columns += quote_identifier(info.columns[static_cast<size_t>(k)].name);
      }
      std::string index = primary_key_index_name(info);
      t.add({index, "t", "t", "f", "t",
             "CREATE UNIQUE INDEX " + quote_identifier(index) + " ON public." +
                 quote_identifier(info.name) + " USING btree (" + columns + ")",
             "PRIMARY KEY (" + columns + ")", "p", "f", "f", "f", "0"});
    }
    return t.done();
  }
  // A source's server and options, as a foreign table's.
  if (has(sql, "FROM pg_catalog.pg_foreign_table f") && has(sql, "f.ftrelid = '")) {
    auto oid = quoted_number_after(sql, "f.ftrelid = '");
    if (!oid) return std::nullopt;
    table t({"srvname", "array_to_string"});
    if (const auto* r = by_oid(rels, *oid)) {
      std::string options;
      if (auto parsed = parse_sql(r->info->definition); parsed && parsed.value().size() == 1)
        if (auto topic = parsed.value()[0].with.get("topic")) options = "topic '" + *topic + "'";
      t.add({"kafka", options});
    }
    return t.done();
  }
  // The other footers: runnel has no policies, extended statistics,
  // publications, inheritance, partitions, rules or triggers.
  bool footer = false;
  for (auto from : {"FROM pg_catalog.pg_policy pol", "FROM pg_catalog.pg_statistic_ext",
                    "FROM pg_catalog.pg_publication p", "pg_catalog.pg_inherits i",
                    "FROM pg_catalog.pg_trigger t", "FROM pg_catalog.pg_rewrite r",
                    "FROM pg_catalog.pg_constraint r"})
    footer = footer || has(sql, from);
  if (footer && (has(sql, "= '") || has(sql, "='"))) return table({"?column?"}).done();
  return std::nullopt;
}

}  // namespace runnel::sql
