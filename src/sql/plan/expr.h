// expr: a bound, typed scalar expression, built once per query by the binder
// and evaluated per row by the operators. Column references are indexes
// into the input row; functions and operators are resolved to a C++
// function pointer at bind time, so evaluation is a walk over a small tree
// with no lookups.
//
// Evaluation never throws: an error (division by zero, a bad cast) is
// recorded in the eval_context and the expression yields NULL. Batch
// queries then fail with that error; streaming operators count and log it
// and go on with NULL, so that one bad record does not stop a view.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sql/error.h"
#include "sql/types/arena.h"
#include "sql/types/datum.h"
#include "sql/types/type.h"

namespace runnel::sql {

struct eval_context {
  arena* strings = nullptr;        // where computed strings are allocated
  std::optional<sql_error> error;  // the first error of the current row
  int64_t now = 0;                 // now(): the statement's time, in µs since the epoch
  uint64_t errors = 0;             // rows that hit an error (streaming)

  void fail(sql_error e) {
    if (!error) error = std::move(e);
  }
};

struct expr;
using expr_ptr = std::shared_ptr<const expr>;

// A scalar function: arguments already evaluated (and, for strict
// functions, none NULL).
using scalar_fn = datum (*)(const datum* args, const expr& self, eval_context& c);

enum class expr_kind : uint8_t {
  column,    // input column `column`
  constant,  // `value`
  call,      // fn(args)
  and_,      // three-valued AND of args
  or_,
  not_,
  is_null,  // args[0] IS NULL
  is_not_null,
  case_,  // args: [operand?] when, then, when, then, ..., [else]; `has_operand`, `has_else`
  coalesce,
  now,          // now(), current_timestamp: the context's time
  in_list,      // args[0] IN (args[1..]) (negated: NOT IN)
  is_distinct,  // IS [NOT] DISTINCT FROM (negated: IS NOT)
  param,        // $n (`column` = n - 1) while a prepared statement is described
};

struct expr {
  expr_kind kind = expr_kind::constant;
  sql_type type;
  int location = -1;  // byte position in the statement, for errors
  int column = -1;
  datum value;
  std::shared_ptr<const std::string> storage;  // owns a constant's string bytes
  std::string name;                            // function or operator name (EXPLAIN)
  std::vector<expr_ptr> args;
  scalar_fn fn = nullptr;
  bool strict = true;  // call: NULL in, NULL out (fn never sees a NULL)
  bool negated = false;
  bool has_operand = false;
  bool has_else = false;
  // Extra typed data some functions need (a cast's target, a LIKE pattern
  // compiled once, the unit of date_trunc when constant, ...).
  std::shared_ptr<const void> aux;

  datum eval(const datum* row, eval_context& c) const;
  std::string describe(const std::vector<std::string>* column_names = nullptr) const;
};

expr_ptr make_column(int index, sql_type type, int location = -1);
expr_ptr make_constant(sql_type type, datum value, int location = -1);
// A constant whose string/bytes value is copied into the expression.
expr_ptr make_text_constant(sql_type type, std::string bytes, int location = -1);
expr_ptr make_null(sql_type type, int location = -1);
expr_ptr make_bool(bool v);

// True if the expression reads no column, calls no now(): it can be folded.
bool is_constant_expr(const expr& e);
// True if the expression calls now() (a temporal filter).
bool uses_now(const expr& e);
// The input columns the expression reads.
void collect_columns(const expr& e, std::vector<int>& out);
// A copy with column references renumbered by `map` (old index -> new).
expr_ptr remap_columns(const expr_ptr& e, const std::vector<int>& map);
// Structural equality (same kinds, functions, columns, constants).
bool same_expr(const expr& a, const expr& b);

// Evaluates a constant expression (folding); an error if it fails.
result<datum> fold(const expr& e, arena& a, int64_t now);

// Equality of two non-NULL values of one type, and a three-way comparison
// (ORDER BY semantics: NaN last, 1.5 = 1.50).
bool datum_equal(const sql_type& t, const datum& a, const datum& b);
int datum_compare(const sql_type& t, const datum& a, const datum& b);

}  // namespace runnel::sql
