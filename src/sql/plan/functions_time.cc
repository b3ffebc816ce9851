// Date and time functions: date_trunc, extract/date_part, to_timestamp,
// to_char (the common patterns), make_interval, date, age is not here.
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "sql/plan/functions.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace {

datum fail(eval_context& c, const expr& self, sql_error e) {
  if (e.position < 0) e.position = self.location;
  c.fail(std::move(e));
  return datum::null_value();
}

datum trunc_ts(const datum* a, const expr& self, eval_context& c) {
  if (!dt::finite_timestamp(a[1].as_int())) return a[1];
  auto r = dt::trunc_timestamp(a[0].as_text(), a[1].as_int());
  if (!r)
    return fail(c, self,
                make_error(errc::invalid_parameter, -1, "unit \"{}\" not recognized for type {}",
                           a[0].as_text(), type_name(self.type)));
  return datum::of_int(*r);
}
datum trunc_iv(const datum* a, const expr& self, eval_context& c) {
  auto r = dt::trunc_interval(a[0].as_text(), a[1].as_interval());
  if (!r)
    return fail(c, self,
                make_error(errc::invalid_parameter, -1,
                           "unit \"{}\" not recognized for type interval", a[0].as_text()));
  return datum::of_interval(*r);
}

std::optional<std::string> extract_text(const sql_type& t, std::string_view field, const datum& v) {
  switch (t.id) {
    case type_id::timestamp:
    case type_id::timestamptz:
      if (t.id == type_id::timestamptz) {
        std::string f(field);
        for (auto& ch : f) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (f == "timezone" || f == "timezone_hour" || f == "timezone_minute")
          return std::string("0");
      }
      return dt::extract_timestamp(field, v.as_int());
    case type_id::date:
      return dt::extract_date(field, static_cast<int32_t>(v.as_int()));
    case type_id::time:
      return dt::extract_time(field, v.as_int());
    case type_id::interval:
      return dt::extract_interval(field, v.as_interval());
    default:
      return std::nullopt;
  }
}

// extract/date_part of 'infinity' or '-infinity': ±1 for the fields that
// grow with time (PostgreSQL's ±Infinity), 0 for the others (NULL), nullopt
// for a finite value.
std::optional<int> infinite_field(const sql_type& t, std::string_view field, const datum& v) {
  bool infinite = (t.id == type_id::date && !dt::finite_date(v.as_int())) ||
                  ((t.id == type_id::timestamp || t.id == type_id::timestamptz) &&
                   !dt::finite_timestamp(v.as_int()));
  if (!infinite) return std::nullopt;
  std::string f(field);
  for (auto& ch : f) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (auto grows : {"epoch", "year", "years", "decade", "decades", "century", "centuries",
                     "millennium", "millennia", "julian", "isoyear"})
    if (f == grows) return v.as_int() > 0 ? 1 : -1;
  return 0;
}

datum extract_fn(const datum* a, const expr& self, eval_context& c) {
  if (auto inf = infinite_field(self.args[1]->type, a[0].as_text(), a[1])) {
    if (*inf == 0) return datum::null_value();
    return fail(c, self,
                make_error(errc::feature_not_supported, -1,
                           "extract({} from {}infinity) is not supported: runnel's numeric has "
                           "no infinity (date_part returns it)",
                           a[0].as_text(), *inf < 0 ? "-" : ""));
  }
  auto s = extract_text(self.args[1]->type, a[0].as_text(), a[1]);
  if (!s)
    return fail(c, self,
                make_error(errc::invalid_parameter, -1, "unit \"{}\" not supported for type {}",
                           a[0].as_text(), type_name(self.args[1]->type)));
  return datum::of_decimal(*dec::parse(*s));
}
datum date_part_fn(const datum* a, const expr& self, eval_context& c) {
  if (auto inf = infinite_field(self.args[1]->type, a[0].as_text(), a[1])) {
    if (*inf == 0) return datum::null_value();
    return datum::of_double(*inf * std::numeric_limits<double>::infinity());
  }
  auto s = extract_text(self.args[1]->type, a[0].as_text(), a[1]);
  if (!s)
    return fail(c, self,
                make_error(errc::invalid_parameter, -1, "unit \"{}\" not supported for type {}",
                           a[0].as_text(), type_name(self.args[1]->type)));
  return datum::of_double(std::strtod(s->c_str(), nullptr));
}

datum to_timestamp_fn(const datum* a, const expr& self, eval_context& c) {
  double secs = a[0].as_double();
  if (!std::isfinite(secs) || std::fabs(secs) > 9.2e12)
    return fail(c, self, make_error(errc::invalid_datetime, -1, "timestamp out of range"));
  return datum::of_int(static_cast<int64_t>(std::llround(secs * 1e6)));
}

// to_char(timestamp, pattern) with the patterns people use most.
datum to_char_fn(const datum* a, const expr& self, eval_context& c) {
  int64_t ts = a[0].as_int();
  // PostgreSQL writes nothing for an infinite value.
  if (self.args[0]->type.id == type_id::date ? !dt::finite_date(ts) : !dt::finite_timestamp(ts))
    return datum::null_value();
  if (self.args[0]->type.id == type_id::date) ts *= usecs_per_day;
  std::string_view p = a[1].as_text();
  int64_t days = ts >= 0 ? ts / usecs_per_day : (ts - usecs_per_day + 1) / usecs_per_day;
  int64_t t = ts - days * usecs_per_day;
  int64_t y;
  unsigned mo, d;
  dt::civil_from_days(days, y, mo, d);
  static const char* months[] = {"January",   "February", "March",    "April",
                                 "May",       "June",     "July",     "August",
                                 "September", "October",  "November", "December"};
  static const char* wdays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                "Thursday", "Friday", "Saturday"};
  int64_t dow = ((days + 4) % 7 + 7) % 7;
  std::string out;
  size_t i = 0;
  auto starts = [&](std::string_view w) { return p.substr(i, w.size()) == w; };
  while (i < p.size()) {
    if (starts("YYYY")) {
      out += fmt::format("{:04}", y);
      i += 4;
    } else if (starts("YY")) {
      out += fmt::format("{:02}", y % 100);
      i += 2;
    } else if (starts("MM")) {
      out += fmt::format("{:02}", mo);
      i += 2;
    } else if (starts("Month")) {
      out += fmt::format("{:<9}", months[mo - 1]);
      i += 5;
    } else if (starts("Mon")) {
      out += std::string(months[mo - 1]).substr(0, 3);
      i += 3;
    } else if (starts("DD")) {
      out += fmt::format("{:02}", d);
      i += 2;
    } else if (starts("Day")) {
      out += fmt::format("{:<9}", wdays[dow]);
      i += 3;
    } else if (starts("Dy")) {
      out += std::string(wdays[dow]).substr(0, 3);
      i += 2;
    } else if (starts("HH24")) {
      out += fmt::format("{:02}", t / usecs_per_hour);
      i += 4;
    } else if (starts("HH12") || starts("HH")) {
      int64_t h = (t / usecs_per_hour) % 12;
      out += fmt::format("{:02}", h == 0 ? 12 : h);
      i += starts("HH12") ? 4 : 2;
    } else if (starts("MI")) {
      out += fmt::format("{:02}", (t / usecs_per_minute) % 60);
      i += 2;
    } else if (starts("SS")) {
      out += fmt::format("{:02}", (t / usecs_per_second) % 60);
      i += 2;
    } else if (starts("MS")) {
      out += fmt::format("{:03}", (t / 1000) % 1000);
      i += 2;
    } else if (starts("US")) {
      out += fmt::format("{:06}", t % usecs_per_second);
      i += 2;
    } else if (starts("AM") || starts("PM")) {
      out += t / usecs_per_hour < 12 ? "AM" : "PM";
      i += 2;
    } else {
      out += p[i++];
    }
  }
  return text_result(c, out);
}

datum make_interval_fn(const datum* a, const expr&, eval_context&) {
  // make_interval(years, months, weeks, days, hours, mins, secs)
  interval iv;
  iv.months = static_cast<int32_t>(a[0].as_int() * 12 + a[1].as_int());
  iv.days = static_cast<int32_t>(a[2].as_int() * 7 + a[3].as_int());
  iv.micros = a[4].as_int() * usecs_per_hour + a[5].as_int() * usecs_per_minute +
              static_cast<int64_t>(std::llround(a[6].as_double() * 1e6));
  return datum::of_interval(iv);
}

datum identity(const datum* a, const expr&, eval_context&) {
  return a[0];
}

result<expr_ptr> unit_then_temporal(const char* name, std::vector<expr_ptr>& args, int loc) {
  if (args.size() != 2) return no_function(name, args, loc);
  BOOST_OUTCOME_TRY(args[0], coerce(args[0], type_id::text, loc));
  if (args[1]->type.id == type_id::unknown) {
    BOOST_OUTCOME_TRY(args[1], make_cast(args[1], type_id::timestamptz, loc));
  }
  return args[1];
}

}  // namespace

void register_time_functions() {
  register_function("date_trunc", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    BOOST_OUTCOME_TRY(unit_then_temporal("date_trunc", args, loc));
    type_id t = args[1]->type.id;
    if (t == type_id::date) {
      BOOST_OUTCOME_TRY(args[1], make_cast(args[1], type_id::timestamptz, loc));
      t = type_id::timestamptz;
    }
    if (t == type_id::timestamp || t == type_id::timestamptz)
      return make_fn("date_trunc", args[1]->type, &trunc_ts, args, loc);
    if (t == type_id::interval)
      return make_fn("date_trunc", type_id::interval, &trunc_iv, args, loc);
    return no_function("date_trunc", args, loc);
  });
  register_function("extract", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    BOOST_OUTCOME_TRY(unit_then_temporal("extract", args, loc));
    if (!is_temporal(args[1]->type.id) && args[1]->type.id != type_id::interval)
      return no_function("extract", args, loc);
    return make_fn("extract", type_id::numeric, &extract_fn, args, loc);
  });
  register_function("date_part", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    BOOST_OUTCOME_TRY(unit_then_temporal("date_part", args, loc));
    if (!is_temporal(args[1]->type.id) && args[1]->type.id != type_id::interval)
      return no_function("date_part", args, loc);
    return make_fn("date_part", type_id::float64, &date_part_fn, args, loc);
  });
  register_function("to_timestamp", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 1) return no_function("to_timestamp", args, loc);
    auto r = coerce(args[0], type_id::float64, loc);
    if (!r) return no_function("to_timestamp", args, loc);
    args[0] = r.value();
    return make_fn("to_timestamp", type_id::timestamptz, &to_timestamp_fn, args, loc);
  });
  register_function("to_char", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 2) return no_function("to_char", args, loc);
    BOOST_OUTCOME_TRY(args[1], coerce(args[1], type_id::text, loc));
    if (args[0]->type.id == type_id::unknown) {
      BOOST_OUTCOME_TRY(args[0], make_cast(args[0], type_id::timestamp, loc));
    }
    type_id t = args[0]->type.id;
    if (t != type_id::timestamp && t != type_id::timestamptz && t != type_id::date)
      return no_function("to_char", args, loc);
    return make_fn("to_char", type_id::text, &to_char_fn, args, loc);
  });
  register_function("make_interval", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() > 7) return no_function("make_interval", args, loc);
    while (args.size() < 7)
      args.push_back(
          make_constant(args.size() == 6 ? sql_type(type_id::float64) : sql_type(type_id::int32),
                        args.size() == 6 ? datum::of_double(0) : datum::of_int(0)));
    for (size_t i = 0; i < 7; ++i) {
      BOOST_OUTCOME_TRY(
          args[i],
          coerce(args[i], i == 6 ? sql_type(type_id::float64) : sql_type(type_id::int32), loc));
    }
    return make_fn("make_interval", type_id::interval, &make_interval_fn, args, loc);
  });
  register_function("date", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() != 1) return no_function("date", args, loc);
    return make_cast(args[0], type_id::date, loc);
  });
  register_function("timezone", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    // AT TIME ZONE 'UTC': the only zone there is.
    if (args.size() != 2) return no_function("timezone", args, loc);
    if (args[0]->kind == expr_kind::constant && !args[0]->value.is_null()) {
      std::string z(args[0]->value.as_text());
      for (auto& ch : z) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (z != "utc" && z != "gmt" && z != "z" && z != "+00" && z != "00:00")
        return make_error(errc::feature_not_supported, loc,
                          "time zone \"{}\" is not supported: runnel SQL runs in UTC", z);
    }
    type_id t = args[1]->type.id;
    sql_type out =
        t == type_id::timestamptz ? sql_type(type_id::timestamp) : sql_type(type_id::timestamptz);
    if (t != type_id::timestamp && t != type_id::timestamptz)
      return no_function("timezone", args, loc);
    return make_fn("timezone", out, &identity, {args[1]}, loc);
  });
}

}  // namespace runnel::sql
