// The scalar functions and operators of runnel SQL, and the casts between
// types: resolved by name and argument types at bind time into an expr
// holding the C++ function that computes it.
//
// Resolution follows PostgreSQL where it matters to results: integer
// arithmetic stays integer (and errors on overflow), numeric wins over
// integers, floats over numeric, an untyped literal takes the type of the
// other operand, timestamp meets timestamptz as timestamptz.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/plan/expr.h"

namespace runnel::sql {

// Builds a call of the function or operator `name` (lower case: "+",
// "lower", "date_trunc", ...) on `args`; an undefined_function error
// naming the argument types if nothing matches.
result<expr_ptr> make_call(std::string_view name, std::vector<expr_ptr> args, int location);

// CAST(e AS to): every cast PostgreSQL has between our types, through the
// text form where no direct one exists. Constant input is folded.
result<expr_ptr> make_cast(expr_ptr e, const sql_type& to, int location);
// The cast of a value stored into a column of type `to` (INSERT): as
// make_cast, but a string too long for varchar(n)/char(n) is an error
// (22001) where CAST cuts it.
result<expr_ptr> make_store_cast(expr_ptr e, const sql_type& to, int location);
// An implicit conversion (untyped literals, numeric widening, timestamp to
// timestamptz, date to timestamp); an error if PostgreSQL would refuse.
result<expr_ptr> coerce(expr_ptr e, const sql_type& to, int location);
// The type two operands meet in (CASE branches, UNION columns,
// comparisons), if any.
std::optional<sql_type> common_type(const sql_type& a, const sql_type& b);
// Coerces every expression to their common type.
result<void> unify(std::vector<expr_ptr>& es, int location, std::string_view what);

// Whether `name` is a known scalar function (to tell aggregates and unknown
// names apart in error messages).
bool is_scalar_function(std::string_view name);
// The registered scalar functions' names that SQL can call by name (not
// operators), in order: pg_catalog.pg_proc lists them.
std::vector<std::string> function_names();

// --- for the files that implement functions (functions_*.cc) ---

using resolver = std::function<result<expr_ptr>(std::vector<expr_ptr>& args, int location)>;
void register_function(const std::string& name, resolver r);

// A call node: `fn` computes it, `ret` is its type.
expr_ptr make_fn(std::string name, sql_type ret, scalar_fn fn, std::vector<expr_ptr> args,
                 int location, bool strict = true, std::shared_ptr<const void> aux = nullptr);
// An error for a call no overload of `name` accepts.
sql_error no_function(std::string_view name, const std::vector<expr_ptr>& args, int location);
// A string computed by a function, copied into the context's arena.
datum text_result(eval_context& c, std::string_view s);

// array[index] of a text[] (1-based; NULL outside it).
result<expr_ptr> make_array_subscript(expr_ptr array, expr_ptr index, int location);

void register_operator_functions();
void register_math_functions();
void register_string_functions();
void register_time_functions();
void register_json_functions();
void register_catalog_functions();
void register_regex_functions();  // after the string functions (wraps substring)
// The resolver registered under `name` (empty if none).
resolver registered_function(std::string_view name);

}  // namespace runnel::sql
