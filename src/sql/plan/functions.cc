#include "sql/plan/functions.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>

#include <fmt/format.h>

namespace runnel::sql {

namespace {

std::map<std::string, resolver, std::less<>>& registry() {
  static std::map<std::string, resolver, std::less<>> r;
  return r;
}

void ensure_registered() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_operator_functions();
    register_math_functions();
    register_string_functions();
    register_time_functions();
    register_json_functions();
    register_catalog_functions();
    register_regex_functions();
  });
}

int numeric_rank(type_id t) {
  switch (t) {
    case type_id::int16:
      return 1;
    case type_id::int32:
      return 2;
    case type_id::int64:
      return 3;
    case type_id::numeric:
      return 4;
    case type_id::float32:
      return 5;
    case type_id::float64:
      return 6;
    default:
      return 0;
  }
}

}  // namespace

void register_function(const std::string& name, resolver r) {
  registry()[name] = std::move(r);
}

resolver registered_function(std::string_view name) {
  auto it = registry().find(name);
  return it == registry().end() ? resolver() : it->second;
}

bool is_scalar_function(std::string_view name) {
  ensure_registered();
  return registry().find(name) != registry().end();
}

std::vector<std::string> function_names() {
  ensure_registered();
  std::vector<std::string> out;
  for (const auto& [name, r] : registry())
    if (!name.empty() && std::isalpha(static_cast<unsigned char>(name[0])) &&
        std::all_of(name.begin(), name.end(),
                    [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }))
      out.push_back(name);
  return out;
}

result<expr_ptr> make_call(std::string_view name, std::vector<expr_ptr> args, int location) {
  ensure_registered();
  auto it = registry().find(name);
  if (it == registry().end()) return no_function(name, args, location);
  BOOST_OUTCOME_TRY(auto e, it->second(args, location));
  // Fold calls on constants once, here, instead of per row.
  if (is_constant_expr(*e) && e->kind == expr_kind::call) {
    arena a;
    auto v = fold(*e, a, 0);
    if (!v) {
      auto err = v.error();
      if (err.position < 0) err.position = location;
      return err;
    }
    if (v.value().is_null()) return make_null(e->type, location);
    if (e->type.id == type_id::text || e->type.id == type_id::bytea ||
        e->type.id == type_id::jsonb || e->type.id == type_id::text_array ||
        e->type.id == type_id::unknown)
      return make_text_constant(e->type, std::string(v.value().as_text()), location);
    return make_constant(e->type, v.value(), location);
  }
  return e;
}

expr_ptr make_fn(std::string name, sql_type ret, scalar_fn fn, std::vector<expr_ptr> args,
                 int location, bool strict, std::shared_ptr<const void> aux) {
  auto e = std::make_shared<expr>();
  e->kind = expr_kind::call;
  e->name = std::move(name);
  e->type = ret;
  e->fn = fn;
  e->args = std::move(args);
  e->location = location;
  e->strict = strict;
  e->aux = std::move(aux);
  return e;
}

sql_error no_function(std::string_view name, const std::vector<expr_ptr>& args, int location) {
  std::string types;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) types += ", ";
    types += type_name(args[i]->type);
  }
  bool op = !name.empty() && !std::isalpha(static_cast<unsigned char>(name[0]));
  sql_error e;
  e.code = errc::undefined_function;
  e.position = location;
  if (op && args.size() == 2)
    e.message = fmt::format("operator does not exist: {} {} {}", type_name(args[0]->type), name,
                            type_name(args[1]->type));
  else if (op && args.size() == 1)
    e.message = fmt::format("operator does not exist: {} {}", name, type_name(args[0]->type));
  else
    e.message = fmt::format("function {}({}) does not exist", name, types);
  e.hint =
      "No function matches the given name and argument types. You might need to add explicit type "
      "casts.";
  return e;
}

datum text_result(eval_context& c, std::string_view s) {
  return datum::of_text(c.strings->copy(s));
}

std::optional<sql_type> common_type(const sql_type& a, const sql_type& b) {
  if (a.id == b.id) {
    if (a.id == type_id::numeric) return sql_type(type_id::numeric);
    return a;
  }
  if (a.id == type_id::unknown) return b.id == type_id::unknown ? sql_type(type_id::text) : b;
  if (b.id == type_id::unknown) return a;
  int ra = numeric_rank(a.id), rb = numeric_rank(b.id);
  if (ra && rb) {
    sql_type t = ra >= rb ? a : b;
    // real meets anything wider than itself as double precision.
    if (t.id == type_id::float32 && (ra != rb)) {
      int other = ra >= rb ? rb : ra;
      if (other >= 3) return sql_type(type_id::float64);
    }
    if (t.id == type_id::numeric) return sql_type(type_id::numeric);
    return t;
  }
  auto is_ts = [](type_id t) { return t == type_id::timestamp || t == type_id::timestamptz; };
  if (is_ts(a.id) && is_ts(b.id)) return sql_type(type_id::timestamptz);
  if ((a.id == type_id::date && is_ts(b.id)) || (b.id == type_id::date && is_ts(a.id)))
    return is_ts(a.id) ? a : b;
  if (a.id == type_id::oid && is_integer(b.id)) return sql_type(type_id::int64);
  if (b.id == type_id::oid && is_integer(a.id)) return sql_type(type_id::int64);
  return std::nullopt;
}

result<expr_ptr> coerce(expr_ptr e, const sql_type& to, int location) {
  if (e->type.id == to.id) {
    if (to.id == type_id::numeric && to.precision > 0 && e->type.precision != to.precision)
      return make_cast(e, to, location);
    return e;
  }
  if (e->type.id == type_id::unknown) return make_cast(e, to, location);
  auto c = common_type(e->type, to);
  if (c && c->id == to.id) return make_cast(e, to, location);
  // Assignment-style conversions PostgreSQL allows implicitly.
  if (is_numeric_family(e->type.id) && is_numeric_family(to.id)) return make_cast(e, to, location);
  if (to.id == type_id::text && (e->type.id == type_id::text)) return e;
  return make_error(errc::datatype_mismatch, location >= 0 ? location : e->location,
                    "cannot convert {} to {} implicitly", type_name(e->type), type_name(to));
}

result<void> unify(std::vector<expr_ptr>& es, int location, std::string_view what) {
  if (es.empty()) return success();
  sql_type t = es[0]->type;
  for (size_t i = 1; i < es.size(); ++i) {
    auto c = common_type(t, es[i]->type);
    if (!c)
      return make_error(errc::datatype_mismatch, es[i]->location >= 0 ? es[i]->location : location,
                        "{} types {} and {} cannot be matched", what, type_name(t),
                        type_name(es[i]->type));
    t = *c;
  }
  if (t.id == type_id::unknown) t = type_id::text;
  for (auto& e : es) {
    BOOST_OUTCOME_TRY(e, coerce(e, t, location));
  }
  return success();
}

}  // namespace runnel::sql
