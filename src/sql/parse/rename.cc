#include "sql/parse/rename.h"

#include <algorithm>
#include <set>

#include "sql/parse/lexer.h"
#include "sql/parse/pg_parse.h"
#include "sql/parse/statement.h"

namespace runnel::sql {

namespace {

bool plain_identifier(std::string_view s) {
  if (s.empty() || !(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return std::islower(u) || std::isdigit(u) || c == '_' || c == '$';
  });
}

std::string sval(const json& field) {
  if (field.contains("String")) return field["String"].value("sval", "");
  return {};
}

// What the walk finds: byte positions of the references to rewrite, and
// the names an alias or a CTE gives (which shadow the relation's).
struct finder {
  std::string_view from;
  std::vector<int> table_refs;      // RangeVar, a window function's relation argument
  std::vector<int> qualifier_refs;  // from.col
  std::set<std::string> aliases, ctes;

  void walk(const json& n) {
    if (n.is_array()) {
      for (const auto& x : n) walk(x);
      return;
    }
    if (!n.is_object()) return;
    for (const auto& [k, v] : n.items()) {
      if (k == "RangeVar" && v.is_object()) {
        std::string schema = v.value("schemaname", "");
        if (v.value("relname", "") == from && (schema.empty() || schema == "public"))
          table_refs.push_back(v.value("location", -1));
      } else if (k == "ColumnRef" && v.is_object() && v.contains("fields")) {
        const json& f = v["fields"];
        if (f.size() >= 2 && sval(f[0]) == from) qualifier_refs.push_back(v.value("location", -1));
      } else if (k == "Alias" || (k == "alias" && v.is_object())) {
        aliases.insert(v.value("aliasname", ""));
      } else if (k == "CommonTableExpr" && v.is_object()) {
        ctes.insert(v.value("ctename", ""));
      } else if (k == "FuncCall" && v.is_object() && v.contains("funcname") && v.contains("args") &&
                 !v["args"].empty()) {
        std::string fn = sval(v["funcname"].back());
        const json& a0 = v["args"][0];
        if ((fn == "tumble" || fn == "hop" || fn == "session") && a0.contains("ColumnRef") &&
            !a0["ColumnRef"]["fields"].empty() && sval(a0["ColumnRef"]["fields"].back()) == from)
          table_refs.push_back(a0["ColumnRef"].value("location", -1));
      }
      walk(v);
    }
  }
};

}  // namespace

std::string quote_identifier(std::string_view name) {
  if (plain_identifier(name)) {
    // A keyword (user, select, ...) does not read back as a table's name.
    auto probe = pg_parse("SELECT 1 FROM " + std::string(name));
    if (probe && probe.value().size() == 1) {
      const json& s = probe.value()[0];
      if (s.contains("SelectStmt") && s["SelectStmt"].contains("fromClause")) {
        const json& f = s["SelectStmt"]["fromClause"][0];
        if (f.contains("RangeVar") && f["RangeVar"].value("relname", "") == name)
          return std::string(name);
      }
    }
  }
  std::string q = "\"";
  for (char c : name) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

result<std::string> rename_relation_in(std::string_view sql, std::string_view from,
                                       std::string_view to) {
  BOOST_OUTCOME_TRY(auto stmts, parse_sql(sql));
  if (stmts.size() != 1)
    return make_error(errc::internal, -1, "a stored definition holds {} statements", stmts.size());
  const statement& s = stmts[0];
  int base = static_cast<int>(s.offset);
  finder f;
  f.from = from;
  f.walk(s.node);
  // Positions of name tokens (relative to s.sql) to replace; a qualified
  // name (public.t) is replaced from its last part.
  std::vector<int> starts;
  if (s.name == from && s.name_pos >= 0 &&
      (s.kind == stmt_kind::create_source || s.kind == stmt_kind::create_view ||
       s.kind == stmt_kind::create_sink))
    starts.push_back(s.name_pos);
  if (s.from == from && s.from_pos >= 0) starts.push_back(s.from_pos);
  // CREATE TABLE (PostgreSQL's): its relation is a bare RangeVar.
  if (s.kind == stmt_kind::pg && s.node.contains("CreateStmt")) {
    const json& rel = s.node["CreateStmt"]["relation"];
    if (rel.value("relname", "") == from) starts.push_back(rel.value("location", -1));
  }
  bool cte_shadows = f.ctes.count(std::string(from)) > 0;
  if (!cte_shadows) {
    starts.insert(starts.end(), f.table_refs.begin(), f.table_refs.end());
    if (!f.aliases.count(std::string(from)))
      starts.insert(starts.end(), f.qualifier_refs.begin(), f.qualifier_refs.end());
  }
  auto toks = lex(sql);
  std::vector<std::pair<size_t, size_t>> spans;  // [begin, end) in sql
  for (int p : std::set<int>(starts.begin(), starts.end())) {
    if (p < 0) continue;
    size_t at = static_cast<size_t>(p + base);
    auto it = std::find_if(toks.begin(), toks.end(), [&](const token& t) { return t.pos == at; });
    if (it == toks.end())
      return make_error(errc::internal, p, "no name at byte {} of a stored definition", p);
    // Qualifier refs replace their first part; names their last.
    bool qualifier =
        std::find(f.qualifier_refs.begin(), f.qualifier_refs.end(), p) != f.qualifier_refs.end() &&
        std::find(f.table_refs.begin(), f.table_refs.end(), p) == f.table_refs.end();
    if (!qualifier)
      while (it + 2 < toks.end() && (it + 1)->is_punct('.') &&
             ((it + 2)->what == token::kind::word || (it + 2)->what == token::kind::quoted_ident))
        it += 2;
    if (it->text != from)
      return make_error(errc::internal, p,
                        "a stored definition names \"{}\" where \"{}\" was expected", it->text,
                        from);
    spans.emplace_back(it->pos, it->end);
  }
  std::sort(spans.begin(), spans.end());
  spans.erase(std::unique(spans.begin(), spans.end()), spans.end());
  std::string out(sql);
  std::string name = quote_identifier(to);
  for (auto it = spans.rbegin(); it != spans.rend(); ++it)
    out.replace(it->first, it->second - it->first, name);
  if (!spans.empty()) {
    auto check = parse_sql(out);
    if (!check || check.value().size() != 1)
      return make_error(errc::internal, -1, "the definition renamed does not parse again: {}",
                        check ? "" : check.error().message);
  }
  return out;
}

result<std::string> rename_column_in(std::string_view sql, std::string_view from,
                                     std::string_view to) {
  BOOST_OUTCOME_TRY(auto stmts, parse_sql(sql));
  if (stmts.size() != 1 || stmts[0].kind != stmt_kind::pg || !stmts[0].node.contains("CreateStmt"))
    return make_error(errc::internal, -1, "a table's stored definition is not a CREATE TABLE");
  const statement& s = stmts[0];
  const size_t base = s.offset;
  auto toks = lex(sql);
  auto token_at = [&](int p) {
    return std::find_if(toks.begin(), toks.end(),
                        [&](const token& t) { return t.pos == base + static_cast<size_t>(p); });
  };
  std::vector<std::pair<size_t, size_t>> spans;
  for (const auto& e : s.node["CreateStmt"].value("tableElts", json::array())) {
    if (e.contains("ColumnDef") && e["ColumnDef"].value("colname", "") == from) {
      auto it = token_at(e["ColumnDef"].value("location", -1));
      if (it == toks.end() || it->text != from)
        return make_error(errc::internal, -1, "no column name where the definition has one");
      spans.emplace_back(it->pos, it->end);
    }
    if (e.contains("Constraint") && e["Constraint"].contains("keys")) {
      // PRIMARY KEY ( a, b ): the names between the parentheses.
      auto it = token_at(e["Constraint"].value("location", -1));
      while (it != toks.end() && !it->is_punct('(')) ++it;
      for (int depth = 0; it != toks.end(); ++it) {
        if (it->is_punct('(')) ++depth;
        if (it->is_punct(')') && --depth == 0) break;
        if ((it->what == token::kind::word || it->what == token::kind::quoted_ident) &&
            it->text == from)
          spans.emplace_back(it->pos, it->end);
      }
    }
  }
  std::string out(sql);
  std::string name = quote_identifier(to);
  std::sort(spans.begin(), spans.end());
  for (auto it = spans.rbegin(); it != spans.rend(); ++it)
    out.replace(it->first, it->second - it->first, name);
  if (auto check = parse_sql(out); !check)
    return make_error(errc::internal, -1, "the definition renamed does not parse again: {}",
                      check.error().message);
  return out;
}

std::string source_field_name(const json& d) {
  if (d.contains("fdwoptions"))
    for (const auto& o : d["fdwoptions"]) {
      const json& e = o.contains("DefElem") ? o["DefElem"] : o;
      if (e.value("defname", "") == "column_name" && e.contains("arg") &&
          e["arg"].contains("String"))
        return e["arg"]["String"].value("sval", "");
    }
  return d.value("colname", "");
}

result<std::string> rename_source_column_in(std::string_view sql, std::string_view from,
                                            std::string_view to) {
  BOOST_OUTCOME_TRY(auto stmts, parse_sql(sql));
  if (stmts.size() != 1 || stmts[0].kind != stmt_kind::create_source)
    return make_error(errc::internal, -1, "a source's stored definition is not a CREATE SOURCE");
  const statement& s = stmts[0];
  const size_t base = s.offset;
  auto toks = lex(sql);
  for (const auto& e : s.node["CreateStmt"].value("tableElts", json::array())) {
    if (!e.contains("ColumnDef") || e["ColumnDef"].value("colname", "") != from) continue;
    const json& d = e["ColumnDef"];
    auto it = std::find_if(toks.begin(), toks.end(), [&](const token& t) {
      return t.pos == base + static_cast<size_t>(d.value("location", -1));
    });
    if (it == toks.end() || it->text != from)
      return make_error(errc::internal, -1, "no column name where the definition has one");
    std::string out(sql);
    std::string insert;
    size_t at = 0;
    if (!d.contains("fdwoptions")) {
      // After the type: the first ',' or ')' at its depth, or a constraint.
      static const char* const stops[] = {"not",        "null",   "primary", "default",
                                          "constraint", "unique", "check",   "references",
                                          "generated",  "collate"};
      auto last = it;
      int depth = 0;
      for (auto t = it + 1; t != toks.end() && t->what != token::kind::end; ++t) {
        if (depth == 0 && (t->is_punct(',') || t->is_punct(')'))) break;
        if (depth == 0 && t->what == token::kind::word &&
            std::any_of(std::begin(stops), std::end(stops),
                        [&](const char* w) { return t->text == w; }))
          break;
        if (t->is_punct('(')) ++depth;
        if (t->is_punct(')')) --depth;
        last = t;
      }
      std::string field;
      for (char c : from) {
        if (c == '\'') field += '\'';
        field += c;
      }
      insert = " OPTIONS (column_name '" + field + "')";
      at = last->end;
    }
    if (!insert.empty()) out.insert(at, insert);
    out.replace(it->pos, it->end - it->pos, quote_identifier(to));
    if (auto check = parse_sql(out); !check)
      return make_error(errc::internal, -1, "the definition renamed does not parse again: {}",
                        check.error().message);
    return out;
  }
  return make_error(errc::internal, -1, "no column \"{}\" in the source's definition", from);
}

}  // namespace runnel::sql
