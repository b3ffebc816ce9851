#include "sql/plan/expr.h"

#include <cmath>

#include <fmt/format.h>

#include "sql/types/text_format.h"

namespace runnel::sql {

namespace {

// Three-valued logic: 1 true, 0 false, -1 NULL.
int truth(const datum& d) {
  return d.is_null() ? -1 : (d.as_bool() ? 1 : 0);
}

}  // namespace

datum expr::eval(const datum* row, eval_context& c) const {
  switch (kind) {
    case expr_kind::column:
      return row[column];
    case expr_kind::param:
      return datum::null_value();
    case expr_kind::constant:
      return value;
    case expr_kind::now:
      return datum::of_int(c.now);
    case expr_kind::call: {
      datum small[8];
      std::vector<datum> big;
      datum* a = small;
      if (args.size() > 8) {
        big.resize(args.size());
        a = big.data();
      }
      for (size_t i = 0; i < args.size(); ++i) {
        a[i] = args[i]->eval(row, c);
        if (strict && a[i].is_null()) return datum::null_value();
      }
      return fn(a, *this, c);
    }
    case expr_kind::and_: {
      bool null_seen = false;
      for (const auto& x : args) {
        int t = truth(x->eval(row, c));
        if (t == 0) return datum::of_bool(false);
        if (t < 0) null_seen = true;
      }
      return null_seen ? datum::null_value() : datum::of_bool(true);
    }
    case expr_kind::or_: {
      bool null_seen = false;
      for (const auto& x : args) {
        int t = truth(x->eval(row, c));
        if (t == 1) return datum::of_bool(true);
        if (t < 0) null_seen = true;
      }
      return null_seen ? datum::null_value() : datum::of_bool(false);
    }
    case expr_kind::not_: {
      int t = truth(args[0]->eval(row, c));
      return t < 0 ? datum::null_value() : datum::of_bool(t == 0);
    }
    case expr_kind::is_null:
      return datum::of_bool(args[0]->eval(row, c).is_null());
    case expr_kind::is_not_null:
      return datum::of_bool(!args[0]->eval(row, c).is_null());
    case expr_kind::case_: {
      size_t i = 0;
      datum operand;
      if (has_operand) operand = args[i++]->eval(row, c);
      size_t pairs_end = args.size() - (has_else ? 1 : 0);
      for (; i < pairs_end; i += 2) {
        datum w = args[i]->eval(row, c);
        bool hit;
        if (has_operand)
          hit = !w.is_null() && !operand.is_null() && datum_equal(args[i]->type, operand, w);
        else
          hit = truth(w) == 1;
        if (hit) return args[i + 1]->eval(row, c);
      }
      return has_else ? args.back()->eval(row, c) : datum::null_value();
    }
    case expr_kind::coalesce:
      for (const auto& x : args) {
        datum d = x->eval(row, c);
        if (!d.is_null()) return d;
      }
      return datum::null_value();
    case expr_kind::in_list: {
      datum v = args[0]->eval(row, c);
      if (v.is_null()) return datum::null_value();
      bool null_seen = false;
      for (size_t i = 1; i < args.size(); ++i) {
        datum x = args[i]->eval(row, c);
        if (x.is_null()) {
          null_seen = true;
          continue;
        }
        if (datum_equal(args[0]->type, v, x)) return datum::of_bool(!negated);
      }
      return null_seen ? datum::null_value() : datum::of_bool(negated);
    }
    case expr_kind::is_distinct: {
      datum x = args[0]->eval(row, c), y = args[1]->eval(row, c);
      bool distinct;
      if (x.is_null() || y.is_null())
        distinct = x.is_null() != y.is_null();
      else
        distinct = !datum_equal(args[0]->type, x, y);
      return datum::of_bool(negated ? !distinct : distinct);
    }
  }
  return datum::null_value();
}

std::string expr::describe(const std::vector<std::string>* names) const {
  auto list = [&](size_t from = 0) {
    std::string s;
    for (size_t i = from; i < args.size(); ++i) {
      if (i > from) s += ", ";
      s += args[i]->describe(names);
    }
    return s;
  };
  switch (kind) {
    case expr_kind::column:
      if (names && column >= 0 && static_cast<size_t>(column) < names->size())
        return (*names)[column];
      return fmt::format("${}", column);
    case expr_kind::constant:
      if (value.is_null()) return "NULL";
      if (type.id == type_id::text || type.id == type_id::unknown || is_temporal(type.id) ||
          type.id == type_id::interval || type.id == type_id::jsonb)
        return fmt::format("'{}'::{}", to_text(type, value), type_short_name(type.id));
      return to_text(type, value);
    case expr_kind::now:
      return "now()";
    case expr_kind::param:
      return fmt::format("${}", column + 1);
    case expr_kind::call:
      if (args.size() == 2 && !name.empty() && !std::isalpha(static_cast<unsigned char>(name[0])))
        return fmt::format("({} {} {})", args[0]->describe(names), name, args[1]->describe(names));
      if (args.size() == 1 && name == "cast")
        return fmt::format("{}::{}", args[0]->describe(names), type_short_name(type.id));
      return fmt::format("{}({})", name, list());
    case expr_kind::and_:
    case expr_kind::or_: {
      std::string s = "(";
      for (size_t i = 0; i < args.size(); ++i) {
        if (i) s += kind == expr_kind::and_ ? " AND " : " OR ";
        s += args[i]->describe(names);
      }
      return s + ")";
    }
    case expr_kind::not_:
      return "NOT " + args[0]->describe(names);
    case expr_kind::is_null:
      return args[0]->describe(names) + " IS NULL";
    case expr_kind::is_not_null:
      return args[0]->describe(names) + " IS NOT NULL";
    case expr_kind::case_:
      return "CASE(" + list() + ")";
    case expr_kind::coalesce:
      return "coalesce(" + list() + ")";
    case expr_kind::in_list:
      return fmt::format("{} {}IN ({})", args[0]->describe(names), negated ? "NOT " : "", list(1));
    case expr_kind::is_distinct:
      return fmt::format("{} IS {}DISTINCT FROM {}", args[0]->describe(names),
                         negated ? "NOT " : "", args[1]->describe(names));
  }
  return "?";
}

expr_ptr make_column(int index, sql_type type, int location) {
  auto e = std::make_shared<expr>();
  e->kind = expr_kind::column;
  e->column = index;
  e->type = type;
  e->location = location;
  return e;
}

expr_ptr make_constant(sql_type type, datum value, int location) {
  auto e = std::make_shared<expr>();
  e->kind = expr_kind::constant;
  e->type = type;
  e->value = value;
  e->location = location;
  return e;
}

expr_ptr make_text_constant(sql_type type, std::string bytes, int location) {
  auto e = std::make_shared<expr>();
  e->kind = expr_kind::constant;
  e->type = type;
  auto s = std::make_shared<const std::string>(std::move(bytes));
  e->value = datum::of_text(*s);
  e->storage = s;
  e->location = location;
  return e;
}

expr_ptr make_null(sql_type type, int location) {
  return make_constant(type, datum::null_value(), location);
}

expr_ptr make_bool(bool v) {
  return make_constant(type_id::boolean, datum::of_bool(v));
}

bool is_constant_expr(const expr& e) {
  if (e.kind == expr_kind::column || e.kind == expr_kind::now || e.kind == expr_kind::param)
    return false;
  for (const auto& a : e.args)
    if (!is_constant_expr(*a)) return false;
  return true;
}

bool uses_now(const expr& e) {
  if (e.kind == expr_kind::now) return true;
  for (const auto& a : e.args)
    if (uses_now(*a)) return true;
  return false;
}

void collect_columns(const expr& e, std::vector<int>& out) {
  if (e.kind == expr_kind::column) out.push_back(e.column);
  for (const auto& a : e.args) collect_columns(*a, out);
}

expr_ptr remap_columns(const expr_ptr& e, const std::vector<int>& map) {
  if (e->kind == expr_kind::column) {
    auto c = std::make_shared<expr>(*e);
    c->column = map[static_cast<size_t>(e->column)];
    return c;
  }
  if (e->args.empty()) return e;
  auto c = std::make_shared<expr>(*e);
  for (auto& a : c->args) a = remap_columns(a, map);
  return c;
}

bool same_expr(const expr& a, const expr& b) {
  if (a.kind != b.kind || a.type.id != b.type.id || a.args.size() != b.args.size()) return false;
  switch (a.kind) {
    case expr_kind::column:
      if (a.column != b.column) return false;
      break;
    case expr_kind::constant:
      if (a.value.is_null() != b.value.is_null()) return false;
      if (!a.value.is_null() && !datum_equal(a.type, a.value, b.value)) return false;
      break;
    case expr_kind::call:
      if (a.fn != b.fn || a.name != b.name) return false;
      if (a.aux != b.aux && (a.aux == nullptr) != (b.aux == nullptr)) {
        // aux carries constant arguments (a cast target): compare by the
        // arguments instead, which hold the same information.
      }
      break;
    default:
      if (a.negated != b.negated || a.has_operand != b.has_operand || a.has_else != b.has_else)
        return false;
  }
  for (size_t i = 0; i < a.args.size(); ++i)
    if (!same_expr(*a.args[i], *b.args[i])) return false;
  return true;
}

result<datum> fold(const expr& e, arena& a, int64_t now) {
  eval_context c;
  c.strings = &a;
  c.now = now;
  datum d = e.eval(nullptr, c);
  if (c.error) return *c.error;
  return d;
}

bool datum_equal(const sql_type& t, const datum& a, const datum& b) {
  return datum_compare(t, a, b) == 0;
}

int datum_compare(const sql_type& t, const datum& a, const datum& b) {
  switch (t.id) {
    case type_id::boolean:
    case type_id::int16:
    case type_id::int32:
    case type_id::int64:
    case type_id::oid:
    case type_id::date:
    case type_id::time:
    case type_id::timestamp:
    case type_id::timestamptz: {
      int64_t x = a.as_int(), y = b.as_int();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case type_id::float32:
    case type_id::float64: {
      double x = a.as_double(), y = b.as_double();
      if (std::isnan(x) || std::isnan(y)) return std::isnan(x) ? (std::isnan(y) ? 0 : 1) : -1;
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case type_id::numeric:
      return dec::cmp(a.as_decimal(), b.as_decimal());
    case type_id::interval: {
      auto x = dt::interval_key(a.as_interval()), y = dt::interval_key(b.as_interval());
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case type_id::text:
    case type_id::bytea:
    case type_id::jsonb:
    case type_id::unknown:
    case type_id::text_array: {
      int r = a.as_text().compare(b.as_text());
      return r < 0 ? -1 : (r > 0 ? 1 : 0);
    }
  }
  return 0;
}

}  // namespace runnel::sql
