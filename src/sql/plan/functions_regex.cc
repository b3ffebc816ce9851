// Regular expressions, PostgreSQL's functions and operators over RE2:
// `~`, `~*`, `!~`, `!~*`, regexp_like, regexp_match (a text[]),
// regexp_replace and substring(text from pattern).
//
// Patterns are RE2's syntax, which reads PostgreSQL's common patterns the
// same (classes, \d \w \s, (?:…), {m,n}, anchors); what RE2 does not have
// (backreferences, lookaround, \m \M \y) is a 2201B error, as any pattern
// that does not compile. As in PostgreSQL's default (ARE) mode `.` and
// negated classes match a newline and `^`/`$` anchor the whole text; the
// flags 'n'/'m' make them newline-sensitive. A constant pattern (and
// constant flags) is compiled once, when the statement is bound.
#include <memory>
#include <string>
#include <vector>

#include <re2/re2.h>

#include "sql/plan/functions.h"

namespace runnel::sql {

namespace {

datum fail(eval_context& c, const expr& self, sql_error e) {
  if (e.position < 0) e.position = self.location;
  c.fail(std::move(e));
  return datum::null_value();
}

struct regex_options {
  bool icase = false;
  bool newline = false;  // 'n' / 'm': newline-sensitive
  bool global = false;
};

// PostgreSQL's flag letters: i c n m s p w g (g only where `global_ok`).
result<regex_options> parse_flags(std::string_view flags, bool global_ok, std::string_view fn) {
  regex_options o;
  for (char f : flags) {
    switch (f) {
      case 'i':
        o.icase = true;
        break;
      case 'c':
        o.icase = false;
        break;
      case 'n':
      case 'm':
        o.newline = true;
        break;
      case 's':
        o.newline = false;
        break;
      case 'g':
        if (!global_ok)
          return make_error(errc::invalid_parameter, -1,
                            "{}() does not support the \"global\" option", fn);
        o.global = true;
        break;
      default:
        return make_error(errc::invalid_parameter, -1, "invalid regular expression option: \"{}\"",
                          std::string(1, f));
    }
  }
  return o;
}

struct compiled_regex {
  std::unique_ptr<RE2> re;
  bool global = false;
};

result<std::shared_ptr<compiled_regex>> compile(std::string_view pattern, std::string_view flags,
                                                bool global_ok, std::string_view fn) {
  BOOST_OUTCOME_TRY(auto o, parse_flags(flags, global_ok, fn));
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_case_sensitive(!o.icase);
  opts.set_dot_nl(!o.newline);
  std::string p = o.newline ? "(?m)" + std::string(pattern) : std::string(pattern);
  auto out = std::make_shared<compiled_regex>();
  out->re = std::make_unique<RE2>(p, opts);
  out->global = o.global;
  if (!out->re->ok())
    return make_error(errc::invalid_regular_expression, -1, "invalid regular expression: {}",
                      out->re->error());
  return out;
}

// How a call finds its pattern: the argument indexes of pattern and flags
// (-1: none, flags given by the operator), and the fixed flags.
struct regex_call {
  int pattern = 1;
  int flags = -1;
  std::string fixed_flags;
  bool global_ok = false;
  std::string fn;
};

// The compiled pattern of this row: the one compiled at bind time, or one
// compiled now (a pattern that is a column); null after an error.
std::shared_ptr<const compiled_regex> row_regex(const datum* a, const expr& self, eval_context& c,
                                                const regex_call& call) {
  if (self.aux) return std::static_pointer_cast<const compiled_regex>(self.aux);
  std::string flags = call.fixed_flags;
  if (call.flags >= 0) flags += a[call.flags].as_text();
  auto r = compile(a[call.pattern].as_text(), flags, call.global_ok, call.fn);
  if (!r) {
    fail(c, self, r.error());
    return nullptr;
  }
  return r.value();
}

// Binds fn(args): every argument text, the pattern compiled now if it and
// the flags are constants (a NULL one leaves the call NULL at run time).
result<expr_ptr> bind_regex(std::string name, sql_type ret, scalar_fn fn,
                            std::vector<expr_ptr>& args, int loc, const regex_call& call) {
  for (auto& a : args) {
    BOOST_OUTCOME_TRY(a, coerce(a, type_id::text, loc));
  }
  auto constant = [&](int i) {
    return i < 0 || (args[static_cast<size_t>(i)]->kind == expr_kind::constant &&
                     !args[static_cast<size_t>(i)]->value.is_null());
  };
  std::shared_ptr<const void> aux;
  if (constant(call.pattern) && constant(call.flags)) {
    std::string flags = call.fixed_flags;
    if (call.flags >= 0) flags += args[static_cast<size_t>(call.flags)]->value.as_text();
    auto r = compile(args[static_cast<size_t>(call.pattern)]->value.as_text(), flags,
                     call.global_ok, call.fn);
    if (!r) {
      auto e = r.error();
      e.position = loc;
      return e;
    }
    aux = r.value();
  }
  return make_fn(std::move(name), ret, fn, args, loc, true, aux);
}

re2::StringPiece piece(std::string_view s) {
  return re2::StringPiece(s.data(), s.size());
}

template <bool Negated, bool ICase>
datum match_op(const datum* a, const expr& self, eval_context& c) {
  static const regex_call call{1, -1, ICase ? "i" : "", false, "~"};
  auto re = row_regex(a, self, c, call);
  if (!re) return datum::null_value();
  bool m = RE2::PartialMatch(piece(a[0].as_text()), *re->re);
  return datum::of_bool(Negated ? !m : m);
}

const regex_call like_call{1, 2, "", false, "regexp_like"};
datum regexp_like_fn(const datum* a, const expr& self, eval_context& c) {
  auto re = row_regex(a, self, c, like_call);
  if (!re) return datum::null_value();
  return datum::of_bool(RE2::PartialMatch(piece(a[0].as_text()), *re->re));
}

// The first match of `re` in `s` at or after `pos`: the whole match and
// every group (a group that took no part has a null data()).
bool find(const RE2& re, std::string_view s, size_t pos, std::vector<re2::StringPiece>& m) {
  m.assign(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1, re2::StringPiece());
  return re.Match(piece(s), pos, s.size(), RE2::UNANCHORED, m.data(), static_cast<int>(m.size()));
}

// PostgreSQL's array output of one text element: quoted when empty, NULL,
// or holding a delimiter, brace, quote, backslash or space.
void append_array_element(std::string& out, const re2::StringPiece& v) {
  if (v.data() == nullptr) {
    out += "NULL";
    return;
  }
  std::string_view s(v.data(), v.size());
  bool quote =
      s.empty() || (s.size() == 4 && (s[0] == 'N' || s[0] == 'n') && (s[1] == 'U' || s[1] == 'u') &&
                    (s[2] == 'L' || s[2] == 'l') && (s[3] == 'L' || s[3] == 'l'));
  for (char ch : s)
    if (ch == ',' || ch == '{' || ch == '}' || ch == '"' || ch == '\\' || ch == ' ' || ch == '\t' ||
        ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f')
      quote = true;
  if (!quote) {
    out += s;
    return;
  }
  out += '"';
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  out += '"';
}

const regex_call match_call{1, 2, "", false, "regexp_match"};
datum regexp_match_fn(const datum* a, const expr& self, eval_context& c) {
  auto re = row_regex(a, self, c, match_call);
  if (!re) return datum::null_value();
  std::string_view s = a[0].as_text();
  std::vector<re2::StringPiece> m;
  if (!find(*re->re, s, 0, m)) return datum::null_value();
  std::string out = "{";
  if (m.size() == 1) {
    append_array_element(out, m[0]);
  } else {
    for (size_t i = 1; i < m.size(); ++i) {
      if (i > 1) out += ',';
      append_array_element(out, m[i]);
    }
  }
  out += '}';
  return text_result(c, out);
}

// substring(text from pattern): the part the first group matched if the
// pattern has groups (NULL if that group took no part), else the match.
const regex_call substring_call{1, -1, "", false, "substring"};
datum regex_substring_fn(const datum* a, const expr& self, eval_context& c) {
  auto re = row_regex(a, self, c, substring_call);
  if (!re) return datum::null_value();
  std::string_view s = a[0].as_text();
  std::vector<re2::StringPiece> m;
  if (!find(*re->re, s, 0, m)) return datum::null_value();
  const auto& g = m.size() > 1 ? m[1] : m[0];
  if (g.data() == nullptr) return datum::null_value();
  return text_result(c, std::string_view(g.data(), g.size()));
}

size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 6) return 2;
  if ((lead >> 4) == 14) return 3;
  if ((lead >> 3) == 30) return 4;
  return 1;
}

// PostgreSQL's replacement text: \1 … \9 a group (empty if it took no
// part or does not exist), \& the whole match, \\ one backslash; any other
// backslash is kept.
void append_replacement(std::string& out, std::string_view repl,
                        const std::vector<re2::StringPiece>& m) {
  for (size_t i = 0; i < repl.size(); ++i) {
    char ch = repl[i];
    if (ch != '\\' || i + 1 == repl.size()) {
      out += ch;
      continue;
    }
    char n = repl[i + 1];
    if (n >= '1' && n <= '9') {
      size_t g = static_cast<size_t>(n - '0');
      if (g < m.size() && m[g].data() != nullptr) out.append(m[g].data(), m[g].size());
      ++i;
    } else if (n == '&') {
      out.append(m[0].data(), m[0].size());
      ++i;
    } else if (n == '\\') {
      out += '\\';
      ++i;
    } else {
      out += '\\';
    }
  }
}

const regex_call replace_call{1, 3, "", true, "regexp_replace"};
datum regexp_replace_fn(const datum* a, const expr& self, eval_context& c) {
  auto re = row_regex(a, self, c, replace_call);
  if (!re) return datum::null_value();
  std::string_view s = a[0].as_text();
  std::string_view repl = a[2].as_text();
  std::string out;
  std::vector<re2::StringPiece> m;
  size_t pos = 0;
  while (pos <= s.size() && find(*re->re, s, pos, m)) {
    size_t start = static_cast<size_t>(m[0].data() - s.data());
    size_t end = start + m[0].size();
    out.append(s.substr(pos, start - pos));
    append_replacement(out, repl, m);
    if (end == start) {
      // An empty match: keep the next character and look after it.
      if (start < s.size()) {
        size_t n = std::min(utf8_length(static_cast<unsigned char>(s[start])), s.size() - start);
        out.append(s.substr(start, n));
        pos = start + n;
      } else {
        pos = s.size() + 1;
      }
    } else {
      pos = end;
    }
    if (!re->global) break;
  }
  if (pos < s.size()) out.append(s.substr(pos));
  return text_result(c, out);
}

}  // namespace

void register_regex_functions() {
  auto op = [](const char* name, scalar_fn fn, const char* flags) {
    register_function(name, [=](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
      if (args.size() != 2) return no_function(name, args, loc);
      return bind_regex(name, type_id::boolean, fn, args, loc, {1, -1, flags, false, name});
    });
  };
  op("~", &match_op<false, false>, "");
  op("!~", &match_op<true, false>, "");
  op("~*", &match_op<false, true>, "i");
  op("!~*", &match_op<true, true>, "i");
  register_function("regexp_like", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() < 2 || args.size() > 3) return no_function("regexp_like", args, loc);
    auto call = like_call;
    if (args.size() == 2) call.flags = -1;
    return bind_regex("regexp_like", type_id::boolean, &regexp_like_fn, args, loc, call);
  });
  register_function("regexp_match", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() < 2 || args.size() > 3) return no_function("regexp_match", args, loc);
    auto call = match_call;
    if (args.size() == 2) call.flags = -1;
    return bind_regex("regexp_match", type_id::text_array, &regexp_match_fn, args, loc, call);
  });
  register_function("regexp_replace", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    // PostgreSQL 15's start and N (integers) are not here.
    if (args.size() < 3 || args.size() > 4 ||
        (args.size() == 4 && args[3]->type.id != type_id::text &&
         args[3]->type.id != type_id::unknown))
      return no_function("regexp_replace", args, loc);
    auto call = replace_call;
    if (args.size() == 3) call.flags = -1;
    return bind_regex("regexp_replace", type_id::text, &regexp_replace_fn, args, loc, call);
  });
  // substring(text from pattern) is substring(text, text); the positional
  // forms stay the string functions'.
  resolver positional = registered_function("substring");
  register_function(
      "substring", [positional](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
        if (args.size() == 2 &&
            (args[1]->type.id == type_id::text || args[1]->type.id == type_id::unknown))
          return bind_regex("substring", type_id::text, &regex_substring_fn, args, loc,
                            substring_call);
        return positional(args, loc);
      });
}

}  // namespace runnel::sql
