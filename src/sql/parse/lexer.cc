#include "sql/parse/lexer.h"

#include <cctype>

namespace runnel::sql {

namespace {

bool ident_start(unsigned char c) {
  return std::isalpha(c) || c == '_' || c >= 0x80;
}
bool ident_char(unsigned char c) {
  return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

}  // namespace

std::vector<token> lex(std::string_view s) {
  std::vector<token> out;
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      while (i < n && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      int depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
      if (depth > 0) break;
      continue;
    }
    // Built in place: a local token moved into the vector trips GCC 12's
    // -Wmaybe-uninitialized on std::string's small buffer.
    out.emplace_back();
    token& t = out.back();
    t.pos = i;
    bool escape_string = (c == 'e' || c == 'E') && i + 1 < n && s[i + 1] == '\'';
    if (c == '\'' || escape_string) {
      if (escape_string) ++i;
      ++i;
      t.what = token::kind::string;
      bool closed = false;
      while (i < n) {
        if (s[i] == '\'') {
          if (i + 1 < n && s[i + 1] == '\'') {
            t.text += '\'';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (escape_string && s[i] == '\\' && i + 1 < n) {
          char e = s[i + 1];
          t.text += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
          i += 2;
          continue;
        }
        t.text += s[i++];
      }
      if (!closed) {
        out.pop_back();
        break;
      }
    } else if (c == '"') {
      ++i;
      t.what = token::kind::quoted_ident;
      bool closed = false;
      while (i < n) {
        if (s[i] == '"') {
          if (i + 1 < n && s[i + 1] == '"') {
            t.text += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        t.text += s[i++];
      }
      if (!closed) {
        out.pop_back();
        break;
      }
    } else if (c == '$' && i + 1 < n &&
               (s[i + 1] == '$' || ident_start(static_cast<unsigned char>(s[i + 1])))) {
      // $tag$ ... $tag$ (a dollar-quoted string), or $1 (a parameter: below).
      size_t j = i + 1;
      while (j < n && s[j] != '$' && ident_char(static_cast<unsigned char>(s[j]))) ++j;
      if (j < n && s[j] == '$') {
        std::string tag(s.substr(i, j - i + 1));
        size_t close = s.find(tag, j + 1);
        if (close == std::string_view::npos) {
          out.pop_back();
          break;
        }
        t.what = token::kind::string;
        t.text = std::string(s.substr(j + 1, close - j - 1));
        i = close + tag.size();
      } else {
        t.what = token::kind::op;
        t.text = "$";
        ++i;
      }
    } else if (ident_start(c)) {
      t.what = token::kind::word;
      while (i < n && ident_char(static_cast<unsigned char>(s[i]))) {
        t.text += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
        ++i;
      }
    } else if (std::isdigit(c) ||
               (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      t.what = token::kind::number;
      while (i < n && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      t.text = std::string(s.substr(t.pos, i - t.pos));
    } else if (c == '$') {
      t.what = token::kind::op;
      ++i;
      while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      t.text = std::string(s.substr(t.pos, i - t.pos));
    } else if (std::string_view("(),;[].:").find(static_cast<char>(c)) != std::string_view::npos) {
      t.what = token::kind::punct;
      t.text = std::string(1, static_cast<char>(c));
      ++i;
      if (c == ':' && i < n && s[i] == ':') {  // ::
        t.what = token::kind::op;
        t.text = "::";
        ++i;
      }
    } else {
      t.what = token::kind::op;
      while (i < n && std::string_view("+-*/<>=~!@#%^&|`?").find(s[i]) != std::string_view::npos) {
        if (s[i] == '-' && i + 1 < n && s[i + 1] == '-') break;
        if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') break;
        t.text += s[i++];
      }
      if (t.text.empty()) t.text = std::string(1, s[i++]);
    }
    t.end = i;
  }
  out.emplace_back();
  out.back().pos = out.back().end = n;
  return out;
}

}  // namespace runnel::sql
