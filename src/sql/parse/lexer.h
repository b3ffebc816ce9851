// lexer: splits SQL text into tokens with their byte positions, the way
// PostgreSQL's scanner does for what the pre-pass needs: words (keywords and
// identifiers, folded to lower case unless quoted), string literals ('',
// E'', $$), numbers, operators and punctuation. Comments and whitespace are
// skipped. The pre-pass (prepass.h) walks these tokens to find the
// streaming extensions that PostgreSQL's grammar cannot carry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace runnel::sql {

struct token {
  enum class kind { word, quoted_ident, string, number, op, punct, end };
  kind what = kind::end;
  std::string text;  // words lower-cased; strings and quoted idents unescaped
  size_t pos = 0;    // byte offset of the first character
  size_t end = 0;    // byte offset after the last character

  bool is_word(std::string_view w) const { return what == kind::word && text == w; }
  bool is_punct(char c) const { return what == kind::punct && text.size() == 1 && text[0] == c; }
};

// Every token of `sql`, then one `end` token. An unterminated string or
// comment ends the list early (PostgreSQL's parser reports it).
std::vector<token> lex(std::string_view sql);

}  // namespace runnel::sql
