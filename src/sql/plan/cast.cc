// CAST between every pair of our types PostgreSQL allows: direct numeric
// conversions with range checks, and the text form for everything else.
#include <cmath>

#include "sql/plan/functions.h"
#include "sql/types/jsonb.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace {

struct cast_info {
  sql_type from;
  sql_type to;
  // Storing into a column (INSERT) rather than CAST: a string too long for
  // varchar(n)/char(n) is an error instead of cut short, as PostgreSQL's
  // assignment casts.
  bool store = false;
};

sql_error out_of_range(const sql_type& t) {
  switch (t.id) {
    case type_id::int16:
      return make_error(errc::numeric_out_of_range, -1, "smallint out of range");
    case type_id::int32:
      return make_error(errc::numeric_out_of_range, -1, "integer out of range");
    case type_id::int64:
      return make_error(errc::numeric_out_of_range, -1, "bigint out of range");
    default:
      return make_error(errc::numeric_out_of_range, -1, "value out of range for type {}",
                        type_name(t));
  }
}

bool int_fits(type_id t, int64_t v) {
  switch (t) {
    case type_id::int16:
      return v >= INT16_MIN && v <= INT16_MAX;
    case type_id::int32:
      return v >= INT32_MIN && v <= INT32_MAX;
    case type_id::oid:
      return v >= 0 && v <= UINT32_MAX;
    default:
      return true;
  }
}

datum cast_eval(const datum* a, const expr& self, eval_context& c) {
  const auto& info = *static_cast<const cast_info*>(self.aux.get());
  const sql_type& from = info.from;
  const sql_type& to = info.to;
  const datum& v = a[0];
  auto fail = [&](sql_error e) {
    if (e.position < 0) e.position = self.location;
    c.fail(std::move(e));
    return datum::null_value();
  };
  // Integers and oid.
  if ((is_integer(from.id) || from.id == type_id::oid)) {
    int64_t x = v.as_int();
    if (is_integer(to.id) || to.id == type_id::oid)
      return int_fits(to.id, x) ? datum::of_int(x) : fail(out_of_range(to));
    if (is_float(to.id))
      return datum::of_double(to.id == type_id::float32 ? double(float(x)) : double(x));
    if (to.id == type_id::numeric) {
      decimal d = dec::from_int(x);
      if (to.precision > 0) {
        auto f = dec::fit(d, to.precision, std::max<int>(0, to.scale));
        if (!f) return fail(make_error(errc::numeric_out_of_range, -1, "numeric field overflow"));
        d = *f;
      }
      return datum::of_decimal(d);
    }
    if (to.id == type_id::boolean) return datum::of_bool(x != 0);
  }
  if (is_float(from.id)) {
    double x = v.as_double();
    if (is_integer(to.id)) {
      double r = std::nearbyint(x);  // round half to even, as PostgreSQL
      if (!std::isfinite(r) || r < -9.2233720368547758e18 || r >= 9.2233720368547758e18 ||
          !int_fits(to.id, static_cast<int64_t>(r)))
        return fail(out_of_range(to));
      return datum::of_int(static_cast<int64_t>(r));
    }
    if (is_float(to.id)) return datum::of_double(to.id == type_id::float32 ? double(float(x)) : x);
    if (to.id == type_id::numeric) {
      if (!std::isfinite(x))
        return fail(make_error(errc::feature_not_supported, -1, "cannot convert {} to numeric",
                               format_double(x, false)));
      auto d = dec::from_double(x, from.id == type_id::float32 ? 6 : 15);
      if (d && to.precision > 0) d = dec::fit(*d, to.precision, std::max<int>(0, to.scale));
      if (!d) return fail(make_error(errc::numeric_out_of_range, -1, "numeric field overflow"));
      return datum::of_decimal(*d);
    }
  }
  if (from.id == type_id::numeric) {
    decimal d = v.as_decimal();
    if (is_integer(to.id)) {
      auto i = dec::to_int(d);
      if (!i || !int_fits(to.id, *i)) return fail(out_of_range(to));
      return datum::of_int(*i);
    }
    if (is_float(to.id)) {
      double x = dec::to_double(d);
      return datum::of_double(to.id == type_id::float32 ? double(float(x)) : x);
    }
    if (to.id == type_id::numeric) {
      if (to.precision <= 0) return v;
      auto f = dec::fit(d, to.precision, std::max<int>(0, to.scale));
      if (!f)
        return fail(make_error(
            errc::numeric_out_of_range, -1,
            "numeric field overflow: a field with precision {}, scale {} must round "
            "to an absolute value less than 10^{}",
            to.precision, std::max<int>(0, to.scale), to.precision - std::max<int>(0, to.scale)));
      return datum::of_decimal(*f);
    }
  }
  if (from.id == type_id::boolean && is_integer(to.id)) return datum::of_int(v.as_bool() ? 1 : 0);
  // Date and time.
  if (from.id == type_id::date && (to.id == type_id::timestamp || to.id == type_id::timestamptz)) {
    if (!dt::date_fits_timestamp(v.as_int()))
      return fail(make_error(errc::invalid_datetime, -1, "date out of range for timestamp"));
    return datum::of_int(dt::date_to_timestamp(v.as_int()));
  }
  if ((from.id == type_id::timestamp || from.id == type_id::timestamptz)) {
    int64_t ts = v.as_int();
    if (to.id == type_id::timestamp || to.id == type_id::timestamptz)
      return v;  // the session zone is UTC
    if (!dt::finite_timestamp(ts) && to.id == type_id::date)
      return datum::of_int(ts > 0 ? dt::date_infinity : -dt::date_infinity - 1);
    if (!dt::finite_timestamp(ts))
      return fail(make_error(errc::invalid_datetime, -1, "timestamp out of range"));
    if (to.id == type_id::date) {
      int64_t d = ts >= 0 ? ts / usecs_per_day : (ts - usecs_per_day + 1) / usecs_per_day;
      return datum::of_int(d);
    }
    if (to.id == type_id::time) {
      int64_t t = ts % usecs_per_day;
      if (t < 0) t += usecs_per_day;
      return datum::of_int(t);
    }
  }
  if (from.id == type_id::time && to.id == type_id::interval)
    return datum::of_interval(interval{0, 0, v.as_int()});
  if (from.id == type_id::interval && to.id == type_id::time) {
    int64_t t = v.as_interval().micros % usecs_per_day;
    if (t < 0) t += usecs_per_day;
    return datum::of_int(t);
  }
  // jsonb scalars to SQL types: through the scalar's text.
  if (from.id == type_id::jsonb && to.id != type_id::text) {
    auto doc = v.as_text();
    auto kind = jsonb::type_of(doc);
    bool ok = (kind == "number" && (is_numeric_family(to.id))) ||
              (kind == "boolean" && to.id == type_id::boolean);
    if (!ok)
      return fail(make_error(errc::datatype_mismatch, -1, "cannot cast jsonb {} to type {}", kind,
                             type_name(to)));
    auto r = from_text(to, doc, *c.strings);
    if (!r) return fail(r.error());
    return r.value();
  }
  // Everything else through the text form, then what varchar(n) or
  // char(n) keeps of it.
  if (to.id == type_id::text) {
    const bool same = from.id == type_id::text || from.id == type_id::unknown;
    std::string s;
    // PostgreSQL's boolean-to-text cast spells the words out ('true'), while
    // the output form is 't'.
    if (from.id == type_id::boolean)
      s = v.as_bool() ? "true" : "false";
    else if (!same)
      append_text(from, v, s);
    std::string_view in = same ? v.as_text() : std::string_view(s);
    if (info.store && too_long(to, in))
      return fail(make_error(errc::string_data_right_truncation, -1, "value too long for type {}",
                             type_name(to)));
    std::string_view kept = fit_text(to, in);
    if (same && kept.size() == in.size()) return v;
    return text_result(c, kept);
  }
  if (from.id == type_id::text || from.id == type_id::unknown || from.id == type_id::jsonb ||
      from.id == type_id::text_array) {
    auto r = from_text(to, v.as_text(), *c.strings);
    if (!r) return fail(r.error());
    return r.value();
  }
  return fail(make_error(errc::datatype_mismatch, -1, "cannot cast type {} to {}", type_name(from),
                         type_name(to)));
}

bool castable(const sql_type& from, const sql_type& to) {
  auto num = [](type_id t) { return is_numeric_family(t) || t == type_id::oid; };
  if (from.id == to.id) return true;
  if (from.id == type_id::unknown || from.id == type_id::text || to.id == type_id::text)
    return true;
  if (num(from.id) && num(to.id)) return true;
  if ((from.id == type_id::boolean && is_integer(to.id)) ||
      (is_integer(from.id) && to.id == type_id::boolean))
    return from.id == type_id::int32 || to.id == type_id::int32;
  if (is_temporal(from.id) && is_temporal(to.id))
    return !(from.id == type_id::time && to.id != type_id::time) &&
           !(from.id == type_id::date && to.id == type_id::time);
  if ((from.id == type_id::time && to.id == type_id::interval) ||
      (from.id == type_id::interval && to.id == type_id::time))
    return true;
  if (from.id == type_id::jsonb && (num(to.id) || to.id == type_id::boolean)) return true;
  if (from.id == type_id::text_array) return true;
  return false;
}

}  // namespace

namespace {

result<expr_ptr> cast_to(expr_ptr e, const sql_type& to, int location, bool store) {
  // A string type's kind or length may change what the value is (char(n)
  // drops trailing spaces, varchar(n) and char(n) cut) or only its name.
  bool text_change = to.id == type_id::text && e->type.id == type_id::text &&
                     (to.kind != e->type.kind || to.precision > 0);
  if (e->type.id == to.id && !(to.id == type_id::numeric && to.precision > 0) && !text_change)
    return e;
  // A parameter of a prepared statement takes the type its context wants.
  if (e->kind == expr_kind::param && e->type.id == type_id::unknown) {
    auto p = std::make_shared<expr>(*e);
    p->type = to;
    return expr_ptr(p);
  }
  if (!castable(e->type, to))
    return make_error(errc::datatype_mismatch, location, "cannot cast type {} to {}",
                      type_name(e->type), type_name(to));
  // NULL literals just take the type.
  if (e->kind == expr_kind::constant && e->value.is_null()) return make_null(to, location);
  auto info = std::make_shared<cast_info>(cast_info{e->type, to, store});
  auto c = make_fn("cast", to, &cast_eval, {e}, location, true, info);
  if (is_constant_expr(*c)) {
    arena a;
    auto v = fold(*c, a, 0);
    if (!v) {
      auto err = v.error();
      // A literal that does not read as the type: PostgreSQL points at the
      // literal ('12x'::int, 'abc' + 1), anything else at the cast.
      bool literal = e->kind == expr_kind::constant && e->type.id == type_id::unknown;
      err.position = (literal && e->location >= 0) || location < 0 ? e->location : location;
      return err;
    }
    // A constant that folds to NULL ((NULL AND true)::text) stays NULL.
    if (v.value().is_null()) return make_null(to, location);
    if (to.id == type_id::text || to.id == type_id::bytea || to.id == type_id::jsonb ||
        to.id == type_id::text_array)
      return make_text_constant(to, std::string(v.value().as_text()), location);
    return make_constant(to, v.value(), location);
  }
  return c;
}

}  // namespace

result<expr_ptr> make_cast(expr_ptr e, const sql_type& to, int location) {
  return cast_to(std::move(e), to, location, false);
}

result<expr_ptr> make_store_cast(expr_ptr e, const sql_type& to, int location) {
  return cast_to(std::move(e), to, location, true);
}

}  // namespace runnel::sql
