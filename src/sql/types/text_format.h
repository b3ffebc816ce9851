// PostgreSQL's text forms of values: what the text wire format sends, what
// casts to and from text do, and what literals in SQL mean.
#pragma once

#include <string>
#include <string_view>

#include "sql/error.h"
#include "sql/types/arena.h"
#include "sql/types/datum.h"
#include "sql/types/type.h"

namespace runnel::sql {

// Appends the text form of `d` (which must not be NULL).
void append_text(const sql_type& t, const datum& d, std::string& out);
std::string to_text(const sql_type& t, const datum& d);

// Parses the text form of a `t`; strings are copied into `a`. Errors carry
// PostgreSQL's messages (invalid input syntax for type integer: "12x").
result<datum> from_text(const sql_type& t, std::string_view s, arena& a);

// The part of string `s` a cast to `t` keeps: varchar(n) and char(n) its
// first n characters (UTF-8), char without its trailing spaces (its values
// are kept without them; append_text pads char(n) to n).
std::string_view fit_text(const sql_type& t, std::string_view s);
// Whether storing `s` into a column of type `t` loses more than trailing
// spaces (PostgreSQL's 22001, value too long for type character varying(n)).
bool too_long(const sql_type& t, std::string_view s);

// Floats as PostgreSQL 12+ prints them: the shortest text that reads back
// exactly, in exponent form below 1e-4 and from 1e15 (1e6 for real).
std::string format_double(double v, bool is_float4);

// Whether `a` and `b` are equal but for the case of ASCII letters (SQL's
// words, setting names, CSV header names, 'TRUE', 'Infinity').
bool iequals_ascii(std::string_view a, std::string_view b);

// bytea's hex form (\x0a1b) and its parser (hex or escape form).
std::string format_bytea(std::string_view bytes);
bool parse_bytea(std::string_view text, std::string& out);

}  // namespace runnel::sql
