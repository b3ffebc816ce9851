// Binding expressions: libpg_query's expression nodes to typed exprs.
#include <fmt/format.h>

#include "sql/plan/binder_impl.h"
#include "sql/plan/functions.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

bool is_aggregate_name(std::string_view n) {
  return n == "count" || n == "sum" || n == "avg" || n == "min" || n == "max" || n == "bool_and" ||
         n == "bool_or" || n == "every" || n == "string_agg";
}

namespace {

bool is_window_name(std::string_view n) {
  return n == "row_number" || n == "rank" || n == "dense_rank";
}

sql_type aggregate_type(std::string_view f, const sql_type& arg) {
  if (f == "count") return type_id::int64;
  if (f == "string_agg") return type_id::text;
  if (f == "bool_and" || f == "bool_or" || f == "every") return type_id::boolean;
  if (f == "min" || f == "max") return arg;
  if (f == "sum") {
    if (arg.id == type_id::int16 || arg.id == type_id::int32) return type_id::int64;
    if (arg.id == type_id::int64 || arg.id == type_id::numeric) return type_id::numeric;
    return arg;  // floats, interval
  }
  // avg
  if (is_integer(arg.id) || arg.id == type_id::numeric) return type_id::numeric;
  if (arg.id == type_id::interval) return type_id::interval;
  return type_id::float64;
}

// The parameters a call may name (make_interval(days => 2)), in order,
// with their types; a parameter not given takes PostgreSQL's default, 0.
struct named_param {
  std::string_view name;
  type_id type;
};
const std::vector<named_param>* named_params(std::string_view fn) {
  static const std::vector<named_param> make_interval{
      {"years", type_id::int32}, {"months", type_id::int32}, {"weeks", type_id::int32},
      {"days", type_id::int32},  {"hours", type_id::int32},  {"mins", type_id::int32},
      {"secs", type_id::float64}};
  if (fn == "make_interval") return &make_interval;
  return nullptr;
}

bool has_named_args(const json& fc) {
  if (!fc.contains("args")) return false;
  for (const auto& a : fc["args"])
    if (a.contains("NamedArgExpr")) return true;
  return false;
}

}  // namespace

int location_of(const json& node) {
  if (!node.is_object() || node.empty()) return -1;
  const json& inner = node.begin().value();
  if (inner.is_object() && inner.contains("location")) return inner["location"].get<int>();
  return -1;
}

std::string str_of(const json& node) {
  if (node.contains("String")) return node["String"].value("sval", "");
  return "";
}

std::string figure_colname(const json& node) {
  if (!node.is_object() || node.empty()) return "?column?";
  const std::string& k = node.begin().key();
  const json& v = node.begin().value();
  if (k == "ColumnRef") {
    auto& f = v["fields"];
    if (!f.empty() && f.back().contains("String")) return str_of(f.back());
    return "?column?";
  }
  if (k == "FuncCall") {
    std::string n = str_of(v["funcname"].back());
    return n;
  }
  if (k == "TypeCast") {
    std::string inner = figure_colname(v["arg"]);
    if (inner != "?column?") return inner;
    auto& names = v["typeName"]["names"];
    std::string t = str_of(names.back());
    if (t == "int4") return "int4";
    if (t == "bool") return "bool";
    return t;
  }
  if (k == "CaseExpr") return "case";
  if (k == "CoalesceExpr") return "coalesce";
  if (k == "MinMaxExpr") return v.value("op", "") == "IS_GREATEST" ? "greatest" : "least";
  if (k == "SQLValueFunction") {
    std::string op = v.value("op", "");
    if (op == "SVFOP_CURRENT_TIMESTAMP" || op == "SVFOP_CURRENT_TIMESTAMP_N")
      return "current_timestamp";
    if (op == "SVFOP_CURRENT_DATE") return "current_date";
    if (op == "SVFOP_CURRENT_USER") return "current_user";
    if (op == "SVFOP_SESSION_USER") return "session_user";
    if (op == "SVFOP_USER") return "current_user";
    if (op == "SVFOP_CURRENT_CATALOG") return "current_catalog";
    if (op == "SVFOP_CURRENT_SCHEMA") return "current_schema";
    if (op == "SVFOP_LOCALTIMESTAMP" || op == "SVFOP_LOCALTIMESTAMP_N") return "localtimestamp";
    return "?column?";
  }
  if (k == "A_Expr" && v.value("kind", "") == "AEXPR_NULLIF") return "nullif";
  if (k == "CollateClause") return figure_colname(v["arg"]);
  if (k == "A_Indirection") {
    // PostgreSQL: the last field name selected, else the subscripted
    // expression's name ((regexp_match(s, p))[2] is "regexp_match").
    std::string field;
    for (const auto& i : v.value("indirection", json::array()))
      if (i.contains("String")) field = str_of(i);
    return field.empty() ? figure_colname(v["arg"]) : field;
  }
  if (k == "SubLink") {
    // PostgreSQL: "exists", a scalar subquery's own column name, else none.
    std::string t = v.value("subLinkType", "");
    if (t == "EXISTS_SUBLINK") return "exists";
    if (t == "EXPR_SUBLINK" && v["subselect"].contains("SelectStmt")) {
      const json& tl = v["subselect"]["SelectStmt"].value("targetList", json::array());
      if (tl.size() == 1 && tl[0].contains("ResTarget")) {
        const json& rt = tl[0]["ResTarget"];
        if (rt.contains("name")) return rt.value("name", "");
        return figure_colname(rt["val"]);
      }
    }
  }
  return "?column?";
}

result<std::vector<expr_ptr>> binder::list(const json& arr, const expr_ctx& ctx) {
  std::vector<expr_ptr> out;
  if (arr.is_null()) return out;
  for (const auto& n : arr) {
    BOOST_OUTCOME_TRY(auto e, expression(n, ctx));
    out.push_back(std::move(e));
  }
  return out;
}

result<expr_ptr> binder::expression(const json& node, const expr_ctx& ctx) {
  if (!node.is_object() || node.empty())
    return make_error(errc::syntax_error, -1, "empty expression");
  const std::string& k = node.begin().key();
  const json& v = node.begin().value();
  int loc = v.is_object() ? v.value("location", -1) : -1;
  if (k == "ColumnRef") return column_ref(v, ctx);
  if (k == "A_Const") return a_const(v);
  if (k == "TypeCast") return type_cast(v, ctx);
  if (k == "A_Expr") return a_expr(v, ctx);
  if (k == "FuncCall") return func_call(v, ctx);
  if (k == "ParamRef") return param_ref(v);
  if (k == "SQLValueFunction") return sql_value_function(v);
  if (k == "CollateClause") return expression(v["arg"], ctx);
  if (k == "BoolExpr") {
    BOOST_OUTCOME_TRY(auto args, list(v["args"], ctx));
    for (auto& a : args) {
      auto r = coerce(a, type_id::boolean, a->location);
      if (!r)
        return make_error(errc::datatype_mismatch, a->location,
                          "argument of {} must be type boolean, not type {}",
                          v.value("boolop", "") == "NOT_EXPR"
                              ? "NOT"
                              : (v.value("boolop", "") == "OR_EXPR" ? "OR" : "AND"),
                          type_name(a->type));
      a = r.value();
    }
    auto e = std::make_shared<expr>();
    std::string op = v.value("boolop", "");
    e->kind = op == "AND_EXPR"  ? expr_kind::and_
              : op == "OR_EXPR" ? expr_kind::or_
                                : expr_kind::not_;
    e->type = type_id::boolean;
    e->args = std::move(args);
    e->location = loc;
    return expr_ptr(e);
  }
  if (k == "NullTest") {
    BOOST_OUTCOME_TRY(auto a, expression(v["arg"], ctx));
    auto e = std::make_shared<expr>();
    e->kind =
        v.value("nulltesttype", "") == "IS_NULL" ? expr_kind::is_null : expr_kind::is_not_null;
    e->type = type_id::boolean;
    e->args = {a};
    e->location = loc;
    return expr_ptr(e);
  }
  if (k == "BooleanTest") {
    BOOST_OUTCOME_TRY(auto a, expression(v["arg"], ctx));
    BOOST_OUTCOME_TRY(a, coerce(a, type_id::boolean, loc));
    std::string t = v.value("booltesttype", "");
    // x IS TRUE = x IS NOT DISTINCT FROM true, and so on.
    auto e = std::make_shared<expr>();
    e->location = loc;
    e->type = type_id::boolean;
    if (t == "IS_UNKNOWN" || t == "IS_NOT_UNKNOWN") {
      e->kind = t == "IS_UNKNOWN" ? expr_kind::is_null : expr_kind::is_not_null;
      e->args = {a};
    } else {
      e->kind = expr_kind::is_distinct;
      bool want = t == "IS_TRUE" || t == "IS_NOT_TRUE";
      e->negated = t == "IS_TRUE" || t == "IS_FALSE";
      e->args = {a, make_bool(want)};
    }
    return expr_ptr(e);
  }
  if (k == "CaseExpr") {
    auto e = std::make_shared<expr>();
    e->kind = expr_kind::case_;
    e->location = loc;
    std::vector<expr_ptr> whens, thens;
    expr_ptr operand, otherwise;
    if (v.contains("arg")) {
      BOOST_OUTCOME_TRY(operand, expression(v["arg"], ctx));
    }
    for (const auto& w : v["args"]) {
      BOOST_OUTCOME_TRY(auto we, expression(w["CaseWhen"]["expr"], ctx));
      BOOST_OUTCOME_TRY(auto te, expression(w["CaseWhen"]["result"], ctx));
      whens.push_back(we);
      thens.push_back(te);
    }
    if (v.contains("defresult")) {
      BOOST_OUTCOME_TRY(otherwise, expression(v["defresult"], ctx));
    } else {
      otherwise = make_null(type_id::unknown, loc);
    }
    // The results meet in one type; the WHENs are booleans or compare with the operand.
    std::vector<expr_ptr> results = thens;
    results.push_back(otherwise);
    BOOST_OUTCOME_TRY(unify(results, loc, "CASE"));
    if (operand) {
      std::vector<expr_ptr> cmp = whens;
      cmp.insert(cmp.begin(), operand);
      BOOST_OUTCOME_TRY(unify(cmp, loc, "CASE/WHEN"));
      operand = cmp[0];
      for (size_t i = 0; i < whens.size(); ++i) whens[i] = cmp[i + 1];
      e->has_operand = true;
      e->args.push_back(operand);
    } else {
      for (auto& w : whens) {
        auto r = coerce(w, type_id::boolean, w->location);
        if (!r)
          return make_error(errc::datatype_mismatch, w->location,
                            "argument of CASE/WHEN must be type boolean, not type {}",
                            type_name(w->type));
        w = r.value();
      }
    }
    for (size_t i = 0; i < whens.size(); ++i) {
      e->args.push_back(whens[i]);
      e->args.push_back(results[i]);
    }
    e->has_else = true;
    e->args.push_back(results.back());
    e->type = results.back()->type;
    return expr_ptr(e);
  }
  if (k == "CoalesceExpr" || k == "MinMaxExpr") {
    BOOST_OUTCOME_TRY(auto args, list(v["args"], ctx));
    BOOST_OUTCOME_TRY(unify(args, loc,
                            k == "CoalesceExpr"
                                ? "COALESCE"
                                : (v.value("op", "") == "IS_GREATEST" ? "GREATEST" : "LEAST")));
    if (k == "CoalesceExpr") {
      auto e = std::make_shared<expr>();
      e->kind = expr_kind::coalesce;
      e->type = args[0]->type;
      e->args = std::move(args);
      e->location = loc;
      return expr_ptr(e);
    }
    // GREATEST/LEAST ignore NULLs: a fold of CASE over comparisons, built as
    // nested calls of one small function.
    bool greatest = v.value("op", "") == "IS_GREATEST";
    struct pick {
      static datum greatest_fn(const datum* a, const expr& self, eval_context&) {
        if (a[0].is_null()) return a[1];
        if (a[1].is_null()) return a[0];
        return datum_compare(self.type, a[0], a[1]) >= 0 ? a[0] : a[1];
      }
      static datum least_fn(const datum* a, const expr& self, eval_context&) {
        if (a[0].is_null()) return a[1];
        if (a[1].is_null()) return a[0];
        return datum_compare(self.type, a[0], a[1]) <= 0 ? a[0] : a[1];
      }
    };
    expr_ptr acc = args[0];
    for (size_t i = 1; i < args.size(); ++i)
      acc = make_fn(greatest ? "greatest" : "least", args[0]->type,
                    greatest ? &pick::greatest_fn : &pick::least_fn, {acc, args[i]}, loc, false);
    return acc;
  }
  if (k == "A_ArrayExpr") {
    // ARRAY['a', 'b'] of constants: a text[] constant (the catalog's needs).
    std::string out = "{";
    bool first = true;
    for (const auto& el : v["elements"]) {
      BOOST_OUTCOME_TRY(auto e, expression(el, ctx));
      if (!is_constant_expr(*e))
        return make_error(errc::feature_not_supported, loc,
                          "arrays of non-constant values are not supported");
      arena a;
      BOOST_OUTCOME_TRY(auto d, fold(*e, a, opt_.now));
      if (!first) out += ',';
      first = false;
      if (d.is_null()) {
        out += "NULL";
      } else {
        std::string t =
            to_text(e->type.id == type_id::unknown ? sql_type(type_id::text) : e->type, d);
        out += '"';
        for (char ch : t) {
          if (ch == '"' || ch == '\\') out += '\\';
          out += ch;
        }
        out += '"';
      }
    }
    out += "}";
    return make_text_constant(type_id::text_array, out, loc);
  }
  if (k == "SubLink" && value_subs_.count(loc)) {
    const auto& [width, e] = value_subs_.at(loc);
    // Joins for later subqueries add columns after it; other contexts
    // (HAVING, ORDER BY over the output) have other columns.
    if (!ctx.cols || ctx.cols->size() < width || width == 0 ||
        (*ctx.cols)[width - 1].qualifier != "$subquery" || !(*ctx.cols)[width - 1].hidden)
      return make_error(errc::feature_not_supported, loc,
                        "a subquery is supported only in WHERE and the select list (not in {})",
                        ctx.clause);
    return e;
  }
  if (k == "SubLink")
    return make_error(
        errc::feature_not_supported, loc,
        "this subquery is not supported yet: subqueries in expressions are supported as "
        "scalar subqueries, [NOT] EXISTS and x [NOT] IN (subquery) in WHERE and the select "
        "list");
  if (k == "RowExpr")
    return make_error(errc::feature_not_supported, loc, "row constructors are not supported");
  if (k == "A_Indirection") {
    // array[i] of a text[] (current_schemas(true))[1]; no slices, no fields.
    const json& ind = node["A_Indirection"];
    const json& list = ind["indirection"];
    if (list.size() == 1 && list[0].contains("A_Indices") &&
        !list[0]["A_Indices"].value("is_slice", false) && list[0]["A_Indices"].contains("uidx")) {
      BOOST_OUTCOME_TRY(auto arr, expression(ind["arg"], ctx));
      if (arr->type.id == type_id::text_array) {
        BOOST_OUTCOME_TRY(auto idx, expression(list[0]["A_Indices"]["uidx"], ctx));
        return make_array_subscript(arr, idx, loc);
      }
    }
    return make_error(errc::feature_not_supported, loc,
                      "subscripts are supported on text[] only, one index each");
  }
  return make_error(errc::feature_not_supported, loc, "expression {} is not supported", k);
}

result<expr_ptr> binder::column_ref(const json& cr, const expr_ctx& ctx) {
  int loc = cr.value("location", -1);
  std::vector<std::string> parts;
  for (const auto& f : cr["fields"]) {
    if (f.contains("A_Star")) return make_error(errc::syntax_error, loc, "* is not allowed here");
    parts.push_back(str_of(f));
  }
  std::string name = parts.back();
  std::string qualifier = parts.size() >= 2 ? parts[parts.size() - 2] : "";
  // The one visible column of `cols` that the reference names (-1: none).
  auto find_in = [&](const std::vector<plan_column>& cols) -> result<int> {
    int at = -1;
    for (size_t i = 0; i < cols.size(); ++i) {
      const auto& c = cols[i];
      if (c.name != name || c.hidden) continue;
      if (!qualifier.empty() && c.qualifier != qualifier) continue;
      if (at >= 0)
        return make_error(errc::ambiguous_column, loc, "column reference \"{}\" is ambiguous",
                          name);
      at = static_cast<int>(i);
    }
    return at;
  };
  int found = -1;
  if (ctx.cols) {
    BOOST_OUTCOME_TRY(found, find_in(*ctx.cols));
  }
  if (found < 0 && ctx.outer) {
    BOOST_OUTCOME_TRY(found, find_in(*ctx.outer));
    if (found >= 0) {
      const auto& c = (*ctx.outer)[static_cast<size_t>(found)];
      return make_column(static_cast<int>(ctx.cols->size()) + found, c.type, loc);
    }
  }
  if (found < 0 && !ctx.outer && outer_scope_) {
    for (const auto& c : *outer_scope_)
      if (c.name == name && !c.hidden && (qualifier.empty() || c.qualifier == qualifier))
        return make_error(errc::feature_not_supported, loc,
                          "a subquery may read the outer query's column \"{}\" only in an "
                          "equality inner = outer of its WHERE; this is not supported yet",
                          name);
  }
  if (found < 0) {
    if (!qualifier.empty()) {
      bool any = false;
      if (ctx.cols)
        for (const auto& c : *ctx.cols) any |= c.qualifier == qualifier;
      if (!any)
        return make_error(errc::undefined_table, loc, "missing FROM-clause entry for table \"{}\"",
                          qualifier);
      return make_error(errc::undefined_column, loc, "column {}.{} does not exist", qualifier,
                        name);
    }
    return make_error(errc::undefined_column, loc, "column \"{}\" does not exist", name);
  }
  const auto& c = (*ctx.cols)[static_cast<size_t>(found)];
  if (opt_.column_uses && c.origin != 0)
    opt_.column_uses->push_back({loc, c.origin, c.origin_column});
  return make_column(found, c.type, loc);
}

result<expr_ptr> binder::a_const(const json& c) {
  int loc = c.value("location", -1);
  if (c.value("isnull", false)) return make_null(type_id::unknown, loc);
  if (c.contains("ival")) {
    int64_t v = c["ival"].value("ival", int64_t{0});
    return make_constant(type_id::int32, datum::of_int(v), loc);
  }
  if (c.contains("fval")) {
    std::string s = c["fval"].value("fval", "0");
    // Integers too big for int4 arrive as fval: int8 if they fit, else numeric.
    bool integral = s.find_first_of(".eE") == std::string::npos;
    if (integral) {
      errno = 0;
      char* end = nullptr;
      long long x = std::strtoll(s.c_str(), &end, 10);
      // -2147483648 arrives here too (negated after scanning): int4 if it fits.
      if (errno == 0 && end && *end == '\0')
        return make_constant(x >= INT32_MIN && x <= INT32_MAX ? type_id::int32 : type_id::int64,
                             datum::of_int(x), loc);
    }
    auto d = dec::parse(s);
    if (!d)
      return make_error(errc::numeric_out_of_range, loc,
                        "numeric constant {} has more than {} digits", s, decimal::max_digits);
    return make_constant(type_id::numeric, datum::of_decimal(*d), loc);
  }
  if (c.contains("sval"))
    return make_text_constant(type_id::unknown, c["sval"].value("sval", ""), loc);
  if (c.contains("boolval"))
    return make_constant(type_id::boolean, datum::of_bool(c["boolval"].value("boolval", false)),
                         loc);
  if (c.contains("bsval")) {
    // B'0101' / X'ff': bit strings are not supported.
    return make_error(errc::feature_not_supported, loc, "bit string constants are not supported");
  }
  return make_error(errc::syntax_error, loc, "unknown constant");
}

std::optional<int64_t> binder::regtype_oid(std::string_view name) const {
  auto t = type_by_name(name);
  if (!t && (name == "_text" || name == "text[]")) t = sql_type(type_id::text_array);
  if (!t) {
    // "character varying", "name" keep their own oids in pg_type's eyes.
    return std::nullopt;
  }
  if (name == "varchar" || name == "character varying") return 1043;
  if (name == "name") return 19;
  if (name == "bpchar" || name == "char" || name == "character") return 1042;
  if (name == "json") return 114;
  if (name == "regclass") return 2205;
  if (name == "regtype") return 2206;
  return type_oid(t->id);
}

std::optional<int64_t> binder::regproc_oid(std::string_view name) const {
  // pgJDBC tells arrays by typinput = 'pg_catalog.array_in'::regproc.
  if (auto oid = input_function_oid(name)) return *oid;
  return std::nullopt;
}

std::optional<int64_t> binder::regclass_oid(std::string_view name) const {
  std::string_view schema;
  if (auto dot = name.find('.'); dot != std::string_view::npos) {
    schema = name.substr(0, dot);
    name = name.substr(dot + 1);
  }
  // PostgreSQL's own oids for the catalogs drivers name ('pg_class'::regclass).
  static constexpr std::pair<std::string_view, int64_t> catalogs[] = {
      {"pg_class", 1259},      {"pg_type", 1247},     {"pg_attribute", 1249},
      {"pg_namespace", 2615},  {"pg_database", 1262}, {"pg_description", 2609},
      {"pg_attrdef", 2604},    {"pg_am", 2601},       {"pg_proc", 1255},
      {"pg_constraint", 2606}, {"pg_index", 2610},
  };
  if (schema.empty() || schema == "pg_catalog")
    for (const auto& [n, oid] : catalogs)
      if (n == name) return oid;
  if (!opt_.catalog || (!schema.empty() && schema != "public")) return std::nullopt;
  const relation_info* r = opt_.catalog->find(name);
  if (!r) return std::nullopt;
  return relation_oid(*r);
}

result<sql_type> binder::bind_type(const json& tn) {
  std::vector<std::string> names;
  for (const auto& n : tn["names"]) names.push_back(str_of(n));
  int loc = tn.value("location", -1);
  if (tn.contains("arrayBounds")) {
    std::string base = names.empty() ? "" : names.back();
    if (base == "text" || base == "varchar" || base == "name" || base == "bpchar")
      return sql_type(type_id::text_array);
    return make_error(errc::feature_not_supported, loc, "array types are not supported");
  }
  std::string n = names.empty() ? "" : names.back();
  auto t = type_by_name(n);
  if (!t) return make_error(errc::undefined_object, loc, "type \"{}\" does not exist", n);
  sql_type out = *t;
  if (out.id == type_id::numeric && tn.contains("typmods")) {
    std::vector<int64_t> mods;
    for (const auto& m : tn["typmods"])
      mods.push_back(m["A_Const"]["ival"].value("ival", int64_t{0}));
    if (!mods.empty()) {
      if (mods[0] < 1 || mods[0] > decimal::max_digits)
        return make_error(errc::invalid_parameter, loc,
                          "NUMERIC precision {} must be between 1 and {}", mods[0],
                          decimal::max_digits);
      out.precision = static_cast<int16_t>(mods[0]);
      out.scale = static_cast<int16_t>(mods.size() > 1 ? mods[1] : 0);
      if (out.scale < 0 || out.scale > out.precision)
        return make_error(errc::invalid_parameter, loc,
                          "NUMERIC scale {} must be between 0 and precision {}", out.scale,
                          out.precision);
    }
  }
  if (out.id == type_id::text && out.kind != text_kind::text && tn.contains("typmods")) {
    // varchar(n), char(n) (the grammar makes a bare char char(1)).
    const json& m = tn["typmods"][0];
    int64_t n = m.contains("A_Const") ? m["A_Const"]["ival"].value("ival", int64_t{0}) : 0;
    const char* name = out.kind == text_kind::varchar ? "varchar" : "char";
    if (n < 1)
      return make_error(errc::invalid_parameter, loc, "length for type {} must be at least 1",
                        name);
    if (n > 10485760)
      return make_error(errc::invalid_parameter, loc, "length for type {} cannot exceed 10485760",
                        name);
    out.precision = static_cast<int16_t>(std::min<int64_t>(n, INT16_MAX));
  }
  return out;
}

result<expr_ptr> binder::type_cast(const json& tc, const expr_ctx& ctx) {
  int loc = tc["typeName"].value("location", tc.value("location", -1));
  BOOST_OUTCOME_TRY(auto t, bind_type(tc["typeName"]));
  // 'name'::regclass, 'int8'::regtype, 'array_in'::regproc: the object's
  // oid, looked up now.
  std::string target;
  for (const auto& n : tc["typeName"]["names"]) target = str_of(n);
  if ((target == "regclass" || target == "regtype" || target == "regproc") &&
      !tc["typeName"].contains("arrayBounds")) {
    BOOST_OUTCOME_TRY(auto arg, expression(tc["arg"], ctx));
    if (is_string_like(arg->type.id) && is_constant_expr(*arg)) {
      arena a;
      BOOST_OUTCOME_TRY(auto v, fold(*arg, a, opt_.now));
      if (v.is_null()) return make_null(t, loc);
      std::string name(v.as_text());
      std::optional<int64_t> oid = target == "regtype"   ? regtype_oid(name)
                                   : target == "regproc" ? regproc_oid(name)
                                                         : regclass_oid(name);
      if (!oid) {
        if (target == "regproc")
          return make_error(errc::undefined_function, arg->location,
                            "function \"{}\" does not exist", name);
        if (target == "regtype")
          return make_error(errc::undefined_object, arg->location, "type \"{}\" does not exist",
                            name);
        return make_error(errc::undefined_table, arg->location, "relation \"{}\" does not exist",
                          name);
      }
      return make_constant(t, datum::of_int(*oid), loc);
    }
    return make_cast(arg, t, loc);
  }
  // INTERVAL '5' SECOND: the qualifier says what a bare number means.
  if (t.id == type_id::interval && tc["arg"].contains("A_Const") &&
      tc["arg"]["A_Const"].contains("sval") && tc["typeName"].contains("typmods")) {
    int64_t mask = tc["typeName"]["typmods"][0]["A_Const"]["ival"].value("ival", int64_t{0});
    interval_unit unit = interval_unit::none;
    if (mask & (1 << 12))
      unit = interval_unit::second;
    else if (mask & (1 << 11))
      unit = interval_unit::minute;
    else if (mask & (1 << 10))
      unit = interval_unit::hour;
    else if (mask & (1 << 3))
      unit = interval_unit::day;
    else if (mask & (1 << 1))
      unit = interval_unit::month;
    else if (mask & (1 << 2))
      unit = interval_unit::year;
    std::string text = tc["arg"]["A_Const"]["sval"].value("sval", "");
    auto iv = dt::parse_interval(text, unit);
    if (!iv)
      return make_error(errc::invalid_datetime_format, tc["arg"]["A_Const"].value("location", loc),
                        "invalid input syntax for type interval: \"{}\"", text);
    return make_constant(type_id::interval, datum::of_interval(*iv), loc);
  }
  // A numeric literal cast to real or double precision is read as that
  // type at once: PostgreSQL's numeric to float conversion reads the
  // decimal's text the same way, and a literal past numeric's 38 digits
  // here (1e300::float8) is then no error.
  if ((t.id == type_id::float32 || t.id == type_id::float64) && tc["arg"].contains("A_Const") &&
      tc["arg"]["A_Const"].contains("fval")) {
    arena a;
    if (auto v = from_text(t, tc["arg"]["A_Const"]["fval"].value("fval", ""), a))
      return make_constant(t, v.value(), loc);
  }
  BOOST_OUTCOME_TRY(auto arg, expression(tc["arg"], ctx));
  return make_cast(arg, t, loc);
}

result<expr_ptr> binder::param_ref(const json& p) {
  int n = p.value("number", 0);
  int loc = p.value("location", -1);
  if (n < 1) return make_error(errc::syntax_error, loc, "bad parameter number");
  if (opt_.params) {
    if (static_cast<size_t>(n) > opt_.params->size())
      return make_error(errc::protocol_violation, loc, "there is no parameter ${}", n);
    const auto& [t, v] = (*opt_.params)[static_cast<size_t>(n - 1)];
    if (!v) return make_null(t, loc);
    if (t.id == type_id::unknown) return make_text_constant(type_id::unknown, *v, loc);
    auto c = make_text_constant(type_id::text, *v, loc);
    return make_cast(c, t, loc);
  }
  if (param_types.size() < static_cast<size_t>(n))
    param_types.resize(static_cast<size_t>(n), type_id::unknown);
  auto e = std::make_shared<expr>();
  e->kind = expr_kind::param;
  e->column = n - 1;
  e->type = static_cast<size_t>(n) <= opt_.param_types.size()
                ? opt_.param_types[static_cast<size_t>(n - 1)]
                : sql_type(type_id::unknown);
  e->location = loc;
  return expr_ptr(e);
}

result<expr_ptr> binder::sql_value_function(const json& f) {
  std::string op = f.value("op", "");
  int loc = f.value("location", -1);
  if (op == "SVFOP_CURRENT_TIMESTAMP" || op == "SVFOP_CURRENT_TIMESTAMP_N" ||
      op == "SVFOP_LOCALTIMESTAMP" || op == "SVFOP_LOCALTIMESTAMP_N") {
    auto e = std::make_shared<expr>();
    e->kind = expr_kind::now;
    e->type = op.find("LOCAL") != std::string::npos ? sql_type(type_id::timestamp)
                                                    : sql_type(type_id::timestamptz);
    e->location = loc;
    return expr_ptr(e);
  }
  if (op == "SVFOP_CURRENT_DATE") {
    auto e = std::make_shared<expr>();
    e->kind = expr_kind::now;
    e->type = type_id::timestamptz;
    e->location = loc;
    return make_cast(e, type_id::date, loc);
  }
  if (op == "SVFOP_CURRENT_USER" || op == "SVFOP_SESSION_USER" || op == "SVFOP_USER" ||
      op == "SVFOP_CURRENT_ROLE")
    return make_text_constant(type_id::text, opt_.user, loc);
  if (op == "SVFOP_CURRENT_CATALOG") return make_text_constant(type_id::text, opt_.database, loc);
  if (op == "SVFOP_CURRENT_SCHEMA") return make_text_constant(type_id::text, "public", loc);
  return make_error(errc::feature_not_supported, loc, "{} is not supported", op);
}

result<expr_ptr> binder::a_expr(const json& ae, const expr_ctx& ctx) {
  std::string kind = ae.value("kind", "");
  int loc = ae.value("location", -1);
  std::string op = ae.contains("name") && !ae["name"].empty() ? str_of(ae["name"].back()) : "";
  auto side = [&](const char* key) -> result<expr_ptr> { return expression(ae[key], ctx); };
  if (kind == "AEXPR_OP") {
    if (!ae.contains("lexpr")) {
      BOOST_OUTCOME_TRY(auto r, side("rexpr"));
      if (op == "-" || op == "+") return make_call(op, {r}, loc);
      return make_error(errc::undefined_function, loc, "operator does not exist: {} {}", op,
                        type_name(r->type));
    }
    BOOST_OUTCOME_TRY(auto l, side("lexpr"));
    BOOST_OUTCOME_TRY(auto r, side("rexpr"));
    return make_call(op, {l, r}, loc);
  }
  if (kind == "AEXPR_LIKE" || kind == "AEXPR_ILIKE") {
    BOOST_OUTCOME_TRY(auto l, side("lexpr"));
    BOOST_OUTCOME_TRY(auto r, side("rexpr"));
    return make_call(op, {l, r}, loc);
  }
  if (kind == "AEXPR_DISTINCT" || kind == "AEXPR_NOT_DISTINCT") {
    BOOST_OUTCOME_TRY(auto l, side("lexpr"));
    BOOST_OUTCOME_TRY(auto r, side("rexpr"));
    std::vector<expr_ptr> both{l, r};
    BOOST_OUTCOME_TRY(unify(both, loc, "IS DISTINCT FROM"));
    auto e = std::make_shared<expr>();
    e->kind = expr_kind::is_distinct;
    e->negated = kind == "AEXPR_NOT_DISTINCT";
    e->type = type_id::boolean;
    e->args = both;
    e->location = loc;
    return expr_ptr(e);
  }
  if (kind == "AEXPR_NULLIF") {
    BOOST_OUTCOME_TRY(auto l, side("lexpr"));
    BOOST_OUTCOME_TRY(auto r, side("rexpr"));
    std::vector<expr_ptr> both{l, r};
    BOOST_OUTCOME_TRY(unify(both, loc, "NULLIF"));
    BOOST_OUTCOME_TRY(auto eq, make_call("=", {both[0], both[1]}, loc));
    auto e = std::make_shared<expr>();
    e->kind = expr_kind::case_;
    e->type = both[0]->type;
    e->args = {eq, make_null(both[0]->type), both[0]};
    e->has_else = true;
    e->location = loc;
    return expr_ptr(e);
  }
  if (kind == "AEXPR_IN" || kind == "AEXPR_OP_ANY" || kind == "AEXPR_OP_ALL") {
    BOOST_OUTCOME_TRY(auto l, side("lexpr"));
    std::vector<expr_ptr> items{l};
    const json& r = ae["rexpr"];
    if (r.contains("List")) {
      for (const auto& it : r["List"]["items"]) {
        BOOST_OUTCOME_TRY(auto x, expression(it, ctx));
        items.push_back(x);
      }
    } else if (r.contains("A_ArrayExpr")) {
      for (const auto& it : r["A_ArrayExpr"]["elements"]) {
        BOOST_OUTCOME_TRY(auto x, expression(it, ctx));
        items.push_back(x);
      }
    } else if (kind != "AEXPR_IN") {
      // = ANY(text[] constant or column): only constant arrays.
      BOOST_OUTCOME_TRY(auto arr, expression(r, ctx));
      if (arr->kind != expr_kind::constant || arr->type.id != type_id::text_array ||
          arr->value.is_null())
        return make_error(errc::feature_not_supported, loc,
                          "ANY/ALL over a non-constant array is not supported");
      std::string_view s = arr->value.as_text();
      if (s.size() >= 2) s = s.substr(1, s.size() - 2);
      std::string cur;
      bool quoted = false;
      auto push = [&] {
        items.push_back(make_text_constant(type_id::unknown, cur, loc));
        cur.clear();
      };
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '"')
          quoted = !quoted;
        else if (s[i] == '\\' && i + 1 < s.size())
          cur += s[++i];
        else if (s[i] == ',' && !quoted)
          push();
        else
          cur += s[i];
      }
      if (!s.empty()) push();
    } else {
      return make_error(errc::feature_not_supported, loc,
                        "IN (subquery) is not supported yet; use a join");
    }
    if (kind == "AEXPR_OP_ALL" || (kind == "AEXPR_OP_ANY" && op != "=")) {
      // x op ALL/ANY (list): a conjunction/disjunction of comparisons.
      std::vector<expr_ptr> parts;
      for (size_t i = 1; i < items.size(); ++i) {
        BOOST_OUTCOME_TRY(auto c, make_call(op, {items[0], items[i]}, loc));
        parts.push_back(c);
      }
      auto e = std::make_shared<expr>();
      e->kind = kind == "AEXPR_OP_ALL" ? expr_kind::and_ : expr_kind::or_;
      e->type = type_id::boolean;
      e->args = parts;
      e->location = loc;
      return expr_ptr(e);
    }
    BOOST_OUTCOME_TRY(unify(items, loc, "IN"));
    auto e = std::make_shared<expr>();
    e->kind = expr_kind::in_list;
    e->negated = kind == "AEXPR_IN" && op == "<>";
    e->type = type_id::boolean;
    e->args = items;
    e->location = loc;
    return expr_ptr(e);
  }
  if (kind == "AEXPR_BETWEEN" || kind == "AEXPR_NOT_BETWEEN" || kind == "AEXPR_BETWEEN_SYM" ||
      kind == "AEXPR_NOT_BETWEEN_SYM") {
    BOOST_OUTCOME_TRY(auto x, side("lexpr"));
    const auto& items = ae["rexpr"]["List"]["items"];
    BOOST_OUTCOME_TRY(auto lo, expression(items[0], ctx));
    BOOST_OUTCOME_TRY(auto hi, expression(items[1], ctx));
    BOOST_OUTCOME_TRY(auto ge, make_call(">=", {x, lo}, loc));
    BOOST_OUTCOME_TRY(auto le, make_call("<=", {x, hi}, loc));
    auto e = std::make_shared<expr>();
    e->kind = expr_kind::and_;
    e->type = type_id::boolean;
    e->args = {ge, le};
    e->location = loc;
    expr_ptr out = e;
    if (kind.find("SYM") != std::string::npos) {
      BOOST_OUTCOME_TRY(auto ge2, make_call(">=", {x, hi}, loc));
      BOOST_OUTCOME_TRY(auto le2, make_call("<=", {x, lo}, loc));
      auto e2 = std::make_shared<expr>();
      e2->kind = expr_kind::and_;
      e2->type = type_id::boolean;
      e2->args = {ge2, le2};
      auto o = std::make_shared<expr>();
      o->kind = expr_kind::or_;
      o->type = type_id::boolean;
      o->args = {out, e2};
      out = o;
    }
    if (kind.find("NOT") != std::string::npos) {
      auto n = std::make_shared<expr>();
      n->kind = expr_kind::not_;
      n->type = type_id::boolean;
      n->args = {out};
      out = n;
    }
    return out;
  }
  if (kind == "AEXPR_SIMILAR")
    return make_error(errc::feature_not_supported, loc, "SIMILAR TO is not supported");
  return make_error(errc::feature_not_supported, loc, "operator kind {} is not supported", kind);
}

result<std::string> binder::string_agg_args(const json& fc, std::vector<expr_ptr>& args,
                                            bool distinct, const expr_ctx& ctx, int loc) {
  if (args.size() != 2) return no_function("string_agg", args, loc);
  for (auto& a : args)
    if (a->type.id == type_id::unknown) {
      BOOST_OUTCOME_TRY(a, make_cast(a, type_id::text, loc));
    }
  if (args[0]->type.id != type_id::text || args[1]->type.id != type_id::text)
    return no_function("string_agg", args, loc);
  if (args[1]->kind != expr_kind::constant || args[1]->value.is_null())
    return make_error(errc::feature_not_supported, loc,
                      "string_agg's separator must be a non-NULL constant");
  if (distinct)
    return make_error(errc::feature_not_supported, loc,
                      "string_agg(DISTINCT ...) is not supported");
  // The values are kept ordered, so ORDER BY the value itself (ascending)
  // is what runnel gives; without ORDER BY PostgreSQL's order is unspecified.
  if (fc.contains("agg_order")) {
    const json& order = fc["agg_order"];
    bool ok = order.size() == 1;
    if (ok) {
      const json& sb = order[0]["SortBy"];
      BOOST_OUTCOME_TRY(auto e, expression(sb["node"], ctx));
      if (e->type.id == type_id::unknown) {
        BOOST_OUTCOME_TRY(e, make_cast(e, type_id::text, loc));
      }
      std::string dir = sb.value("sortby_dir", "SORTBY_DEFAULT");
      ok = same_expr(*e, *args[0]) && (dir == "SORTBY_DEFAULT" || dir == "SORTBY_ASC");
    }
    if (!ok)
      return make_error(errc::feature_not_supported, loc,
                        "string_agg orders only by its own value, ascending");
  }
  std::string sep(args[1]->value.as_text());
  args.resize(1);
  return sep;
}

result<expr_ptr> binder::func_call(const json& fc, const expr_ctx& ctx) {
  int loc = fc.value("location", -1);
  std::vector<std::string> names;
  for (const auto& n : fc["funcname"]) names.push_back(str_of(n));
  std::string name = names.back();
  if (names.size() > 1 && names[0] != "pg_catalog" && names[0] != "public" &&
      names[0] != "information_schema")
    return make_error(errc::undefined_function, loc, "schema \"{}\" does not exist", names[0]);
  bool star = fc.value("agg_star", false);
  bool distinct = fc.value("agg_distinct", false);
  if (fc.contains("over")) {
    if (!is_window_name(name))
      return make_error(errc::feature_not_supported, loc,
                        "window function {}() is not supported; only ROW_NUMBER(), RANK() and "
                        "DENSE_RANK() over a partition for Top-N",
                        name);
    if (!ctx.windows)
      return make_error(errc::grouping_error, loc, "window functions are not allowed in {}",
                        ctx.clause);
    pending_window w;
    w.func = name;
    w.location = loc;
    const json& over = fc["over"];
    expr_ctx inner = ctx;
    inner.windows = nullptr;
    if (over.contains("partitionClause"))
      for (const auto& p : over["partitionClause"]) {
        BOOST_OUTCOME_TRY(auto e, expression(p, inner));
        w.partition.push_back(e);
      }
    if (over.contains("orderClause"))
      for (const auto& o : over["orderClause"]) {
        const json& sb = o["SortBy"];
        BOOST_OUTCOME_TRY(auto e, expression(sb["node"], inner));
        sort_key k;
        k.desc = sb.value("sortby_dir", "") == "SORTBY_DESC";
        std::string nulls = sb.value("sortby_nulls", "SORTBY_NULLS_DEFAULT");
        k.nulls_first =
            nulls == "SORTBY_NULLS_FIRST" || (nulls == "SORTBY_NULLS_DEFAULT" && k.desc);
        w.order.emplace_back(e, k);
      }
    ctx.windows->push_back(std::move(w));
    return make_column(window_marker + static_cast<int>(ctx.windows->size() - 1), type_id::int64,
                       loc);
  }
  if (is_aggregate_name(name) && !is_scalar_function(name) &&
      (names.size() == 1 || names[0] == "pg_catalog")) {
    if (!ctx.aggs)
      return make_error(errc::grouping_error, loc, "aggregate functions are not allowed in {}",
                        ctx.clause);
    if (fc.contains("agg_filter")) {
      // Every aggregate here skips NULL inputs, so `agg(x) FILTER (WHERE c)`
      // is `agg(CASE WHEN c THEN x END)` (count(*): `count(CASE WHEN c THEN
      // 1 END)`), which retractions already handle.
      auto when_then = [&](const json& result) {
        json when = json::object();
        when["CaseWhen"]["expr"] = fc["agg_filter"];
        when["CaseWhen"]["result"] = result;
        json case_expr = json::object();
        case_expr["CaseExpr"]["args"] = json::array({when});
        case_expr["CaseExpr"]["location"] = loc;
        return case_expr;
      };
      json rewritten = fc;
      rewritten.erase("agg_filter");
      rewritten.erase("agg_star");
      if (star) {
        json one = json::object();
        one["A_Const"]["ival"]["ival"] = 1;
        one["A_Const"]["location"] = loc;
        rewritten["args"] = json::array({when_then(one)});
      } else {
        if (!fc.contains("args") || fc["args"].empty())
          return make_error(errc::undefined_function, loc, "function {} takes one argument", name);
        rewritten["args"][0] = when_then(fc["args"][0]);
        // string_agg's ORDER BY names the value: it sees the same CASE.
        if (rewritten.contains("agg_order"))
          for (auto& o : rewritten["agg_order"])
            if (o.contains("SortBy")) o["SortBy"]["node"] = when_then(o["SortBy"]["node"]);
      }
      return func_call(rewritten, ctx);
    }
    if (fc.contains("agg_order") && name != "string_agg")
      return make_error(errc::feature_not_supported, loc,
                        "ORDER BY inside aggregates is not supported");
    pending_agg a;
    a.func = name == "every" ? "bool_and" : name;
    a.star = star;
    a.distinct = distinct;
    a.location = loc;
    expr_ctx inner = ctx;
    inner.aggs = nullptr;
    inner.windows = nullptr;
    inner.clause = "aggregate function calls";
    if (star) {
      if (a.func != "count")
        return make_error(errc::syntax_error, loc, "{}(*) is not allowed", name);
    } else {
      BOOST_OUTCOME_TRY(a.args, list(fc.contains("args") ? fc["args"] : json(), inner));
      if (a.func == "string_agg") {
        BOOST_OUTCOME_TRY(a.separator, string_agg_args(fc, a.args, distinct, inner, loc));
      }
      if (a.args.size() != 1)
        return make_error(errc::undefined_function, loc, "function {} takes one argument", name);
      auto& x = a.args[0];
      if (x->type.id == type_id::unknown) {
        BOOST_OUTCOME_TRY(
            x, make_cast(x,
                         (a.func == "sum" || a.func == "avg") ? sql_type(type_id::numeric)
                                                              : sql_type(type_id::text),
                         loc));
      }
      if ((a.func == "sum" || a.func == "avg") && !is_numeric_family(x->type.id) &&
          x->type.id != type_id::interval)
        return no_function(name, a.args, loc);
      if ((a.func == "bool_and" || a.func == "bool_or") && x->type.id != type_id::boolean)
        return no_function(name, a.args, loc);
      if ((a.func == "min" || a.func == "max") &&
          (x->type.id == type_id::jsonb || x->type.id == type_id::text_array))
        return no_function(name, a.args, loc);
    }
    a.type = aggregate_type(a.func, star ? sql_type(type_id::int64) : a.args[0]->type);
    // The same aggregate twice is computed once.
    for (size_t i = 0; i < ctx.aggs->size(); ++i) {
      const auto& o = (*ctx.aggs)[i];
      if (o.func == a.func && o.star == a.star && o.distinct == a.distinct &&
          o.separator == a.separator && o.args.size() == a.args.size() &&
          (a.args.empty() || same_expr(*o.args[0], *a.args[0])))
        return make_column(agg_marker + static_cast<int>(i), a.type, loc);
    }
    ctx.aggs->push_back(std::move(a));
    return make_column(agg_marker + static_cast<int>(ctx.aggs->size() - 1), ctx.aggs->back().type,
                       loc);
  }
  if (star) return make_error(errc::syntax_error, loc, "{}(*) is not an aggregate", name);
  if (distinct)
    return make_error(errc::syntax_error, loc,
                      "DISTINCT specified, but {} is not an aggregate function", name);
  if (fc.contains("agg_filter"))
    return make_error(errc::wrong_object_type, loc,
                      "FILTER specified, but {} is not an aggregate function", name);
  if (name == "now" || name == "current_timestamp" || name == "transaction_timestamp" ||
      name == "statement_timestamp" || name == "proctime" || name == "clock_timestamp") {
    if (fc.contains("args") && !fc["args"].empty())
      return make_error(errc::undefined_function, loc, "function {} takes no arguments", name);
    auto e = std::make_shared<expr>();
    e->kind = expr_kind::now;
    e->type = type_id::timestamptz;
    e->location = loc;
    return expr_ptr(e);
  }
  if (has_named_args(fc)) return named_call(name, fc, ctx, loc);
  // No "args" for f(): a const json's [] of a missing key is undefined.
  BOOST_OUTCOME_TRY(auto args, list(fc.contains("args") ? fc["args"] : json(), ctx));
  if (name == "coalesce") {
    BOOST_OUTCOME_TRY(unify(args, loc, "COALESCE"));
    auto e = std::make_shared<expr>();
    e->kind = expr_kind::coalesce;
    e->type = args.empty() ? sql_type(type_id::unknown) : args[0]->type;
    e->args = args;
    e->location = loc;
    return expr_ptr(e);
  }
  if (name == "version" && args.empty())
    return make_text_constant(type_id::text, "PostgreSQL 15.1 (runnel SQL) on x86_64-pc-linux-gnu",
                              loc);
  if ((name == "current_database" || name == "current_catalog") && args.empty())
    return make_text_constant(type_id::text, opt_.database, loc);
  if (name == "current_schema" && args.empty())
    return make_text_constant(type_id::text, "public", loc);
  if ((name == "current_user" || name == "session_user" || name == "user") && args.empty())
    return make_text_constant(type_id::text, opt_.user, loc);
  if (name == "pg_backend_pid" && args.empty())
    return make_constant(type_id::int32, datum::of_int(1), loc);
  if (name == "current_schemas")
    return make_text_constant(type_id::text_array, "{pg_catalog,public}", loc);
  if (name == "current_setting" || name == "set_config") {
    const size_t lo = name == "set_config" ? 3 : 1, hi = name == "set_config" ? 3 : 2;
    if (args.size() < lo || args.size() > hi) return make_call(name, std::move(args), loc);
    std::vector<std::optional<std::string>> v;
    for (auto& a : args) {
      if (!is_constant_expr(*a))
        return make_error(errc::feature_not_supported, a->location,
                          "{}() takes constant arguments in runnel", name);
      arena ar;
      BOOST_OUTCOME_TRY(auto d, fold(*a, ar, opt_.now));
      if (d.is_null()) {
        v.emplace_back();
      } else if (a->type.id == type_id::boolean) {
        v.emplace_back(d.as_bool() ? "true" : "false");
      } else if (a->type.id == type_id::text || a->type.id == type_id::unknown) {
        v.emplace_back(std::string(d.as_text()));
      } else {
        return make_error(errc::undefined_function, loc, "function {}() does not exist", name);
      }
    }
    if (!v[0])  // PostgreSQL's functions are strict in the name
      return make_constant(type_id::text, datum::null_value(), loc);
    if (name == "set_config") {
      if (!v[2]) return make_constant(type_id::text, datum::null_value(), loc);
      if (!opt_.set_setting)
        return make_error(errc::feature_not_supported, loc,
                          "set_config() is only supported in a one-off query");
      BOOST_OUTCOME_TRY(auto shown, opt_.set_setting(*v[0], v[1], *v[2] == "true"));
      return make_text_constant(type_id::text, shown, loc);
    }
    const bool missing_ok = v.size() > 1 && v[1] && *v[1] == "true";
    std::optional<std::string> value;
    if (opt_.get_setting) {
      value = opt_.get_setting(*v[0]);
    } else if (const auto* d = find_server_setting(*v[0])) {
      value = d->value;
    }
    if (value) return make_text_constant(type_id::text, *value, loc);
    if (missing_ok) return make_constant(type_id::text, datum::null_value(), loc);
    return make_error(errc::undefined_object, loc, "unrecognized configuration parameter \"{}\"",
                      *v[0]);
  }
  return make_call(name, std::move(args), loc);
}

const std::vector<server_setting>& server_settings() {
  static const std::vector<server_setting> all = {
      {"application_name", "", false,
       "Sets the application name to be reported in statistics and logs."},
      {"block_size", "8192", true, "Shows the size of a disk block."},
      {"client_encoding", "UTF8", false, "Sets the client's character set encoding."},
      {"DateStyle", "ISO, MDY", false, "Sets the display format for date and time values."},
      {"default_transaction_isolation", "read committed", false,
       "Sets the transaction isolation level of each new transaction."},
      {"extra_float_digits", "1", false,
       "Sets the number of digits displayed for floating-point values."},
      {"integer_datetimes", "on", true, "Shows whether datetimes are integer based."},
      {"IntervalStyle", "postgres", false, "Sets the display format for interval values."},
      {"is_superuser", "on", true, "Shows whether the current user is a superuser."},
      {"max_identifier_length", "63", true, "Shows the maximum identifier length."},
      {"max_index_keys", "32", true, "Shows the maximum number of index keys."},
      {"search_path", "\"$user\", public", false,
       "Sets the schema search order for names that are not schema-qualified."},
      {"server_encoding", "UTF8", true, "Shows the server (database) character set encoding."},
      {"server_version", "15.1", true, "Shows the server version."},
      {"server_version_num", "150001", true, "Shows the server version as an integer."},
      {"standard_conforming_strings", "on", false,
       "Causes '...' strings to treat backslashes literally."},
      {"statement_timeout", "0", false, "Sets the maximum allowed duration of any statement."},
      {"TimeZone", "UTC", false, "Sets the time zone for displaying and interpreting time stamps."},
      {"transaction_isolation", "read committed", false,
       "Sets the current transaction's isolation level."},
      {"transaction_read_only", "off", false, "Sets the current transaction's read-only status."},
  };
  return all;
}

const server_setting* find_server_setting(std::string_view name) {
  for (const auto& s : server_settings())
    if (iequals_ascii(name, s.name)) return &s;
  return nullptr;
}

// f(a, name => b, ...): PostgreSQL's named notation (positional arguments
// first, which its grammar already checks) made positional, the parameters
// not given filled with their defaults.
result<expr_ptr> binder::named_call(const std::string& name, const json& fc, const expr_ctx& ctx,
                                    int loc) {
  const auto* params = named_params(name);
  std::vector<expr_ptr> given;
  std::vector<std::string> names;
  for (const auto& a : fc["args"]) {
    bool named = a.contains("NamedArgExpr");
    const json& arg = named ? a["NamedArgExpr"]["arg"] : a;
    BOOST_OUTCOME_TRY(auto e, expression(arg, ctx));
    std::string n = named ? a["NamedArgExpr"].value("name", "") : "";
    for (const auto& m : names)
      if (named && m == n)
        return make_error(errc::syntax_error, location_of(a),
                          "argument name \"{}\" used more than once", n);
    given.push_back(e);
    names.push_back(n);
  }
  auto missing = [&] {
    std::string types;
    for (size_t i = 0; i < given.size(); ++i) {
      if (i) types += ", ";
      if (!names[i].empty()) types += names[i] + " => ";
      types += type_name(given[i]->type);
    }
    sql_error e =
        make_error(errc::undefined_function, loc, "function {}({}) does not exist", name, types);
    e.hint =
        "No function matches the given name and argument types. You might need to add explicit "
        "type casts.";
    return e;
  };
  if (!params || given.size() > params->size()) return missing();
  std::vector<expr_ptr> args(params->size());
  for (size_t i = 0; i < given.size(); ++i) {
    size_t at = i;
    if (!names[i].empty()) {
      at = params->size();
      for (size_t k = 0; k < params->size(); ++k)
        if ((*params)[k].name == names[i]) at = k;
      if (at == params->size() || args[at]) return missing();
    }
    args[at] = given[i];
  }
  for (size_t k = 0; k < args.size(); ++k)
    if (!args[k])
      args[k] = (*params)[k].type == type_id::float64
                    ? make_constant(type_id::float64, datum::of_double(0), loc)
                    : make_constant((*params)[k].type, datum::of_int(0), loc);
  return make_call(name, std::move(args), loc);
}

result<expr_ptr> bind_expression(const json& node, const std::vector<plan_column>& columns,
                                 const bind_options& options) {
  binder b(options);
  expr_ctx ctx;
  ctx.cols = &columns;
  ctx.clause = "this expression";
  return b.expression(node, ctx);
}

result<sql_type> bind_type_name(const json& tn) {
  bind_options o;
  binder b(o);
  return b.bind_type(tn);
}

}  // namespace runnel::sql
