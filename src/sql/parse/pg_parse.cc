#include "sql/parse/pg_parse.h"

#include <string>

#include <pg_query.h>

namespace runnel::sql {

int byte_offset(std::string_view text, int char_pos) {
  if (char_pos <= 0) return -1;
  int chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (++chars == char_pos) return static_cast<int>(i);
    }
  }
  return static_cast<int>(text.size());
}

int char_position(std::string_view text, int byte_off) {
  if (byte_off < 0) return 0;
  int chars = 0;
  for (size_t i = 0; i < text.size() && i <= static_cast<size_t>(byte_off); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++chars;
  if (static_cast<size_t>(byte_off) >= text.size()) ++chars;
  return chars;
}

namespace {

// libpg_query 15-4.0.0 (Debian bookworm) writes a negative integer constant
// as an empty object ("ival": {}), the same as 0: its JSON writer skips
// every Integer field that is not > 0. The statement still holds the
// digits, and a negated constant's location is its first minus sign, so
// the value is read back from there: minus signs (each flips the sign),
// parentheses, blanks and comments, then the digits.
int64_t integer_at(std::string_view text, size_t pos) {
  int64_t sign = 1;
  while (pos < text.size()) {
    char c = text[pos];
    if (c == '-' && pos + 1 < text.size() && text[pos + 1] == '-') {
      while (pos < text.size() && text[pos] != '\n') ++pos;  // -- comment
    } else if (c == '/' && pos + 1 < text.size() && text[pos + 1] == '*') {
      size_t end = text.find("*/", pos + 2);
      pos = end == std::string_view::npos ? text.size() : end + 2;
    } else if (c == '-') {
      sign = -sign;
      ++pos;
    } else if (c == '(' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '+') {
      ++pos;
    } else {
      break;
    }
  }
  int64_t v = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
    v = v * 10 + (text[pos++] - '0');
  return sign * v;
}

void fix_negative_integers(json& j, std::string_view text) {
  if (j.is_object()) {
    auto c = j.find("A_Const");
    if (c != j.end() && c->is_object()) {
      auto iv = c->find("ival");
      auto loc = c->find("location");
      if (iv != c->end() && iv->is_object() && !iv->contains("ival") && loc != c->end() &&
          loc->is_number()) {
        int l = loc->get<int>();
        if (l >= 0 && static_cast<size_t>(l) < text.size()) {
          int64_t v = integer_at(text, static_cast<size_t>(l));
          if (v != 0) (*iv)["ival"] = v;
        }
      }
    }
    for (auto& [k, v] : j.items()) fix_negative_integers(v, text);
  } else if (j.is_array()) {
    for (auto& v : j) fix_negative_integers(v, text);
  }
}

}  // namespace

result<std::vector<json>> pg_parse(std::string_view text) {
  std::string owned(text);
  PgQueryParseResult r = pg_query_parse(owned.c_str());
  if (r.error) {
    sql_error e{
        errc::syntax_error, r.error->message, byte_offset(text, r.error->cursorpos), {}, {}};
    pg_query_free_parse_result(r);
    return e;
  }
  json tree = json::parse(r.parse_tree, nullptr, false);
  pg_query_free_parse_result(r);
  if (tree.is_discarded()) return make_error(errc::internal, -1, "libpg_query returned bad JSON");
  fix_negative_integers(tree, text);
  std::vector<json> out;
  if (tree.contains("stmts"))
    for (auto& s : tree["stmts"]) out.push_back(s.contains("stmt") ? s["stmt"] : json::object());
  return out;
}

}  // namespace runnel::sql
