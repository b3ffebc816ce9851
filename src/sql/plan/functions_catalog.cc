// The system functions that psql, drivers and BI tools call while they
// look around (version(), format_type, pg_table_is_visible, ...). runnel has
// one database, one schema that matters (public) and no privileges yet, so
// most answers are constants.
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sql/plan/functions.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace {

datum const_true(const datum*, const expr&, eval_context&) {
  return datum::of_bool(true);
}
datum const_false(const datum*, const expr&, eval_context&) {
  return datum::of_bool(false);
}
datum const_null(const datum*, const expr&, eval_context&) {
  return datum::null_value();
}
datum format_type_fn(const datum* a, const expr& self, eval_context& c) {
  if (a[0].is_null()) return datum::null_value();
  auto t = type_of_oid(static_cast<uint32_t>(a[0].as_int()));
  int64_t oid = a[0].as_int();
  std::string name;
  if (oid == 19)
    name = "name";
  else if (oid == 18)
    name = "\"char\"";
  else if (t)
    name = type_name(*t);
  else
    name = "???";
  if (t && t->id == type_id::numeric && self.args.size() > 1 && !a[1].is_null() &&
      a[1].as_int() >= 4) {
    int64_t mod = a[1].as_int() - 4;
    name = fmt::format("numeric({},{})", (mod >> 16) & 0xffff, mod & 0xffff);
  }
  if (t && t->id == type_id::text && t->kind != text_kind::text && self.args.size() > 1 &&
      !a[1].is_null() && a[1].as_int() >= 5) {
    sql_type n = *t;
    n.precision = static_cast<int16_t>(std::min<int64_t>(a[1].as_int() - 4, INT16_MAX));
    name = type_name(n);
  }
  return text_result(c, name);
}
// pg_typeof(x): the argument's type name, without modifiers (PostgreSQL
// prints numeric(5,2) as "numeric"). PostgreSQL returns regtype; runnel
// returns its text form.
datum pg_typeof_fn(const datum*, const expr& self, eval_context& c) {
  sql_type t(self.args[0]->type.id);
  t.kind = self.args[0]->type.kind;
  // regtype's form: format_type without a modifier, "character" for bpchar.
  if (t.id == type_id::text && t.kind == text_kind::bpchar) return datum::of_text("character");
  return text_result(c, type_name(t));
}
datum pg_get_userbyid_fn(const datum*, const expr&, eval_context&) {
  return datum::of_text("root");
}
datum encoding_fn(const datum*, const expr&, eval_context&) {
  return datum::of_text("UTF8");
}
datum array_to_string_fn(const datum* a, const expr&, eval_context& c) {
  // text[] literals are kept in their text form {a,b,"c d"}.
  std::string_view s = a[0].as_text();
  if (s.size() >= 2 && s.front() == '{') s = s.substr(1, s.size() - 2);
  std::string out, cur;
  bool first = true, quoted = false;
  auto flush = [&] {
    if (!first) out += a[1].as_text();
    out += cur;
    cur.clear();
    first = false;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == '"') {
      quoted = !quoted;
    } else if (ch == ',' && !quoted) {
      flush();
    } else if (ch == '\\' && i + 1 < s.size()) {
      cur += s[++i];
    } else {
      cur += ch;
    }
  }
  if (!s.empty()) flush();
  return text_result(c, out);
}
// The elements of a text[] literal {a,b,"c d"}, unquoted.
// The elements of a text[]'s text form; an unquoted NULL is SQL NULL
// (regexp_match's group that took no part).
std::vector<std::optional<std::string>> array_elements(std::string_view s) {
  if (s.size() >= 2 && s.front() == '{') s = s.substr(1, s.size() - 2);
  std::vector<std::optional<std::string>> out;
  std::string cur;
  bool quoted = false, was_quoted = false;
  auto flush = [&] {
    bool null = !was_quoted && cur.size() == 4 && (cur[0] | 0x20) == 'n' &&
                (cur[1] | 0x20) == 'u' && (cur[2] | 0x20) == 'l' && (cur[3] | 0x20) == 'l';
    out.push_back(null ? std::nullopt : std::optional<std::string>(std::move(cur)));
    cur.clear();
    was_quoted = false;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == '"') {
      quoted = !quoted;
      was_quoted = true;
    } else if (ch == ',' && !quoted) {
      flush();
    } else if (ch == '\\' && i + 1 < s.size()) {
      cur += s[++i];
    } else {
      cur += ch;
    }
  }
  if (!s.empty()) flush();
  return out;
}
datum array_subscript_fn(const datum* a, const expr&, eval_context& c) {
  auto items = array_elements(a[0].as_text());
  int64_t i = a[1].as_int();
  if (i < 1 || static_cast<size_t>(i) > items.size() || !items[static_cast<size_t>(i - 1)])
    return datum::null_value();
  return text_result(c, *items[static_cast<size_t>(i - 1)]);
}
// array_upper/array_length (a text[] has one dimension, counted from 1;
// PostgreSQL gives NULL for an empty array or another dimension).
datum array_upper_fn(const datum* a, const expr&, eval_context&) {
  auto n = array_elements(a[0].as_text()).size();
  if (n == 0 || a[1].as_int() != 1) return datum::null_value();
  return datum::of_int(static_cast<int64_t>(n));
}
datum array_lower_fn(const datum* a, const expr&, eval_context&) {
  if (array_elements(a[0].as_text()).empty() || a[1].as_int() != 1) return datum::null_value();
  return datum::of_int(1);
}
datum size_pretty_fn(const datum* a, const expr&, eval_context& c) {
  int64_t v = a[0].as_int();
  const char* units[] = {"bytes", "kB", "MB", "GB", "TB"};
  int u = 0;
  int64_t x = v;
  while (u < 4 && (x >= 10 * 1024 || x <= -10 * 1024)) {
    x = (x + (x >= 0 ? 512 : -512)) / 1024;
    ++u;
  }
  return text_result(c, fmt::format("{} {}", x, units[u]));
}
datum quote_ident_fn(const datum* a, const expr&, eval_context& c) {
  std::string_view s = a[0].as_text();
  bool plain = !s.empty() && (std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_');
  for (char ch : s)
    if (!(std::islower(static_cast<unsigned char>(ch)) ||
          std::isdigit(static_cast<unsigned char>(ch)) || ch == '_'))
      plain = false;
  if (plain) return a[0];
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
  return text_result(c, out);
}

// A function that takes any arguments (coerced to nothing) and returns a
// constant.
void constant_function(const char* name, type_id ret, scalar_fn fn, size_t min_args,
                       size_t max_args) {
  register_function(name, [=](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() < min_args || args.size() > max_args) return no_function(name, args, loc);
    for (auto& a : args)
      if (a->type.id == type_id::unknown) {
        BOOST_OUTCOME_TRY(a, make_cast(a, type_id::text, loc));
      }
    return make_fn(name, ret, fn, args, loc, false);
  });
}

}  // namespace

result<expr_ptr> make_array_subscript(expr_ptr array, expr_ptr index, int location) {
  BOOST_OUTCOME_TRY(index, coerce(index, type_id::int64, location));
  return make_fn("array_subscript", type_id::text, &array_subscript_fn, {array, index}, location);
}

void register_catalog_functions() {
  constant_function("pg_table_is_visible", type_id::boolean, &const_true, 1, 1);
  constant_function("pg_type_is_visible", type_id::boolean, &const_true, 1, 1);
  constant_function("pg_function_is_visible", type_id::boolean, &const_true, 1, 1);
  for (const char* n :
       {"has_table_privilege", "has_schema_privilege", "has_database_privilege",
        "has_column_privilege", "has_any_column_privilege", "has_function_privilege"})
    constant_function(n, type_id::boolean, &const_true, 1, 4);
  constant_function("pg_is_in_recovery", type_id::boolean, &const_false, 0, 0);
  constant_function("obj_description", type_id::text, &const_null, 1, 2);
  constant_function("col_description", type_id::text, &const_null, 2, 2);
  constant_function("shobj_description", type_id::text, &const_null, 2, 2);
  constant_function("pg_get_expr", type_id::text, &const_null, 2, 3);
  constant_function("pg_get_indexdef", type_id::text, &const_null, 1, 3);
  constant_function("pg_get_constraintdef", type_id::text, &const_null, 1, 2);
  constant_function("pg_get_triggerdef", type_id::text, &const_null, 1, 2);
  constant_function("pg_get_partkeydef", type_id::text, &const_null, 1, 1);
  constant_function("pg_get_statisticsobjdef_columns", type_id::text, &const_null, 1, 1);
  constant_function("pg_get_userbyid", type_id::text, &pg_get_userbyid_fn, 1, 1);
  constant_function("pg_encoding_to_char", type_id::text, &encoding_fn, 1, 1);
  register_function("format_type", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.empty() || args.size() > 2) return no_function("format_type", args, loc);
    BOOST_OUTCOME_TRY(args[0], coerce(args[0], type_id::int64, loc));
    if (args.size() > 1) {
      BOOST_OUTCOME_TRY(args[1], coerce(args[1], type_id::int64, loc));
    }
    return make_fn("format_type", type_id::text, &format_type_fn, args, loc, false);
  });
  register_function("pg_typeof", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 1) return no_function("pg_typeof", args, loc);
    return make_fn("pg_typeof", type_id::text, &pg_typeof_fn, args, loc, false);
  });
  register_function(
      "array_to_string", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
        if (args.size() < 2 || args.size() > 3) return no_function("array_to_string", args, loc);
        BOOST_OUTCOME_TRY(args[1], coerce(args[1], type_id::text, loc));
        args.resize(2);
        return make_fn("array_to_string", type_id::text, &array_to_string_fn, args, loc);
      });
  for (auto [name, fn] : {std::pair{"array_upper", &array_upper_fn},
                          {"array_length", &array_upper_fn},
                          {"array_lower", &array_lower_fn}})
    register_function(name, [name, fn](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
      if (args.size() != 2 || args[0]->type.id != type_id::text_array)
        return no_function(name, args, loc);
      BOOST_OUTCOME_TRY(args[1], coerce(args[1], type_id::int32, loc));
      return make_fn(name, type_id::int32, fn, args, loc);
    });
  register_function("pg_size_pretty", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 1) return no_function("pg_size_pretty", args, loc);
    BOOST_OUTCOME_TRY(args[0], coerce(args[0], type_id::int64, loc));
    return make_fn("pg_size_pretty", type_id::text, &size_pretty_fn, args, loc);
  });
  register_function("quote_ident", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 1) return no_function("quote_ident", args, loc);
    BOOST_OUTCOME_TRY(args[0], coerce(args[0], type_id::text, loc));
    return make_fn("quote_ident", type_id::text, &quote_ident_fn, args, loc);
  });
}

}  // namespace runnel::sql
