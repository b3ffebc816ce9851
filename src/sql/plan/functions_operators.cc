// Operators: arithmetic (integers checked for overflow as PostgreSQL),
// date/time arithmetic, comparisons, ||, LIKE/ILIKE (~ and the
// other regular expressions: functions_regex.cc).
#include <cmath>

#include "sql/plan/functions.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace {

sql_error int_range(type_id t) {
  switch (t) {
    case type_id::int16:
      return make_error(errc::numeric_out_of_range, -1, "smallint out of range");
    case type_id::int32:
      return make_error(errc::numeric_out_of_range, -1, "integer out of range");
    default:
      return make_error(errc::numeric_out_of_range, -1, "bigint out of range");
  }
}

datum fail(eval_context& c, const expr& self, sql_error e) {
  if (e.position < 0) e.position = self.location;
  c.fail(std::move(e));
  return datum::null_value();
}

bool in_range(type_id t, int64_t v) {
  if (t == type_id::int16) return v >= INT16_MIN && v <= INT16_MAX;
  if (t == type_id::int32) return v >= INT32_MIN && v <= INT32_MAX;
  return true;
}

enum arith_op { op_add, op_sub, op_mul, op_div, op_mod };

template <arith_op Op>
datum int_arith(const datum* a, const expr& self, eval_context& c) {
  int64_t x = a[0].as_int(), y = a[1].as_int(), r = 0;
  bool overflow = false;
  switch (Op) {
    case op_add:
      overflow = __builtin_add_overflow(x, y, &r);
      break;
    case op_sub:
      overflow = __builtin_sub_overflow(x, y, &r);
      break;
    case op_mul:
      overflow = __builtin_mul_overflow(x, y, &r);
      break;
    case op_div:
      if (y == 0) return fail(c, self, make_error(errc::division_by_zero, -1, "division by zero"));
      if (x == INT64_MIN && y == -1)
        overflow = true;
      else
        r = x / y;
      break;
    case op_mod:
      if (y == 0) return fail(c, self, make_error(errc::division_by_zero, -1, "division by zero"));
      r = (y == -1) ? 0 : x % y;
      break;
  }
  if (overflow || !in_range(self.type.id, r)) return fail(c, self, int_range(self.type.id));
  return datum::of_int(r);
}

template <arith_op Op>
datum float_arith(const datum* a, const expr& self, eval_context& c) {
  double x = a[0].as_double(), y = a[1].as_double(), r = 0;
  switch (Op) {
    case op_add:
      r = x + y;
      break;
    case op_sub:
      r = x - y;
      break;
    case op_mul:
      r = x * y;
      break;
    case op_div:
      if (y == 0) return fail(c, self, make_error(errc::division_by_zero, -1, "division by zero"));
      r = x / y;
      break;
    case op_mod:
      return fail(c, self,
                  make_error(errc::undefined_function, -1,
                             "operator does not exist: double precision % double precision"));
  }
  if (std::isinf(r) && !std::isinf(x) && !std::isinf(y))
    return fail(c, self,
                make_error(errc::numeric_out_of_range, -1, "value out of range: overflow"));
  if (self.type.id == type_id::float32) r = static_cast<float>(r);
  return datum::of_double(r);
}

template <arith_op Op>
datum numeric_arith(const datum* a, const expr& self, eval_context& c) {
  decimal x = a[0].as_decimal(), y = a[1].as_decimal();
  std::optional<decimal> r;
  switch (Op) {
    case op_add:
      r = dec::add(x, y);
      break;
    case op_sub:
      r = dec::sub(x, y);
      break;
    case op_mul:
      r = dec::mul(x, y);
      break;
    case op_div:
      if (y.v == 0)
        return fail(c, self, make_error(errc::division_by_zero, -1, "division by zero"));
      r = dec::div(x, y);
      break;
    case op_mod:
      if (y.v == 0)
        return fail(c, self, make_error(errc::division_by_zero, -1, "division by zero"));
      r = dec::mod(x, y);
      break;
  }
  if (!r)
    return fail(
        c, self,
        make_error(errc::numeric_out_of_range, -1, "numeric field overflow (more than 38 digits)"));
  return datum::of_decimal(*r);
}

datum neg_int(const datum* a, const expr& self, eval_context& c) {
  int64_t x = a[0].as_int();
  if (x == INT64_MIN || !in_range(self.type.id, -x)) return fail(c, self, int_range(self.type.id));
  return datum::of_int(-x);
}
datum neg_float(const datum* a, const expr&, eval_context&) {
  return datum::of_double(-a[0].as_double());
}
datum neg_numeric(const datum* a, const expr&, eval_context&) {
  return datum::of_decimal(dec::neg(a[0].as_decimal()));
}
datum neg_interval(const datum* a, const expr&, eval_context&) {
  return datum::of_interval(dt::negate(a[0].as_interval()));
}

// --- date/time arithmetic ---

datum ts_plus_interval(const datum* a, const expr& self, eval_context& c) {
  auto r = dt::add_interval(a[0].as_int(), a[1].as_interval());
  if (!r) return fail(c, self, make_error(errc::invalid_datetime, -1, "timestamp out of range"));
  return datum::of_int(*r);
}
datum interval_plus_ts(const datum* a, const expr& self, eval_context& c) {
  datum s[2] = {a[1], a[0]};
  return ts_plus_interval(s, self, c);
}
datum ts_minus_interval(const datum* a, const expr& self, eval_context& c) {
  datum s[2] = {a[0], datum::of_interval(dt::negate(a[1].as_interval()))};
  return ts_plus_interval(s, self, c);
}
datum ts_minus_ts(const datum* a, const expr& self, eval_context& c) {
  if (!dt::finite_timestamp(a[0].as_int()) || !dt::finite_timestamp(a[1].as_int()))
    return fail(c, self,
                make_error(errc::invalid_datetime, -1, "cannot subtract infinite timestamps"));
  return datum::of_interval(dt::difference(a[0].as_int(), a[1].as_int()));
}
// date ± days: an infinite date stays as it is.
datum date_plus_int(const datum* a, const expr&, eval_context&) {
  if (!dt::finite_date(a[0].as_int())) return a[0];
  return datum::of_int(a[0].as_int() + a[1].as_int());
}
datum int_plus_date(const datum* a, const expr&, eval_context&) {
  if (!dt::finite_date(a[1].as_int())) return a[1];
  return datum::of_int(a[0].as_int() + a[1].as_int());
}
datum date_minus_int(const datum* a, const expr&, eval_context&) {
  if (!dt::finite_date(a[0].as_int())) return a[0];
  return datum::of_int(a[0].as_int() - a[1].as_int());
}
datum date_minus_date(const datum* a, const expr& self, eval_context& c) {
  if (!dt::finite_date(a[0].as_int()) || !dt::finite_date(a[1].as_int()))
    return fail(c, self, make_error(errc::invalid_datetime, -1, "cannot subtract infinite dates"));
  return datum::of_int(a[0].as_int() - a[1].as_int());
}
sql_error date_out_of_range() {
  return make_error(errc::invalid_datetime, -1, "date out of range for timestamp");
}
datum date_plus_interval(const datum* a, const expr& self, eval_context& c) {
  if (!dt::date_fits_timestamp(a[0].as_int())) return fail(c, self, date_out_of_range());
  datum s[2] = {datum::of_int(dt::date_to_timestamp(a[0].as_int())), a[1]};
  return ts_plus_interval(s, self, c);
}
datum date_minus_interval(const datum* a, const expr& self, eval_context& c) {
  if (!dt::date_fits_timestamp(a[0].as_int())) return fail(c, self, date_out_of_range());
  datum s[2] = {datum::of_int(dt::date_to_timestamp(a[0].as_int())),
                datum::of_interval(dt::negate(a[1].as_interval()))};
  return ts_plus_interval(s, self, c);
}
datum date_plus_time(const datum* a, const expr& self, eval_context& c) {
  if (!dt::date_fits_timestamp(a[0].as_int())) return fail(c, self, date_out_of_range());
  if (!dt::finite_date(a[0].as_int())) return datum::of_int(dt::date_to_timestamp(a[0].as_int()));
  return datum::of_int(a[0].as_int() * usecs_per_day + a[1].as_int());
}
datum time_plus_interval(const datum* a, const expr&, eval_context&) {
  int64_t t = (a[0].as_int() + a[1].as_interval().micros) % usecs_per_day;
  if (t < 0) t += usecs_per_day;
  return datum::of_int(t);
}
datum time_minus_interval(const datum* a, const expr&, eval_context&) {
  int64_t t = (a[0].as_int() - a[1].as_interval().micros) % usecs_per_day;
  if (t < 0) t += usecs_per_day;
  return datum::of_int(t);
}
datum time_minus_time(const datum* a, const expr&, eval_context&) {
  return datum::of_interval(interval{0, 0, a[0].as_int() - a[1].as_int()});
}
datum interval_plus(const datum* a, const expr& self, eval_context& c) {
  auto r = dt::add(a[0].as_interval(), a[1].as_interval());
  if (!r) return fail(c, self, make_error(errc::invalid_datetime, -1, "interval out of range"));
  return datum::of_interval(*r);
}
datum interval_minus(const datum* a, const expr& self, eval_context& c) {
  auto r = dt::add(a[0].as_interval(), dt::negate(a[1].as_interval()));
  if (!r) return fail(c, self, make_error(errc::invalid_datetime, -1, "interval out of range"));
  return datum::of_interval(*r);
}
double as_f64(const sql_type& t, const datum& d) {
  if (is_integer(t.id)) return double(d.as_int());
  if (t.id == type_id::numeric) return dec::to_double(d.as_decimal());
  return d.as_double();
}
datum interval_times(const datum* a, const expr& self, eval_context& c) {
  auto r = dt::multiply(a[0].as_interval(), as_f64(self.args[1]->type, a[1]));
  if (!r) return fail(c, self, make_error(errc::invalid_datetime, -1, "interval out of range"));
  return datum::of_interval(*r);
}
datum times_interval(const datum* a, const expr& self, eval_context& c) {
  auto r = dt::multiply(a[1].as_interval(), as_f64(self.args[0]->type, a[0]));
  if (!r) return fail(c, self, make_error(errc::invalid_datetime, -1, "interval out of range"));
  return datum::of_interval(*r);
}
datum interval_div(const datum* a, const expr& self, eval_context& c) {
  double f = as_f64(self.args[1]->type, a[1]);
  if (f == 0) return fail(c, self, make_error(errc::division_by_zero, -1, "division by zero"));
  auto r = dt::multiply(a[0].as_interval(), 1.0 / f);
  if (!r) return fail(c, self, make_error(errc::invalid_datetime, -1, "interval out of range"));
  return datum::of_interval(*r);
}

// --- comparisons ---

enum cmp_op { cmp_eq, cmp_ne, cmp_lt, cmp_le, cmp_gt, cmp_ge };

template <cmp_op Op>
datum compare(const datum* a, const expr& self, eval_context&) {
  int r = datum_compare(self.args[0]->type, a[0], a[1]);
  bool v = false;
  switch (Op) {
    case cmp_eq:
      v = r == 0;
      break;
    case cmp_ne:
      v = r != 0;
      break;
    case cmp_lt:
      v = r < 0;
      break;
    case cmp_le:
      v = r <= 0;
      break;
    case cmp_gt:
      v = r > 0;
      break;
    case cmp_ge:
      v = r >= 0;
      break;
  }
  return datum::of_bool(v);
}

// --- strings ---

datum concat_op(const datum* a, const expr& self, eval_context& c) {
  std::string s;
  append_text(self.args[0]->type, a[0], s);
  append_text(self.args[1]->type, a[1], s);
  return text_result(c, s);
}

// LIKE with % and _ and backslash escapes; `fold` lower-cases (ILIKE).
bool like_match(std::string_view s, std::string_view p, bool fold) {
  auto eq = [&](char x, char y) {
    return fold ? std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y))
                : x == y;
  };
  size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '\\' && pi + 1 < p.size()) {
      if (eq(s[si], p[pi + 1])) {
        ++si;
        pi += 2;
        continue;
      }
    } else if (pi < p.size() && p[pi] == '%') {
      star_p = ++pi;
      star_s = si;
      continue;
    } else if (pi < p.size() && (p[pi] == '_' || eq(s[si], p[pi]))) {
      // '_' matches one character (one UTF-8 sequence).
      if (p[pi] == '_')
        while (si + 1 < s.size() && (static_cast<unsigned char>(s[si + 1]) & 0xC0) == 0x80) ++si;
      ++si;
      ++pi;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

datum like_fn(const datum* a, const expr& self, eval_context&) {
  bool m = like_match(a[0].as_text(), a[1].as_text(), self.name == "~~*" || self.name == "!~~*");
  return datum::of_bool(self.negated ? !m : m);
}

result<expr_ptr> arithmetic(std::string_view op, std::vector<expr_ptr>& args, int loc) {
  if (args.size() == 1) {
    auto& x = args[0];
    if (op == "+") return x;
    if (x->type.id == type_id::unknown) {
      BOOST_OUTCOME_TRY(x, make_cast(x, type_id::numeric, loc));
    }
    if (is_integer(x->type.id)) return make_fn("-", x->type, &neg_int, {x}, loc);
    if (is_float(x->type.id)) return make_fn("-", x->type, &neg_float, {x}, loc);
    if (x->type.id == type_id::numeric) return make_fn("-", x->type, &neg_numeric, {x}, loc);
    if (x->type.id == type_id::interval) return make_fn("-", x->type, &neg_interval, {x}, loc);
    return no_function(op, args, loc);
  }
  auto& a = args[0];
  auto& b = args[1];
  type_id ta = a->type.id, tb = b->type.id;
  auto is_ts = [](type_id t) { return t == type_id::timestamp || t == type_id::timestamptz; };
  // Untyped literals beside a temporal value: an interval when added.
  if (ta == type_id::unknown && (is_temporal(tb) || tb == type_id::interval)) {
    BOOST_OUTCOME_TRY(
        a,
        make_cast(a, (op == "-" && is_temporal(tb)) ? b->type : sql_type(type_id::interval), loc));
    ta = a->type.id;
  }
  if (tb == type_id::unknown && (is_temporal(ta) || ta == type_id::interval)) {
    sql_type want = type_id::interval;
    if (op == "-" && is_temporal(ta)) {
      // ts - '...': interval if it reads as one, else the same type (PostgreSQL
      // prefers the interval operator for an unknown literal).
      want = type_id::interval;
    }
    if ((op == "*" || op == "/") && ta == type_id::interval) want = type_id::float64;
    BOOST_OUTCOME_TRY(b, make_cast(b, want, loc));
    tb = b->type.id;
  }
  if (op == "+") {
    if (is_ts(ta) && tb == type_id::interval)
      return make_fn("+", a->type, &ts_plus_interval, {a, b}, loc);
    if (ta == type_id::interval && is_ts(tb))
      return make_fn("+", b->type, &interval_plus_ts, {a, b}, loc);
    if (ta == type_id::date && is_integer(tb))
      return make_fn("+", type_id::date, &date_plus_int, {a, b}, loc);
    if (is_integer(ta) && tb == type_id::date)
      return make_fn("+", type_id::date, &int_plus_date, {a, b}, loc);
    if (ta == type_id::date && tb == type_id::interval)
      return make_fn("+", type_id::timestamp, &date_plus_interval, {a, b}, loc);
    if (ta == type_id::date && tb == type_id::time)
      return make_fn("+", type_id::timestamp, &date_plus_time, {a, b}, loc);
    if (ta == type_id::interval && tb == type_id::interval)
      return make_fn("+", type_id::interval, &interval_plus, {a, b}, loc);
    if (ta == type_id::time && tb == type_id::interval)
      return make_fn("+", type_id::time, &time_plus_interval, {a, b}, loc);
  }
  if (op == "-") {
    if (is_ts(ta) && tb == type_id::interval)
      return make_fn("-", a->type, &ts_minus_interval, {a, b}, loc);
    if (is_ts(ta) && is_ts(tb)) return make_fn("-", type_id::interval, &ts_minus_ts, {a, b}, loc);
    if (ta == type_id::date && is_integer(tb))
      return make_fn("-", type_id::date, &date_minus_int, {a, b}, loc);
    if (ta == type_id::date && tb == type_id::date)
      return make_fn("-", type_id::int32, &date_minus_date, {a, b}, loc);
    if (ta == type_id::date && tb == type_id::interval)
      return make_fn("-", type_id::timestamp, &date_minus_interval, {a, b}, loc);
    if (ta == type_id::interval && tb == type_id::interval)
      return make_fn("-", type_id::interval, &interval_minus, {a, b}, loc);
    if (ta == type_id::time && tb == type_id::interval)
      return make_fn("-", type_id::time, &time_minus_interval, {a, b}, loc);
    if (ta == type_id::time && tb == type_id::time)
      return make_fn("-", type_id::interval, &time_minus_time, {a, b}, loc);
  }
  if (op == "*") {
    if (ta == type_id::interval && is_numeric_family(tb))
      return make_fn("*", type_id::interval, &interval_times, {a, b}, loc);
    if (is_numeric_family(ta) && tb == type_id::interval)
      return make_fn("*", type_id::interval, &times_interval, {a, b}, loc);
  }
  if (op == "/" && ta == type_id::interval && is_numeric_family(tb))
    return make_fn("/", type_id::interval, &interval_div, {a, b}, loc);
  // Numbers: both to their common type.
  if (ta == type_id::unknown && tb == type_id::unknown) {
    BOOST_OUTCOME_TRY(a, make_cast(a, type_id::numeric, loc));
    BOOST_OUTCOME_TRY(b, make_cast(b, type_id::numeric, loc));
  }
  if (ta == type_id::unknown) {
    BOOST_OUTCOME_TRY(
        a, make_cast(a, is_numeric_family(tb) ? b->type : sql_type(type_id::numeric), loc));
  }
  if (tb == type_id::unknown) {
    BOOST_OUTCOME_TRY(
        b, make_cast(b, is_numeric_family(ta) ? a->type : sql_type(type_id::numeric), loc));
  }
  if (!is_numeric_family(a->type.id) || !is_numeric_family(b->type.id))
    return no_function(op, args, loc);
  auto t = common_type(a->type, b->type);
  if (!t) return no_function(op, args, loc);
  // real with an integer or numeric computes in double precision: the
  // operator PostgreSQL picks is float48 (double is the preferred type).
  if (t->id == type_id::float32 &&
      (a->type.id != type_id::float32 || b->type.id != type_id::float32))
    t = sql_type(type_id::float64);
  BOOST_OUTCOME_TRY(a, coerce(a, *t, loc));
  BOOST_OUTCOME_TRY(b, coerce(b, *t, loc));
  std::string name(op);
  if (is_integer(t->id)) {
    if (op == "+") return make_fn(name, *t, &int_arith<op_add>, {a, b}, loc);
    if (op == "-") return make_fn(name, *t, &int_arith<op_sub>, {a, b}, loc);
    if (op == "*") return make_fn(name, *t, &int_arith<op_mul>, {a, b}, loc);
    if (op == "/") return make_fn(name, *t, &int_arith<op_div>, {a, b}, loc);
    if (op == "%") return make_fn(name, *t, &int_arith<op_mod>, {a, b}, loc);
  }
  if (is_float(t->id)) {
    if (op == "+") return make_fn(name, *t, &float_arith<op_add>, {a, b}, loc);
    if (op == "-") return make_fn(name, *t, &float_arith<op_sub>, {a, b}, loc);
    if (op == "*") return make_fn(name, *t, &float_arith<op_mul>, {a, b}, loc);
    if (op == "/") return make_fn(name, *t, &float_arith<op_div>, {a, b}, loc);
  }
  if (t->id == type_id::numeric) {
    if (op == "+") return make_fn(name, *t, &numeric_arith<op_add>, {a, b}, loc);
    if (op == "-") return make_fn(name, *t, &numeric_arith<op_sub>, {a, b}, loc);
    if (op == "*") return make_fn(name, *t, &numeric_arith<op_mul>, {a, b}, loc);
    if (op == "/") return make_fn(name, *t, &numeric_arith<op_div>, {a, b}, loc);
    if (op == "%") return make_fn(name, *t, &numeric_arith<op_mod>, {a, b}, loc);
  }
  return no_function(op, args, loc);
}

bool comparable(type_id t) {
  return t != type_id::text_array;
}

result<expr_ptr> comparison(std::string_view op, std::vector<expr_ptr>& args, int loc) {
  if (args.size() != 2) return no_function(op, args, loc);
  auto t = common_type(args[0]->type, args[1]->type);
  if (!t || !comparable(t->id)) return no_function(op, args, loc);
  if (t->id == type_id::unknown) t = type_id::text;
  // oid vs integer literal: compare as integers.
  BOOST_OUTCOME_TRY(args[0], coerce(args[0], *t, loc));
  BOOST_OUTCOME_TRY(args[1], coerce(args[1], *t, loc));
  std::string name(op);
  if (op == "=") return make_fn(name, type_id::boolean, &compare<cmp_eq>, args, loc);
  if (op == "<>" || op == "!=") return make_fn("<>", type_id::boolean, &compare<cmp_ne>, args, loc);
  if (op == "<") return make_fn(name, type_id::boolean, &compare<cmp_lt>, args, loc);
  if (op == "<=") return make_fn(name, type_id::boolean, &compare<cmp_le>, args, loc);
  if (op == ">") return make_fn(name, type_id::boolean, &compare<cmp_gt>, args, loc);
  return make_fn(name, type_id::boolean, &compare<cmp_ge>, args, loc);
}

}  // namespace

// LIKE helper for other files (the catalog's patterns).
bool sql_like(std::string_view s, std::string_view pattern, bool fold) {
  return like_match(s, pattern, fold);
}

void register_operator_functions() {
  for (const char* op : {"+", "-", "*", "/", "%"})
    register_function(
        op, [op](std::vector<expr_ptr>& args, int loc) { return arithmetic(op, args, loc); });
  for (const char* op : {"=", "<>", "!=", "<", "<=", ">", ">="})
    register_function(
        op, [op](std::vector<expr_ptr>& args, int loc) { return comparison(op, args, loc); });
  register_function("||", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 2) return no_function("||", args, loc);
    // char(n) goes in as text, without its padding (PostgreSQL's textcat
    // takes text; concat() takes the output form, padded).
    for (auto& a : args)
      if (a->type.id == type_id::unknown ||
          (a->type.id == type_id::text && a->type.kind == text_kind::bpchar)) {
        BOOST_OUTCOME_TRY(a, make_cast(a, type_id::text, loc));
      }
    if (args[0]->type.id != type_id::text && args[1]->type.id != type_id::text)
      return no_function("||", args, loc);
    return make_fn("||", type_id::text, &concat_op, args, loc);
  });
  for (const char* op : {"~~", "!~~", "~~*", "!~~*"})
    register_function(op, [op](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
      if (args.size() != 2) return no_function(op, args, loc);
      for (auto& a : args) {
        BOOST_OUTCOME_TRY(a, coerce(a, type_id::text, loc));
      }
      auto e = make_fn(op, type_id::boolean, &like_fn, args, loc);
      std::const_pointer_cast<expr>(e)->negated = op[0] == '!';
      return e;
    });
}

}  // namespace runnel::sql
