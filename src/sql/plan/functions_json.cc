// jsonb operators and functions: -> ->> #> #>> ?, jsonb_typeof,
// jsonb_array_length, jsonb_build_object, to_jsonb.
#include "sql/plan/functions.h"
#include "sql/types/jsonb.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace {

std::optional<std::string_view> step(std::string_view doc, const sql_type& kt, const datum& key) {
  if (is_integer(kt.id)) return jsonb::at(doc, key.as_int());
  return jsonb::get(doc, key.as_text());
}

datum arrow(const datum* a, const expr& self, eval_context&) {
  auto v = step(a[0].as_text(), self.args[1]->type, a[1]);
  return v ? datum::of_text(*v) : datum::null_value();
}
datum arrow_text(const datum* a, const expr& self, eval_context& c) {
  auto v = step(a[0].as_text(), self.args[1]->type, a[1]);
  if (!v) return datum::null_value();
  if (!v->empty() && (*v)[0] != '"') return v == "null" ? datum::null_value() : datum::of_text(*v);
  auto t = jsonb::as_text(*v);
  return t ? text_result(c, *t) : datum::null_value();
}

// jsonb ? text: the key of an object, or a string element of an array (or
// the string itself), at the top level only, as PostgreSQL.
datum has_key(const datum* a, const expr&, eval_context&) {
  std::string_view doc = a[0].as_text(), key = a[1].as_text();
  if (doc.empty()) return datum::of_bool(false);
  if (doc[0] == '{') return datum::of_bool(jsonb::get(doc, key).has_value());
  std::string quoted = jsonb::quote(key);
  if (doc[0] != '[') return datum::of_bool(doc == quoted);
  for (int64_t i = 0;; ++i) {
    auto e = jsonb::at(doc, i);
    if (!e) return datum::of_bool(false);
    if (*e == quoted) return datum::of_bool(true);
  }
}

// #> '{a,b}': a path as text[] literal.
std::vector<std::string> path_of(std::string_view p) {
  std::vector<std::string> out;
  if (p.size() >= 2 && p.front() == '{' && p.back() == '}') p = p.substr(1, p.size() - 2);
  std::string cur;
  for (char ch : p) {
    if (ch == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (ch != '"' && ch != ' ') {
      cur += ch;
    }
  }
  if (!cur.empty() || !out.empty()) out.push_back(cur);
  return out;
}

std::optional<std::string_view> walk(std::string_view doc, std::string_view path) {
  std::optional<std::string_view> cur = doc;
  for (const auto& k : path_of(path)) {
    if (!cur) return std::nullopt;
    if (!cur->empty() && (*cur)[0] == '[') {
      char* end = nullptr;
      long long i = std::strtoll(k.c_str(), &end, 10);
      if (end == k.c_str() || *end) return std::nullopt;
      cur = jsonb::at(*cur, i);
    } else {
      cur = jsonb::get(*cur, k);
    }
  }
  return cur;
}

datum path_fn(const datum* a, const expr&, eval_context&) {
  auto v = walk(a[0].as_text(), a[1].as_text());
  return v ? datum::of_text(*v) : datum::null_value();
}
datum path_text_fn(const datum* a, const expr&, eval_context& c) {
  auto v = walk(a[0].as_text(), a[1].as_text());
  if (!v) return datum::null_value();
  auto t = jsonb::as_text(*v);
  return t ? text_result(c, *t) : datum::null_value();
}
datum typeof_fn(const datum* a, const expr&, eval_context&) {
  return datum::of_text(jsonb::type_of(a[0].as_text()));
}
datum array_length_fn(const datum* a, const expr& self, eval_context& c) {
  auto doc = a[0].as_text();
  if (doc.empty() || doc[0] != '[') {
    c.fail(make_error(errc::invalid_parameter, self.location,
                      "cannot get array length of a non-array"));
    return datum::null_value();
  }
  int64_t n = 0;
  while (jsonb::at(doc, n)) ++n;
  return datum::of_int(n);
}

std::string to_json_text(const sql_type& t, const datum& d) {
  if (d.is_null()) return "null";
  switch (t.id) {
    case type_id::boolean:
      return d.as_bool() ? "true" : "false";
    case type_id::int16:
    case type_id::int32:
    case type_id::int64:
    case type_id::numeric:
    case type_id::oid:
      return to_text(t, d);
    case type_id::float32:
    case type_id::float64: {
      auto s = to_text(t, d);
      return (s == "NaN" || s == "Infinity" || s == "-Infinity") ? jsonb::quote(s) : s;
    }
    case type_id::jsonb:
      return std::string(d.as_text());
    case type_id::timestamp:
    case type_id::timestamptz: {
      // JSON uses the ISO 8601 "T" form, as PostgreSQL's to_jsonb.
      auto s = to_text(t, d);
      if (s.size() > 10) s[10] = 'T';
      if (t.id == type_id::timestamptz) s += ":00";
      return jsonb::quote(s);
    }
    default:
      return jsonb::quote(to_text(t, d));
  }
}

datum build_object_fn(const datum* a, const expr& self, eval_context& c) {
  std::string raw = "{";
  for (size_t i = 0; i + 1 < self.args.size(); i += 2) {
    if (a[i].is_null()) {
      c.fail(make_error(errc::invalid_parameter, self.location, "argument {}: key must not be null",
                        i + 1));
      return datum::null_value();
    }
    if (i) raw += ",";
    raw += jsonb::quote(to_text(self.args[i]->type, a[i]));
    raw += ":";
    raw += to_json_text(self.args[i + 1]->type, a[i + 1]);
  }
  raw += "}";
  auto n = jsonb::normalize(raw);
  return n ? text_result(c, *n) : datum::null_value();
}
datum to_jsonb_fn(const datum* a, const expr& self, eval_context& c) {
  auto n = jsonb::normalize(to_json_text(self.args[0]->type, a[0]));
  return n ? text_result(c, *n) : datum::null_value();
}

result<expr_ptr> json_op(const char* name, scalar_fn fn, type_id ret, std::vector<expr_ptr>& args,
                         int loc, bool path) {
  if (args.size() != 2) return no_function(name, args, loc);
  if (args[0]->type.id == type_id::unknown) {
    BOOST_OUTCOME_TRY(args[0], make_cast(args[0], type_id::jsonb, loc));
  }
  if (args[0]->type.id != type_id::jsonb) return no_function(name, args, loc);
  if (path || args[1]->type.id == type_id::unknown) {
    BOOST_OUTCOME_TRY(args[1], coerce(args[1], type_id::text, loc));
  }
  if (!is_integer(args[1]->type.id) && args[1]->type.id != type_id::text)
    return no_function(name, args, loc);
  return make_fn(name, ret, fn, args, loc);
}

}  // namespace

void register_json_functions() {
  register_function("->", [](std::vector<expr_ptr>& a, int l) {
    return json_op("->", &arrow, type_id::jsonb, a, l, false);
  });
  register_function("->>", [](std::vector<expr_ptr>& a, int l) {
    return json_op("->>", &arrow_text, type_id::text, a, l, false);
  });
  register_function("#>", [](std::vector<expr_ptr>& a, int l) {
    return json_op("#>", &path_fn, type_id::jsonb, a, l, true);
  });
  register_function("#>>", [](std::vector<expr_ptr>& a, int l) {
    return json_op("#>>", &path_text_fn, type_id::text, a, l, true);
  });
  register_function("?", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 2) return no_function("?", args, loc);
    if (args[0]->type.id == type_id::unknown) {
      BOOST_OUTCOME_TRY(args[0], make_cast(args[0], type_id::jsonb, loc));
    }
    if (args[0]->type.id != type_id::jsonb) return no_function("?", args, loc);
    BOOST_OUTCOME_TRY(args[1], coerce(args[1], type_id::text, loc));
    return make_fn("?", type_id::boolean, &has_key, args, loc);
  });
  register_function("jsonb_typeof", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 1) return no_function("jsonb_typeof", args, loc);
    BOOST_OUTCOME_TRY(args[0], coerce(args[0], type_id::jsonb, loc));
    return make_fn("jsonb_typeof", type_id::text, &typeof_fn, args, loc);
  });
  register_function(
      "jsonb_array_length", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
        if (args.size() != 1) return no_function("jsonb_array_length", args, loc);
        BOOST_OUTCOME_TRY(args[0], coerce(args[0], type_id::jsonb, loc));
        return make_fn("jsonb_array_length", type_id::int32, &array_length_fn, args, loc);
      });
  for (const char* name : {"jsonb_build_object", "json_build_object"})
    register_function(name, [name](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
      if (args.size() % 2 != 0)
        return make_error(errc::invalid_parameter, loc,
                          "argument list must have even number of elements");
      for (auto& a : args)
        if (a->type.id == type_id::unknown) {
          BOOST_OUTCOME_TRY(a, make_cast(a, type_id::text, loc));
        }
      return make_fn(name, type_id::jsonb, &build_object_fn, args, loc, false);
    });
  for (const char* name : {"to_jsonb", "to_json"})
    register_function(name, [name](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
      if (args.size() != 1) return no_function(name, args, loc);
      if (args[0]->type.id == type_id::unknown) {
        BOOST_OUTCOME_TRY(args[0], make_cast(args[0], type_id::text, loc));
      }
      return make_fn(name, type_id::jsonb, &to_jsonb_fn, args, loc, false);
    });
}

}  // namespace runnel::sql
