// Numeric functions: abs, round, ceil, floor, trunc, mod, power, sqrt,
// exp, ln, log, sign, greatest/least are expressions (binder).
#include <cmath>

#include "sql/plan/functions.h"

namespace runnel::sql {

namespace {

datum fail(eval_context& c, const expr& self, sql_error e) {
  if (e.position < 0) e.position = self.location;
  c.fail(std::move(e));
  return datum::null_value();
}

datum abs_int(const datum* a, const expr& self, eval_context& c) {
  int64_t x = a[0].as_int();
  if (x == INT64_MIN)
    return fail(c, self, make_error(errc::numeric_out_of_range, -1, "bigint out of range"));
  return datum::of_int(x < 0 ? -x : x);
}
datum abs_float(const datum* a, const expr&, eval_context&) {
  return datum::of_double(std::fabs(a[0].as_double()));
}
datum abs_numeric(const datum* a, const expr&, eval_context&) {
  return datum::of_decimal(dec::abs(a[0].as_decimal()));
}

enum round_kind { r_round, r_trunc, r_ceil, r_floor };

template <round_kind K>
datum round_float(const datum* a, const expr&, eval_context&) {
  double x = a[0].as_double();
  switch (K) {
    case r_round:
      return datum::of_double(std::nearbyint(x));  // half to even, as PostgreSQL's rint
    case r_trunc:
      return datum::of_double(std::trunc(x));
    case r_ceil:
      return datum::of_double(std::ceil(x));
    case r_floor:
      return datum::of_double(std::floor(x));
  }
  return datum::null_value();
}

template <round_kind K>
datum round_numeric(const datum* a, const expr& self, eval_context& c) {
  decimal x = a[0].as_decimal();
  int scale = self.args.size() > 1 ? static_cast<int>(a[1].as_int()) : 0;
  std::optional<decimal> r;
  switch (K) {
    case r_round:
      r = dec::rescale(x, std::min(scale, int(decimal::max_scale)));
      break;
    case r_trunc:
      r = dec::rescale(x, std::min(scale, int(decimal::max_scale)), true);
      break;
    case r_ceil:
      r = dec::ceil(x);
      break;
    case r_floor:
      r = dec::floor(x);
      break;
  }
  if (!r)
    return fail(c, self, make_error(errc::numeric_out_of_range, -1, "numeric field overflow"));
  return datum::of_decimal(*r);
}

datum int_identity(const datum* a, const expr&, eval_context&) {
  return a[0];
}

datum mod_int(const datum* a, const expr& self, eval_context& c) {
  int64_t y = a[1].as_int();
  if (y == 0) return fail(c, self, make_error(errc::division_by_zero, -1, "division by zero"));
  return datum::of_int(y == -1 ? 0 : a[0].as_int() % y);
}
datum mod_numeric(const datum* a, const expr& self, eval_context& c) {
  if (a[1].as_decimal().v == 0)
    return fail(c, self, make_error(errc::division_by_zero, -1, "division by zero"));
  auto r = dec::mod(a[0].as_decimal(), a[1].as_decimal());
  if (!r)
    return fail(c, self, make_error(errc::numeric_out_of_range, -1, "numeric field overflow"));
  return datum::of_decimal(*r);
}

double f64(const sql_type& t, const datum& d) {
  if (is_integer(t.id)) return double(d.as_int());
  if (t.id == type_id::numeric) return dec::to_double(d.as_decimal());
  return d.as_double();
}

template <double (*F)(double), int Domain>
datum float_fn(const datum* a, const expr& self, eval_context& c) {
  double x = f64(self.args[0]->type, a[0]);
  if (Domain == 1 && x < 0)
    return fail(
        c, self,
        make_error(errc::invalid_parameter, -1, "cannot take square root of a negative number"));
  if (Domain == 2 && x <= 0)
    return fail(c, self,
                make_error(errc::invalid_parameter, -1, "{}",
                           x == 0 ? "cannot take logarithm of zero"
                                  : "cannot take logarithm of a negative number"));
  return datum::of_double(F(x));
}

datum power_fn(const datum* a, const expr& self, eval_context& c) {
  double x = f64(self.args[0]->type, a[0]), y = f64(self.args[1]->type, a[1]);
  if (x == 0 && y < 0)
    return fail(
        c, self,
        make_error(errc::invalid_parameter, -1, "zero raised to a negative power is undefined"));
  double r = std::pow(x, y);
  if (std::isnan(r) && !std::isnan(x) && !std::isnan(y))
    return fail(
        c, self,
        make_error(errc::invalid_parameter, -1,
                   "a negative number raised to a non-integer power yields a complex result"));
  return datum::of_double(r);
}

datum sign_fn(const datum* a, const expr& self, eval_context&) {
  double x = f64(self.args[0]->type, a[0]);
  return datum::of_double(x > 0 ? 1 : (x < 0 ? -1 : 0));
}

datum pi_fn(const datum*, const expr&, eval_context&) {
  return datum::of_double(M_PI);
}

result<expr_ptr> numeric_arg(std::vector<expr_ptr>& args, size_t i, int loc) {
  if (args[i]->type.id == type_id::unknown) return make_cast(args[i], type_id::numeric, loc);
  if (!is_numeric_family(args[i]->type.id))
    return make_error(errc::undefined_function, loc, "function expects a number, got {}",
                      type_name(args[i]->type));
  return args[i];
}

template <round_kind K>
result<expr_ptr> resolve_round(std::vector<expr_ptr>& args, int loc, const char* name) {
  if (args.empty() || args.size() > 2) return no_function(name, args, loc);
  BOOST_OUTCOME_TRY(args[0], numeric_arg(args, 0, loc));
  if (args.size() == 2) {
    BOOST_OUTCOME_TRY(args[1], coerce(args[1], type_id::int32, loc));
    BOOST_OUTCOME_TRY(args[0], coerce(args[0], type_id::numeric, loc));
  }
  type_id t = args[0]->type.id;
  if (is_integer(t)) {
    if (K == r_round || K == r_trunc) return make_fn(name, args[0]->type, &int_identity, args, loc);
    return make_fn(name, type_id::float64, &round_float<K>,
                   {make_cast(args[0], type_id::float64, loc).value()}, loc);
  }
  if (is_float(t)) return make_fn(name, type_id::float64, &round_float<K>, args, loc);
  return make_fn(name, type_id::numeric, &round_numeric<K>, args, loc);
}

template <double (*F)(double), int Domain>
void float_function(const char* name) {
  register_function(name, [name](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 1) return no_function(name, args, loc);
    BOOST_OUTCOME_TRY(args[0], numeric_arg(args, 0, loc));
    return make_fn(name, type_id::float64, &float_fn<F, Domain>, args, loc);
  });
}

double log10_(double x) {
  return std::log10(x);
}
double ln_(double x) {
  return std::log(x);
}
double exp_(double x) {
  return std::exp(x);
}
double sqrt_(double x) {
  return std::sqrt(x);
}
double cbrt_(double x) {
  return std::cbrt(x);
}

}  // namespace

void register_math_functions() {
  register_function("abs", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 1) return no_function("abs", args, loc);
    BOOST_OUTCOME_TRY(args[0], numeric_arg(args, 0, loc));
    type_id t = args[0]->type.id;
    if (is_integer(t)) return make_fn("abs", args[0]->type, &abs_int, args, loc);
    if (is_float(t)) return make_fn("abs", args[0]->type, &abs_float, args, loc);
    return make_fn("abs", type_id::numeric, &abs_numeric, args, loc);
  });
  register_function("round", [](std::vector<expr_ptr>& a, int l) {
    return resolve_round<r_round>(a, l, "round");
  });
  register_function("trunc", [](std::vector<expr_ptr>& a, int l) {
    return resolve_round<r_trunc>(a, l, "trunc");
  });
  register_function(
      "ceil", [](std::vector<expr_ptr>& a, int l) { return resolve_round<r_ceil>(a, l, "ceil"); });
  register_function("ceiling", [](std::vector<expr_ptr>& a, int l) {
    return resolve_round<r_ceil>(a, l, "ceiling");
  });
  register_function("floor", [](std::vector<expr_ptr>& a, int l) {
    return resolve_round<r_floor>(a, l, "floor");
  });
  register_function("mod", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 2) return no_function("mod", args, loc);
    BOOST_OUTCOME_TRY(args[0], numeric_arg(args, 0, loc));
    BOOST_OUTCOME_TRY(args[1], numeric_arg(args, 1, loc));
    auto t = common_type(args[0]->type, args[1]->type);
    if (!t || is_float(t->id)) return no_function("mod", args, loc);
    BOOST_OUTCOME_TRY(args[0], coerce(args[0], *t, loc));
    BOOST_OUTCOME_TRY(args[1], coerce(args[1], *t, loc));
    if (is_integer(t->id)) return make_fn("mod", *t, &mod_int, args, loc);
    return make_fn("mod", type_id::numeric, &mod_numeric, args, loc);
  });
  // x ^ y is power(x, y); numeric operands are computed in double
  // precision too (PostgreSQL keeps them exact: see docs/sql/reference.md).
  for (const char* name : {"power", "pow", "^"})
    register_function(name, [name](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
      if (args.size() != 2) return no_function(name, args, loc);
      BOOST_OUTCOME_TRY(args[0], numeric_arg(args, 0, loc));
      BOOST_OUTCOME_TRY(args[1], numeric_arg(args, 1, loc));
      return make_fn(name, type_id::float64, &power_fn, args, loc);
    });
  float_function<&sqrt_, 1>("sqrt");
  float_function<&cbrt_, 0>("cbrt");
  float_function<&exp_, 0>("exp");
  float_function<&ln_, 2>("ln");
  float_function<&log10_, 2>("log");
  float_function<&log10_, 2>("log10");
  register_function("sign", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 1) return no_function("sign", args, loc);
    BOOST_OUTCOME_TRY(args[0], numeric_arg(args, 0, loc));
    return make_fn("sign", type_id::float64, &sign_fn, args, loc);
  });
  register_function("pi", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (!args.empty()) return no_function("pi", args, loc);
    return make_fn("pi", type_id::float64, &pi_fn, args, loc);
  });
}

}  // namespace runnel::sql
