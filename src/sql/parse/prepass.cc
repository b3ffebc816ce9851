// The pre-pass: reads the streaming extensions that PostgreSQL's grammar
// cannot carry (CREATE SOURCE/SINK, WITH options with dotted keys, FORMAT
// ... ENCODE ..., WATERMARK FOR, INCLUDE, EMIT ON WINDOW CLOSE, FOR
// SYSTEM_TIME AS OF PROCTIME(), SUBSCRIBE, SHOW, DESCRIBE, FLUSH, FETCH
// ... WITH (timeout)), blanks them out of the text with spaces, and hands
// what is left to libpg_query. Blanking keeps every byte where it was, so
// positions in libpg_query's tree and errors are positions in the
// statement the user wrote.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "sql/parse/lexer.h"
#include "sql/parse/pg_parse.h"
#include "sql/parse/statement.h"
#include "sql/types/datetime.h"

namespace runnel::sql {

namespace {

class prepass {
 public:
  explicit prepass(std::string_view sql) : sql_(sql), text_(sql), toks_(lex(sql)) {}

  result<statement> run();

 private:
  const token& at(size_t i) const { return toks_[std::min(i, toks_.size() - 1)]; }
  const token& cur() const { return at(i_); }
  bool word(std::string_view w, size_t k = 0) const { return at(i_ + k).is_word(w); }
  bool accept(std::string_view w) {
    if (!word(w)) return false;
    ++i_;
    return true;
  }
  bool accept_punct(char c) {
    if (!cur().is_punct(c)) return false;
    ++i_;
    return true;
  }
  sql_error syntax(std::string_view what) const {
    const token& t = cur();
    if (t.what == token::kind::end)
      return make_error(errc::syntax_error, static_cast<int>(t.pos),
                        "syntax error at end of input ({})", what);
    return make_error(errc::syntax_error, static_cast<int>(t.pos),
                      "syntax error at or near \"{}\" ({})",
                      std::string_view(sql_).substr(t.pos, t.end - t.pos), what);
  }
  // Blanks tokens [from, to) out of the text handed to libpg_query.
  void blank(size_t from_tok, size_t to_tok) {
    if (from_tok >= to_tok) return;
    size_t b = at(from_tok).pos, e = at(to_tok - 1).end;
    blank_bytes(b, e);
  }
  void blank_bytes(size_t b, size_t e) {
    for (size_t k = b; k < e && k < text_.size(); ++k)
      if (text_[k] != '\n') text_[k] = ' ';
  }
  // The index of the ')' matching the '(' at token `open`.
  size_t matching(size_t open) const {
    int depth = 0;
    for (size_t k = open; k < toks_.size(); ++k) {
      if (toks_[k].is_punct('(')) ++depth;
      if (toks_[k].is_punct(')') && --depth == 0) return k;
    }
    return toks_.size() - 1;
  }
  result<std::string> name();      // an identifier, possibly qualified (the last part kept)
  result<with_options> options();  // ( key = value, ... ) at cur
  result<format_spec> format();    // FORMAT x ENCODE y [( ... )]
  result<json> parse_pg(bool want_query);
  void strip_common_extensions(statement& s);

  result<statement> create_source(statement s, bool is_table);
  result<statement> create_view(statement s);
  result<statement> create_sink(statement s);
  result<statement> drop(statement s);
  result<statement> alter(statement s);
  result<statement> show(statement s);
  result<statement> subscribe(statement s, bool in_declare);
  result<statement> fetch(statement s);

  std::string sql_;
  std::string text_;  // sql_ with the extensions blanked
  std::vector<token> toks_;
  size_t i_ = 0;
};

result<std::string> prepass::name() {
  const token& t = cur();
  if (t.what != token::kind::word && t.what != token::kind::quoted_ident) return syntax("a name");
  std::string n = t.text;
  ++i_;
  // schema.name and database.schema.name: only public (and pg_catalog) exist.
  while (cur().is_punct('.') &&
         (at(i_ + 1).what == token::kind::word || at(i_ + 1).what == token::kind::quoted_ident)) {
    n = at(i_ + 1).text;
    i_ += 2;
  }
  return n;
}

result<with_options> prepass::options() {
  with_options o;
  o.position = static_cast<int>(cur().pos);
  if (!accept_punct('(')) return syntax("expected (");
  if (accept_punct(')')) return o;
  while (true) {
    std::string key;
    while (true) {
      const token& t = cur();
      if (t.what != token::kind::word && t.what != token::kind::quoted_ident &&
          t.what != token::kind::string)
        return syntax("an option name");
      key += t.text;
      ++i_;
      if (!accept_punct('.')) break;
      key += '.';
    }
    if (!(cur().what == token::kind::op && cur().text == "=")) return syntax("expected =");
    ++i_;
    std::string value;
    if (cur().what == token::kind::op && cur().text == "-" &&
        at(i_ + 1).what == token::kind::number) {
      value = "-" + at(i_ + 1).text;
      i_ += 2;
    } else if (cur().what == token::kind::string || cur().what == token::kind::number ||
               cur().what == token::kind::word || cur().what == token::kind::quoted_ident) {
      value = cur().text;
      ++i_;
    } else {
      return syntax("an option value");
    }
    o.items.emplace_back(std::move(key), std::move(value));
    if (accept_punct(',')) continue;
    if (accept_punct(')')) return o;
    return syntax("expected , or )");
  }
}

result<format_spec> prepass::format() {
  format_spec f;
  f.position = static_cast<int>(cur().pos);
  if (!accept("format")) return syntax("expected FORMAT");
  if (cur().what != token::kind::word) return syntax("a format (PLAIN, UPSERT)");
  f.format = cur().text;
  ++i_;
  if (!accept("encode")) return syntax("expected ENCODE");
  if (cur().what != token::kind::word) return syntax("an encoding (JSON, CSV, BYTES)");
  f.encode = cur().text;
  ++i_;
  if (cur().is_punct('(')) {
    BOOST_OUTCOME_TRY(f.options, options());
  }
  return f;
}

result<json> prepass::parse_pg(bool want_query) {
  BOOST_OUTCOME_TRY(auto stmts, pg_parse(text_));
  if (stmts.empty()) return json();
  if (stmts.size() > 1) return make_error(errc::syntax_error, -1, "one statement expected");
  if (want_query && !stmts[0].contains("SelectStmt"))
    return make_error(errc::syntax_error, 0, "a query (SELECT ...) expected");
  return std::move(stmts[0]);
}

// EMIT ON WINDOW CLOSE and FOR SYSTEM_TIME AS OF PROCTIME(), wherever they are.
void prepass::strip_common_extensions(statement& s) {
  for (size_t k = 0; k + 2 < toks_.size(); ++k) {
    // Flink's window table functions: SESSION(TABLE t PARTITION BY k, ...),
    // TUMBLE(TABLE t, ...). TABLE is blanked and PARTITION BY becomes a
    // comma, so that the partition keys are arguments between the relation
    // and DESCRIPTOR(time) (binder: bind_from.cc).
    if ((toks_[k].is_word("session") || toks_[k].is_word("tumble") || toks_[k].is_word("hop")) &&
        toks_[k + 1].is_punct('(') && toks_[k + 2].is_word("table") && k + 3 < toks_.size() &&
        (toks_[k + 3].what == token::kind::word ||
         toks_[k + 3].what == token::kind::quoted_ident)) {
      blank(k + 2, k + 3);
      size_t j = k + 4;
      while (j + 1 < toks_.size() && toks_[j].is_punct('.')) j += 2;  // schema.name
      if (j + 1 < toks_.size() && toks_[j].is_word("partition") && toks_[j + 1].is_word("by")) {
        blank(j, j + 2);
        text_[toks_[j].pos] = ',';
      }
    }
    // Flink's plural interval units: INTERVAL '5' MINUTES.
    if (toks_[k].is_word("interval") && toks_[k + 1].what == token::kind::string &&
        toks_[k + 2].what == token::kind::word) {
      const std::string& u = toks_[k + 2].text;
      if (u == "seconds" || u == "minutes" || u == "hours" || u == "days") {
        size_t e = toks_[k + 2].end;
        text_[e - 1] = ' ';
      }
    }
    if (k + 3 >= toks_.size()) continue;
    if (toks_[k].is_word("emit") && toks_[k + 1].is_word("on") && toks_[k + 2].is_word("window") &&
        toks_[k + 3].is_word("close")) {
      s.emit_on_window_close = true;
      blank(k, k + 4);
    }
    if (k + 6 < toks_.size() && toks_[k].is_word("for") && toks_[k + 1].is_word("system_time") &&
        toks_[k + 2].is_word("as") && toks_[k + 3].is_word("of") &&
        toks_[k + 4].is_word("proctime") && toks_[k + 5].is_punct('(') &&
        toks_[k + 6].is_punct(')')) {
      s.temporal_joins.push_back(static_cast<int>(toks_[k].pos));
      blank(k, k + 7);
    }
  }
}

result<statement> prepass::run() {
  statement s;
  s.sql = sql_;
  strip_common_extensions(s);
  if (word("create")) {
    size_t k = 1;
    bool or_replace = at(1).is_word("or") && at(2).is_word("replace");
    if (or_replace) k = 3;
    if (at(k).is_word("source")) {
      i_ = k + 1;
      return create_source(std::move(s), false);
    }
    if (at(k).is_word("sink")) {
      i_ = k + 1;
      return create_sink(std::move(s));
    }
    if (at(k).is_word("table")) {
      // A table with a connector (WITH (connector = ...)) is a source kept
      // materialized; a plain CREATE TABLE is PostgreSQL's.
      for (size_t m = k; m + 2 < toks_.size(); ++m)
        if (toks_[m].is_word("connector") && toks_[m + 1].text == "=") {
          i_ = k + 1;
          return create_source(std::move(s), true);
        }
      for (size_t m = k; m + 1 < toks_.size(); ++m)
        if (toks_[m].is_word("format") && toks_[m + 2].is_word("encode")) {
          i_ = k + 1;
          return create_source(std::move(s), true);
        }
    }
    if (at(k).is_word("materialized") && at(k + 1).is_word("view")) {
      s.materialized = true;
      i_ = k + 2;
      return create_view(std::move(s));
    }
    if (at(k).is_word("view")) {
      i_ = k + 1;
      return create_view(std::move(s));
    }
  }
  if (word("drop")) {
    i_ = 1;
    return drop(std::move(s));
  }
  if (word("alter")) {
    i_ = 1;
    return alter(std::move(s));
  }
  if (word("show")) {
    i_ = 1;
    return show(std::move(s));
  }
  if (word("describe") || word("desc")) {
    i_ = 1;
    s.kind = stmt_kind::describe;
    s.name_pos = static_cast<int>(cur().pos);
    BOOST_OUTCOME_TRY(s.name, name());
    if (cur().what != token::kind::end && !cur().is_punct(';')) return syntax("end of statement");
    return s;
  }
  if (word("flush") && (at(1).what == token::kind::end || at(1).is_punct(';'))) {
    s.kind = stmt_kind::flush;
    return s;
  }
  if (word("subscribe")) {
    i_ = 1;
    return subscribe(std::move(s), false);
  }
  if (word("copy") && at(1).is_punct('(') && at(2).is_word("subscribe")) {
    // COPY (SUBSCRIBE ...) TO STDOUT [WITH] [( FORMAT text )]: the
    // SUBSCRIBE read alone, at its own positions.
    size_t close = matching(1);
    size_t b = at(2).pos, e = at(close).pos;
    std::string inner(b, ' ');
    inner += std::string_view(sql_).substr(b, e - b);
    prepass p(inner);
    BOOST_OUTCOME_TRY(auto sub, p.run());
    sub.subscribe_sql = sql_.substr(b, e - b);
    sub.sql = sql_;
    sub.copy_out = true;
    i_ = close + 1;
    if (!accept("to") || !accept("stdout")) return syntax("COPY (SUBSCRIBE ...) TO STDOUT");
    accept("with");
    if (cur().is_punct('(')) {
      size_t end = matching(i_);
      for (size_t k = i_ + 1; k < end; ++k)
        if (!toks_[k].is_word("format") && !toks_[k].is_word("text") && !toks_[k].is_punct(','))
          return make_error(errc::feature_not_supported, static_cast<int>(toks_[k].pos),
                            "COPY (SUBSCRIBE ...) TO STDOUT writes text only");
      i_ = end + 1;
    }
    if (cur().what != token::kind::end && !cur().is_punct(';')) return syntax("end of COPY");
    return sub;
  }
  if (word("declare")) {
    // DECLARE name [NO SCROLL] CURSOR [WITH[OUT] HOLD] FOR SUBSCRIBE ...|SELECT ...
    size_t k = 2;
    while (k < toks_.size() && !toks_[k].is_word("for")) ++k;
    if (k >= toks_.size()) {
      i_ = toks_.size() - 1;  // the end: FOR ... never came
      return syntax("CURSOR FOR SELECT ...");
    }
    if (at(k + 1).is_word("subscribe")) {
      s.kind = stmt_kind::declare;
      s.name = at(1).text;
      s.name_pos = static_cast<int>(at(1).pos);
      s.declare_subscribe = true;
      i_ = k + 2;
      return subscribe(std::move(s), true);
    }
    s.kind = stmt_kind::declare;
    s.name = at(1).text;
    s.name_pos = static_cast<int>(at(1).pos);
    // Between the name and FOR: [BINARY] [ASENSITIVE | INSENSITIVE] [[NO]
    // SCROLL] CURSOR [WITH | WITHOUT HOLD]. Rows are computed when the
    // cursor is declared (every cursor is insensitive) and go forward only.
    for (size_t j = 2; j < k; ++j) {
      const token& t = toks_[j];
      if (t.is_word("with") && at(j + 1).is_word("hold")) s.hold = true;
      if (t.is_word("binary"))
        return make_error(errc::feature_not_supported, static_cast<int>(t.pos),
                          "BINARY cursors are not supported: FETCH returns text, or binary "
                          "through the extended protocol's result formats");
      if (t.is_word("scroll") && !at(j - 1).is_word("no"))
        return make_error(errc::feature_not_supported, static_cast<int>(t.pos),
                          "SCROLL cursors are not supported: cursors fetch forward only");
    }
    blank(0, k + 1);
    BOOST_OUTCOME_TRY(s.node, parse_pg(true));
    return s;
  }
  if (word("fetch") || word("move")) {
    s.move = word("move");
    i_ = 1;
    return fetch(std::move(s));
  }
  if (word("close")) {
    s.kind = stmt_kind::close_cursor;
    i_ = 1;
    if (accept("all")) {
      s.name = "";
      return s;
    }
    BOOST_OUTCOME_TRY(s.name, name());
    return s;
  }
  s.kind = stmt_kind::pg;
  BOOST_OUTCOME_TRY(s.node, parse_pg(false));
  return s;
}

result<statement> prepass::create_source(statement s, bool is_table) {
  s.kind = stmt_kind::create_source;
  s.is_table = is_table;
  // CREATE [OR REPLACE] SOURCE|TABLE [IF NOT EXISTS] name [( columns )]
  //   [INCLUDE ...] [WITH ( options )] [FORMAT x ENCODE y [( options )]]
  size_t kw = i_ - 1;
  if (word("if") && at(i_ + 1).is_word("not") && at(i_ + 2).is_word("exists")) {
    s.if_not_exists = true;
    i_ += 3;
  }
  s.name_pos = static_cast<int>(cur().pos);
  size_t name_tok = i_;
  BOOST_OUTCOME_TRY(s.name, name());
  size_t name_end = i_;
  bool has_columns = cur().is_punct('(');
  if (has_columns) {
    size_t open = i_, close = matching(open);
    // WATERMARK FOR col AS expr elements, with one adjacent comma each.
    size_t elem_begin = open + 1;
    for (size_t k = open + 1, depth = 0; k <= close; ++k) {
      const token& t = toks_[k];
      bool boundary = depth == 0 && (t.is_punct(',') || k == close);
      if (t.is_punct('(')) ++depth;
      if (t.is_punct(')') && k != close) --depth;
      if (!boundary) continue;
      if (at(elem_begin).is_word("watermark") && at(elem_begin + 1).is_word("for")) {
        watermark_spec w;
        const token& col = at(elem_begin + 2);
        w.column = col.text;
        w.column_pos = static_cast<int>(col.pos);
        if (!at(elem_begin + 3).is_word("as")) {
          i_ = elem_begin + 3;
          return syntax("expected AS in WATERMARK FOR column AS expression");
        }
        size_t eb = at(elem_begin + 4).pos, ee = at(k - 1).end;
        // Parse the expression alone, then move its positions to where it is.
        std::string padded(eb, ' ');
        padded += std::string_view(sql_).substr(eb, ee - eb);
        BOOST_OUTCOME_TRY(w.expr, parse_expression(padded));
        s.watermarks.push_back(std::move(w));
        // Blank the element and the comma after it (or before it, if last).
        size_t from = elem_begin, to = k;
        if (t.is_punct(',')) {
          to = k + 1;
        } else if (elem_begin - 1 > open) {
          from = elem_begin - 1;  // the comma before
        }
        blank(from, to);
      }
      elem_begin = k + 1;
    }
    i_ = close + 1;
  }
  size_t tail = i_;
  while (accept("include")) {
    include_spec inc;
    inc.position = static_cast<int>(at(i_ - 1).pos);
    if (cur().what != token::kind::word)
      return syntax("key, partition, offset, timestamp, header or headers");
    inc.what = cur().text;
    ++i_;
    if (inc.what == "header") {
      // INCLUDE header 'name' [varchar | bytea]: one header; INCLUDE header
      // alone (RisingWave's spelling) is all of them, as INCLUDE headers.
      if (cur().what == token::kind::string) {
        inc.header = cur().text;
        ++i_;
        if (word("varchar") || word("bytea") || word("text")) {
          inc.type = cur().text;
          ++i_;
        }
      } else {
        inc.what = "headers";
      }
    }
    if (accept("as")) {
      if (cur().what != token::kind::word && cur().what != token::kind::quoted_ident)
        return syntax("an alias");
      inc.alias = cur().text;
      ++i_;
    }
    s.includes.push_back(std::move(inc));
  }
  if (accept("with")) {
    BOOST_OUTCOME_TRY(s.with, options());
  }
  if (word("format")) {
    BOOST_OUTCOME_TRY(s.format, format());
  }
  if (cur().what != token::kind::end && !cur().is_punct(';')) return syntax("end of CREATE SOURCE");
  blank(tail, i_);
  if (!has_columns) {
    s.node = json::object({{"CreateStmt", json::object()}});
    return s;
  }
  // What is left is CREATE TABLE name (columns): PostgreSQL's.
  blank(0, name_tok);
  std::string head = "CREATE TABLE ";
  if (at(name_tok).pos < head.size()) return syntax("CREATE SOURCE");
  (void)kw;
  // Write "CREATE TABLE" into the blanked head, ending just before the name.
  size_t start = at(name_tok).pos - head.size();
  text_.replace(start, head.size(), head);
  (void)name_end;
  BOOST_OUTCOME_TRY(s.node, parse_pg(false));
  if (!s.node.contains("CreateStmt"))
    return make_error(errc::syntax_error, 0, "CREATE SOURCE expected");
  return s;
}

result<statement> prepass::create_view(statement s) {
  s.kind = stmt_kind::create_view;
  BOOST_OUTCOME_TRY(auto node, parse_pg(false));
  // PostgreSQL's tree: ViewStmt (CREATE VIEW) or CreateTableAsStmt (CREATE
  // MATERIALIZED VIEW); both hold the query.
  if (node.contains("ViewStmt")) {
    auto& v = node["ViewStmt"];
    s.name = v["view"]["relname"];
    s.name_pos = v["view"].value("location", -1);
    s.node = v["query"];
    if (v.contains("aliases"))
      for (auto& a : v["aliases"]) s.column_names.push_back(a["String"]["sval"]);
  } else if (node.contains("CreateTableAsStmt")) {
    auto& v = node["CreateTableAsStmt"];
    auto& into = v["into"];
    s.name = into["rel"]["relname"];
    s.name_pos = into["rel"].value("location", -1);
    s.if_not_exists = v.value("if_not_exists", false);
    s.node = v["query"];
    if (into.contains("colNames"))
      for (auto& a : into["colNames"]) s.column_names.push_back(a["String"]["sval"]);
  } else {
    return make_error(errc::syntax_error, 0, "CREATE VIEW expected");
  }
  if (s.emit_on_window_close && !s.materialized)
    return make_error(errc::feature_not_supported, 0,
                      "EMIT ON WINDOW CLOSE needs a materialized view");
  return s;
}

result<statement> prepass::create_sink(statement s) {
  s.kind = stmt_kind::create_sink;
  // CREATE SINK [IF NOT EXISTS] name FROM relation | AS query
  //   WITH ( options ) [FORMAT x ENCODE y [( options )]]
  if (word("if") && at(i_ + 1).is_word("not") && at(i_ + 2).is_word("exists")) {
    s.if_not_exists = true;
    i_ += 3;
  }
  s.name_pos = static_cast<int>(cur().pos);
  BOOST_OUTCOME_TRY(s.name, name());
  size_t query_begin = 0, query_end = 0;
  if (accept("from")) {
    s.from_pos = static_cast<int>(cur().pos);
    BOOST_OUTCOME_TRY(s.from, name());
  } else if (accept("as")) {
    query_begin = i_;
    // The query runs to the WITH that starts the options: the last WITH at
    // depth 0 followed by "(" and "connector".
    size_t k = i_;
    int depth = 0;
    size_t with_at = 0;
    for (; k < toks_.size(); ++k) {
      if (toks_[k].is_punct('(')) ++depth;
      if (toks_[k].is_punct(')')) --depth;
      if (depth == 0 && toks_[k].is_word("with") && at(k + 1).is_punct('(')) with_at = k;
    }
    if (with_at == 0) return syntax("CREATE SINK ... AS query WITH (connector = ...)");
    query_end = with_at;
    i_ = with_at;
  } else {
    return syntax("expected FROM or AS");
  }
  size_t tail = i_;
  if (!accept("with")) return syntax("expected WITH (connector = ...)");
  BOOST_OUTCOME_TRY(s.with, options());
  if (word("format")) {
    BOOST_OUTCOME_TRY(s.format, format());
  }
  if (cur().what != token::kind::end && !cur().is_punct(';')) return syntax("end of CREATE SINK");
  if (query_end > query_begin) {
    blank(0, query_begin);
    blank(tail, i_);
    BOOST_OUTCOME_TRY(s.node, parse_pg(true));
  }
  return s;
}

result<statement> prepass::drop(statement s) {
  s.kind = stmt_kind::drop;
  if (accept("materialized")) {
    if (!accept("view")) return syntax("expected VIEW");
    s.object_kind = "materialized view";
  } else if (word("table") || word("source") || word("sink") || word("view")) {
    s.object_kind = cur().text;
    ++i_;
  } else {
    // Anything else (DROP INDEX, ...) goes to PostgreSQL's grammar and is
    // refused by the planner with a proper message.
    s.kind = stmt_kind::pg;
    BOOST_OUTCOME_TRY(s.node, parse_pg(false));
    return s;
  }
  if (word("if") && at(i_ + 1).is_word("exists")) {
    s.if_exists = true;
    i_ += 2;
  }
  while (true) {
    if (s.names.empty()) s.name_pos = static_cast<int>(cur().pos);
    BOOST_OUTCOME_TRY(auto n, name());
    s.names.push_back(std::move(n));
    if (!accept_punct(',')) break;
  }
  if (accept("cascade"))
    s.cascade = true;
  else
    accept("restrict");
  if (cur().what != token::kind::end && !cur().is_punct(';')) return syntax("end of DROP");
  s.name = s.names.front();
  return s;
}

result<statement> prepass::alter(statement s) {
  s.kind = stmt_kind::alter_rename;
  if (accept("materialized")) {
    if (!accept("view")) return syntax("expected VIEW");
    s.object_kind = "materialized view";
  } else if (word("table") || word("source") || word("sink") || word("view")) {
    s.object_kind = cur().text;
    ++i_;
  } else {
    return make_error(
        errc::feature_not_supported, static_cast<int>(cur().pos),
        "only ALTER TABLE|SOURCE|SINK|VIEW|MATERIALIZED VIEW ... RENAME TO is supported");
  }
  if (word("if") && at(i_ + 1).is_word("exists")) {
    s.if_exists = true;
    i_ += 2;
  }
  s.name_pos = static_cast<int>(cur().pos);
  BOOST_OUTCOME_TRY(s.name, name());
  if (!accept("rename"))
    return make_error(errc::feature_not_supported, static_cast<int>(cur().pos),
                      "only ALTER ... RENAME TO is supported");
  if (!word("to")) {
    // RENAME [COLUMN] column TO new_name
    accept("column");
    s.column_pos = static_cast<int>(cur().pos);
    BOOST_OUTCOME_TRY(s.column, name());
  }
  if (!accept("to")) return syntax("expected TO");
  BOOST_OUTCOME_TRY(s.new_name, name());
  if (cur().what != token::kind::end && !cur().is_punct(';')) return syntax("end of ALTER");
  return s;
}

result<statement> prepass::show(statement s) {
  s.kind = stmt_kind::show;
  if (word("materialized") && at(i_ + 1).is_word("views")) {
    s.show_what = "materialized views";
    i_ += 2;
  } else if (word("tables") || word("sources") || word("sinks") || word("views") ||
             word("cursors") || word("stats")) {
    s.show_what = cur().text;
    ++i_;
  } else if (word("processes")) {  // --share: who runs what
    s.show_what = "processes";
    ++i_;
  } else if (word("columns") && (at(i_ + 1).is_word("from") || at(i_ + 1).is_word("in"))) {
    s.show_what = "columns";
    i_ += 2;
    s.name_pos = static_cast<int>(cur().pos);
    BOOST_OUTCOME_TRY(s.show_arg, name());
  } else if (word("create")) {
    ++i_;
    s.show_what = "create";
    if (accept("materialized"))
      accept("view");
    else if (word("table") || word("source") || word("sink") || word("view"))
      ++i_;
    s.name_pos = static_cast<int>(cur().pos);
    BOOST_OUTCOME_TRY(s.show_arg, name());
  } else if (word("all")) {
    s.show_what = "all";
    ++i_;
  } else {
    // SHOW setting: PostgreSQL's grammar knows these (SHOW TIME ZONE, ...).
    s.kind = stmt_kind::pg;
    BOOST_OUTCOME_TRY(s.node, parse_pg(false));
    return s;
  }
  if (cur().what != token::kind::end && !cur().is_punct(';')) return syntax("end of SHOW");
  return s;
}

result<statement> prepass::subscribe(statement s, bool in_declare) {
  if (!in_declare) {
    s.kind = stmt_kind::subscribe;
    s.subscribe_sql = std::string(sql_).substr(toks_.front().pos);
  }
  accept("to");
  if (cur().is_punct('(')) {
    size_t open = i_, close = matching(open);
    blank(0, open + 1);
    blank(close, toks_.size() - 1);
    i_ = close + 1;
    BOOST_OUTCOME_TRY(s.node, parse_pg(true));
  } else {
    s.from_pos = static_cast<int>(cur().pos);
    BOOST_OUTCOME_TRY(s.from, name());
  }
  if (cur().what != token::kind::end && !cur().is_punct(';')) return syntax("end of SUBSCRIBE");
  return s;
}

result<statement> prepass::fetch(statement s) {
  s.kind = stmt_kind::fetch;
  // FETCH [NEXT | FORWARD [n | ALL] | n | ALL] [FROM | IN] cursor
  // [WITH (timeout = '1s')]; MOVE the same. Cursors go forward only.
  for (auto w : {"prior", "first", "last", "absolute", "relative", "backward"})
    if (cur().is_word(w))
      return make_error(errc::feature_not_supported, static_cast<int>(cur().pos),
                        "FETCH {} is not supported: cursors fetch forward only", cur().text);
  if (!accept("next")) accept("forward");
  if (accept("all")) {
    s.fetch_count = -1;
  } else if (cur().what == token::kind::number) {
    auto [p, ec] =
        std::from_chars(cur().text.data(), cur().text.data() + cur().text.size(), s.fetch_count);
    if (ec != std::errc() || p != cur().text.data() + cur().text.size())
      return syntax("a row count");
    ++i_;
  } else if (cur().what == token::kind::op && cur().text == "-") {
    return make_error(errc::feature_not_supported, static_cast<int>(cur().pos),
                      "FETCH of a negative count is not supported: cursors fetch forward only");
  }
  if (!accept("from")) accept("in");
  s.name_pos = static_cast<int>(cur().pos);
  BOOST_OUTCOME_TRY(s.name, name());
  if (accept("with")) {
    BOOST_OUTCOME_TRY(auto o, options());
    if (auto t = o.get("timeout")) {
      // '1s', '500ms', '2 seconds', 0: through the interval parser.
      auto iv = dt::parse_interval(*t, interval_unit::second);
      if (!iv || iv->months != 0 || dt::interval_micros(*iv) < 0)
        return make_error(errc::invalid_parameter, o.position, "invalid FETCH timeout \"{}\"", *t);
      s.timeout_ms = static_cast<int64_t>(dt::interval_micros(*iv) / 1000);
    }
  }
  if (cur().what != token::kind::end && !cur().is_punct(';')) return syntax("end of FETCH");
  return s;
}

}  // namespace

result<std::vector<statement>> parse_sql(std::string_view query) {
  // Statements end at semicolons outside parentheses (the lexer already
  // skips those in strings and comments). libpg_query's scanner-based split
  // drops statements without PostgreSQL keywords (FLUSH, DESCRIBE x).
  std::vector<std::pair<size_t, size_t>> spans;
  {
    auto toks = lex(query);
    size_t begin = std::string_view::npos;
    int depth = 0;
    for (const auto& t : toks) {
      if (t.what == token::kind::end || (depth == 0 && t.is_punct(';'))) {
        if (begin != std::string_view::npos) spans.emplace_back(begin, t.pos);
        begin = std::string_view::npos;
        continue;
      }
      if (t.is_punct('(')) ++depth;
      if (t.is_punct(')')) depth = std::max(0, depth - 1);
      if (begin == std::string_view::npos) begin = t.pos;
    }
  }
  std::vector<statement> out;
  for (auto [b, e] : spans) {
    std::string_view text = query.substr(b, e - b);
    // The statement without its trailing semicolon.
    while (!text.empty() &&
           (text.back() == ';' || std::isspace(static_cast<unsigned char>(text.back()))))
      text.remove_suffix(1);
    prepass p(text);
    auto r = p.run();
    if (!r) {
      auto err = r.error();
      if (err.position >= 0) err.position += static_cast<int>(b);
      return err;
    }
    r.value().offset = b;
    if (r.value().kind == stmt_kind::pg && r.value().node.is_null()) continue;  // only comments
    out.push_back(std::move(r.value()));
  }
  return out;
}

result<json> parse_expression(std::string_view expr) {
  // SELECT <expr>: the expression starts 7 bytes in.
  std::string text = "SELECT " + std::string(expr);
  auto r = pg_parse(text);
  if (!r) {
    auto e = r.error();
    if (e.position >= 7) e.position -= 7;
    return e;
  }
  auto& stmts = r.value();
  if (stmts.size() != 1 || !stmts[0].contains("SelectStmt"))
    return make_error(errc::syntax_error, 0, "an expression expected");
  auto& targets = stmts[0]["SelectStmt"]["targetList"];
  if (targets.size() != 1) return make_error(errc::syntax_error, 0, "one expression expected");
  json e = targets[0]["ResTarget"]["val"];
  // Shift every location back by the 7 bytes of "SELECT ".
  std::function<void(json&)> shift = [&](json& j) {
    if (j.is_object()) {
      for (auto& [k, v] : j.items()) {
        if (k == "location" && v.is_number_integer() && v.get<int>() >= 7)
          v = v.get<int>() - 7;
        else
          shift(v);
      }
    } else if (j.is_array()) {
      for (auto& v : j) shift(v);
    }
  };
  shift(e);
  return e;
}

}  // namespace runnel::sql
