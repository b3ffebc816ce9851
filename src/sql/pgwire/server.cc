#include "sql/pgwire/server.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <list>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#include <sys/socket.h>

#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "sql/parse/lexer.h"
#include "sql/parse/pg_parse.h"
#include "sql/pgwire/params.h"
#include "sql/pgwire/sqlstate.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr int32_t protocol_3 = 196608;     // 3.0
constexpr int32_t ssl_request = 80877103;  // 1234.5679
constexpr int32_t gss_request = 80877104;  // 1234.5680
constexpr int32_t cancel_request = 80877102;
// A message larger than this is a broken or hostile client, not a query.
constexpr int32_t max_message = 64 << 20;

// One outgoing message: a type byte, then a length that counts itself.
class message {
 public:
  explicit message(char type) { buf_.push_back(type), buf_.append(4, '\0'); }
  message& i16(int16_t v) {
    for (int s = 8; s >= 0; s -= 8) buf_.push_back(static_cast<char>((v >> s) & 0xff));
    return *this;
  }
  message& i32(int32_t v) {
    for (int s = 24; s >= 0; s -= 8) buf_.push_back(static_cast<char>((v >> s) & 0xff));
    return *this;
  }
  message& str(std::string_view s) {
    buf_.append(s);
    buf_.push_back('\0');
    return *this;
  }
  message& bytes(std::string_view s) {
    buf_.append(s);
    return *this;
  }
  void append_to(std::string& out) {
    uint32_t len = static_cast<uint32_t>(buf_.size() - 1);
    for (int i = 0; i < 4; ++i)
      buf_[1 + static_cast<size_t>(i)] = static_cast<char>((len >> (24 - 8 * i)) & 0xff);
    out += buf_;
  }

 private:
  std::string buf_;
};

int32_t be32(const char* p) {
  return static_cast<int32_t>((uint32_t(uint8_t(p[0])) << 24) | (uint32_t(uint8_t(p[1])) << 16) |
                              (uint32_t(uint8_t(p[2])) << 8) | uint32_t(uint8_t(p[3])));
}

// Reads the fields of one incoming message; any read past its end fails
// the message (a protocol violation), never the process.
class reader {
 public:
  explicit reader(std::string_view b) : b_(b) {}
  bool ok() const { return ok_; }
  std::string_view cstr() {
    size_t nul = b_.find('\0', at_);
    if (nul == std::string_view::npos) return fail();
    auto v = b_.substr(at_, nul - at_);
    at_ = nul + 1;
    return v;
  }
  int32_t i32() {
    if (b_.size() - at_ < 4) return fail(), 0;
    int32_t v = be32(b_.data() + at_);
    at_ += 4;
    return v;
  }
  int16_t i16() {
    if (b_.size() - at_ < 2) return fail(), 0;
    auto v = static_cast<int16_t>((uint16_t(uint8_t(b_[at_])) << 8) | uint8_t(b_[at_ + 1]));
    at_ += 2;
    return v;
  }
  std::string_view bytes(size_t n) {
    if (b_.size() - at_ < n) return fail();
    auto v = b_.substr(at_, n);
    at_ += n;
    return v;
  }
  char byte() {
    if (at_ >= b_.size()) return fail(), '\0';
    return b_[at_++];
  }

 private:
  std::string_view fail() {
    ok_ = false;
    at_ = b_.size();
    return {};
  }
  std::string_view b_;
  size_t at_ = 0;
  bool ok_ = true;
};

// The settings of a StartupMessage (`buf`: the protocol version, then
// name and value strings up to an empty name): each parameter as given,
// and each `-c name=value` or `--name=value` of `options` (words split at
// spaces that no backslash escapes, as libpq writes them).
std::vector<std::pair<std::string, std::string>> startup_settings(const std::string& buf) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t p = 4;
  auto cstr = [&](std::string& v) {
    size_t end = buf.find('\0', p);
    if (end == std::string::npos) return false;
    v.assign(buf, p, end - p);
    p = end + 1;
    return true;
  };
  std::string name, value;
  while (cstr(name) && !name.empty() && cstr(value)) {
    if (name != "options") {
      out.emplace_back(name, value);
      continue;
    }
    std::vector<std::string> words(1);
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\\' && i + 1 < value.size()) {
        words.back() += value[++i];
      } else if (value[i] == ' ' || value[i] == '\t') {
        if (!words.back().empty()) words.emplace_back();
      } else {
        words.back() += value[i];
      }
    }
    for (size_t i = 0; i < words.size(); ++i) {
      std::string w = words[i];
      if (w == "-c" && i + 1 < words.size())
        w = words[++i];
      else if (w.starts_with("-c"))
        w.erase(0, 2);
      else if (w.starts_with("--"))
        w.erase(0, 2);
      else
        continue;
      size_t eq = w.find('=');
      if (eq == std::string::npos) continue;
      std::string key = w.substr(0, eq);
      std::replace(key.begin(), key.end(), '-', '_');
      out.emplace_back(key, w.substr(eq + 1));
    }
  }
  return out;
}

// The format code of result column `i` from Bind's list (none: all text;
// one: all columns; else one each).
int16_t format_of(const std::vector<int16_t>& formats, size_t i) {
  if (formats.empty()) return 0;
  if (formats.size() == 1) return formats[0];
  return i < formats.size() ? formats[i] : 0;
}

// Statements that only read, which Describe of a prepared statement may
// run once (with NULL parameters) to learn the columns it returns.
// DEALLOCATE [PREPARE] name | ALL: the prepared statement it drops ("" for
// all of them). The server keeps prepared statements, so it drops them;
// the engine only answers the command tag. psycopg sends DEALLOCATE ALL
// after a ROLLBACK.
std::optional<std::string> deallocated(std::string_view query) {
  auto toks = lex(query);  // ends with an `end` token
  if (toks.size() < 2 || !toks[0].is_word("deallocate")) return std::nullopt;
  size_t i = toks[1].is_word("prepare") ? 2 : 1;
  if (i >= toks.size()) return std::nullopt;
  if (toks[i].is_word("all")) return std::string();
  if (toks[i].what == token::kind::word || toks[i].what == token::kind::quoted_ident)
    return toks[i].text;
  return std::nullopt;
}

bool reads_only(std::string_view query) {
  auto toks = lex(query);
  if (toks.empty()) return false;
  for (auto w : {"select", "with", "values", "show", "describe", "explain", "table", "subscribe"})
    if (toks[0].is_word(w)) return true;
  return false;
}

}  // namespace

struct pg_server::impl {
  engine& eng;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::mutex conns_mu;
  std::list<std::pair<std::shared_ptr<tcp::socket>, std::thread>> conns;
  std::atomic<bool> stopping{false};
  std::atomic<int32_t> next_pid{1};
  // BackendKeyData of live connections: pid -> (secret, engine session),
  // what a CancelRequest must match.
  std::mutex keys_mu;
  std::unordered_map<int32_t, std::pair<int32_t, uint64_t>> keys;
  std::random_device rng;
  std::atomic<uint64_t> next_session{1};

  explicit impl(engine& e) : eng(e) {}

  void accept_loop() {
    while (!stopping) {
      auto sock = std::make_shared<tcp::socket>(io);
      boost::system::error_code ec;
      acceptor.accept(*sock, ec);
      if (ec) {
        if (stopping) return;
        continue;
      }
      std::lock_guard lock(conns_mu);
      conns.emplace_back(sock, std::thread([this, sock] {
                           uint64_t session = next_session++;
                           serve(*sock, session);
                           eng.close_session(session);  // its cursors go with it
                         }));
    }
  }

  // Reads exactly n bytes; false when the client is gone.
  static bool read_n(tcp::socket& s, std::string& buf, size_t n) {
    buf.resize(n);
    boost::system::error_code ec;
    asio::read(s, asio::buffer(buf.data(), n), ec);
    return !ec;
  }
  static bool send(tcp::socket& s, const std::string& out) {
    boost::system::error_code ec;
    asio::write(s, asio::buffer(out), ec);
    return !ec;
  }

  static void error_message(const sql_error& e, std::string_view query, std::string& out) {
    message m('E');
    m.bytes("S")
        .str("ERROR")
        .bytes("V")
        .str("ERROR")
        .bytes("C")
        .str(sqlstate(e.code))
        .bytes("M")
        .str(e.message);
    if (e.position >= 0) m.bytes("P").str(std::to_string(char_position(query, e.position)));
    if (!e.detail.empty()) m.bytes("D").str(e.detail);
    if (!e.hint.empty()) m.bytes("H").str(e.hint);
    m.bytes(std::string_view("\0", 1));
    m.append_to(out);
  }

  // The statement's warnings, as NoticeResponses before its result.
  static void warning_messages(const statement_result& r, std::string& out) {
    for (const auto& w : r.warnings) {
      message m('N');
      m.bytes("S").str("WARNING").bytes("V").str("WARNING").bytes("C").str(sqlstate(w.code));
      m.bytes("M").str(w.message);
      m.bytes(std::string_view("\0", 1));
      m.append_to(out);
    }
  }

  static void row_description(const statement_result& r, const std::vector<int16_t>& formats,
                              std::string& out) {
    message t('T');
    t.i16(static_cast<int16_t>(r.columns.size()));
    for (size_t i = 0; i < r.columns.size(); ++i) {
      const auto& c = r.columns[i];
      t.str(c.name).i32(0).i16(0).i32(static_cast<int32_t>(type_oid(c.type)));
      t.i16(type_wire_length(c.type.id)).i32(-1).i16(format_of(formats, i));
    }
    t.append_to(out);
  }

  // DataRows for rows [from, from + max) of `r` counting each row as many
  // times as its weight (max < 0: all). Returns how many it sent, or an
  // error for a binary format this server cannot write.
  static result<size_t> data_rows(const statement_result& r, const std::vector<int16_t>& formats,
                                  size_t from, int64_t max, std::string& out) {
    std::string text, one;
    size_t seen = 0, sent = 0;
    for (size_t i = 0; i < r.rows.size(); ++i) {
      auto w = static_cast<size_t>(std::max<int64_t>(r.rows.weight(i), 0));
      if (seen + w <= from) {
        seen += w;
        continue;
      }
      message d('D');
      d.i16(static_cast<int16_t>(r.columns.size()));
      for (size_t c = 0; c < r.columns.size(); ++c) {
        const datum& v = r.rows.row(i)[c];
        if (v.is_null()) {
          d.i32(-1);
          continue;
        }
        text.clear();
        if (format_of(formats, c) == 1) {
          if (!append_binary(r.columns[c].type, v, text))
            return make_error(errc::feature_not_supported, -1,
                              "the binary format of type {} is not supported: ask for text",
                              type_name(r.columns[c].type));
        } else {
          append_text(r.columns[c].type, v, text);
        }
        d.i32(static_cast<int32_t>(text.size())).bytes(text);
      }
      one.clear();
      d.append_to(one);
      for (size_t n = seen < from ? from - seen : 0; n < w; ++n) {
        if (max >= 0 && static_cast<int64_t>(sent) >= max) return sent;
        out += one;
        ++sent;
      }
      seen += w;
    }
    return sent;
  }

  void result_messages(const statement_result& r, std::string& out) {
    warning_messages(r, out);
    if (!r.columns.empty()) {
      row_description(r, {}, out);
      (void)data_rows(r, {}, 0, -1, out);
    }
    message('C').str(r.tag).append_to(out);
  }

  // The extended query protocol's objects of one connection.
  struct prepared {
    std::string query;
    std::vector<uint32_t> oids;  // declared parameter types (0: unspecified)
    // Each parameter's type as ParameterDescription reports it: declared, or
    // inferred from its context (engine::param_types). A driver encodes its
    // values as these types (pgx, pgJDBC), in binary for most.
    std::vector<uint32_t> types;
    int params = 0;
  };
  struct portal {
    std::string sql;  // the statement with its parameters written in
    std::vector<int16_t> formats;
    std::optional<statement_result> result;  // once run (by Describe or Execute)
    bool empty = false;                      // an empty query
    size_t sent = 0;                         // rows Execute sent so far
    // A SUBSCRIBE: the session's stream (engine::stream_changes) is this
    // portal's while it is set; `result` holds its columns, `pending` the
    // change rows one Execute's row limit left for the next.
    bool streaming = false;
    std::optional<statement_result> pending;
  };
  struct session {
    std::unordered_map<std::string, prepared> stmts;
    std::unordered_map<std::string, portal> portals;
    std::string failed_query;  // a Parse that failed: what its error points into
    uint64_t id = 0;           // the engine session: cursors are per connection
    // An Execute of a SUBSCRIBE portal, for serve() to stream: the portal
    // and the row limit (0: none).
    std::optional<std::pair<std::string, int32_t>> execute_stream;
  };

  // Forgets a portal; a SUBSCRIBE's stream ends with it.
  void drop_portal(session& ses, const std::string& name) {
    auto it = ses.portals.find(name);
    if (it == ses.portals.end()) return;
    if (it->second.streaming) eng.end_stream(ses.id);
    ses.portals.erase(it);
  }

  // Runs a portal's statement once; its rows wait for Execute. A SUBSCRIBE
  // starts the session's stream, which Execute sends as it comes.
  result<void> run_portal(portal& p, session& ses) {
    uint64_t session_id = ses.id;
    if (p.result || p.empty) return outcome::success();
    if (p.sql.find_first_not_of(" \t\r\n;") == std::string::npos) {
      p.empty = true;
      return outcome::success();
    }
    std::vector<statement_result> rs;
    { BOOST_OUTCOME_TRY(rs, eng.execute(p.sql, 0, session_id)); }
    if (rs.size() != 1)
      return make_error(errc::syntax_error, -1,
                        "cannot insert multiple commands into a prepared statement");
    if (rs[0].streams) {
      // The engine has one stream per session: another portal's ends.
      for (auto& [name, other] : ses.portals)
        if (&other != &p && other.streaming) {
          other.streaming = false;
          other.pending.reset();
        }
      p.streaming = true;
    }
    p.result = std::move(rs[0]);
    return outcome::success();
  }

  // Parse, Bind, Describe, Execute and Close. `query` is set to the text
  // an error's position points into.
  result<void> extended(session& ses, char type, const std::string& buf, std::string& out,
                        std::string_view& query) {
    reader in(buf);
    auto violation = [&] {
      return make_error(errc::protocol_violation, -1, "malformed '{}' message", type);
    };
    auto describe_result = [&](const portal& p, const std::vector<int16_t>& formats) {
      if (p.empty || p.result->columns.empty())
        message('n').append_to(out);  // NoData
      else
        row_description(*p.result, formats, out);
    };
    switch (type) {
      case 'P': {  // Parse
        std::string name(in.cstr());
        std::string q(in.cstr());
        int16_t n = in.i16();
        prepared p;
        for (int i = 0; i < n && in.ok(); ++i) p.oids.push_back(static_cast<uint32_t>(in.i32()));
        if (!in.ok() || n < 0) return violation();
        p.params = std::max<int>(count_params(q), n);
        // Syntax errors belong to Parse, as in PostgreSQL.
        if (auto parsed = parse_sql(q); !parsed) {
          ses.failed_query = std::move(q);
          query = ses.failed_query;
          return parsed.error();
        }
        if (!name.empty() && ses.stmts.count(name))
          return make_error(errc::duplicate_object, -1, "prepared statement \"{}\" already exists",
                            name);
        std::vector<sql_type> declared;
        for (uint32_t oid : p.oids) {
          auto t = oid ? type_of_oid(oid) : std::nullopt;
          declared.push_back(t ? *t : sql_type(type_id::unknown));
        }
        // A declared type is reported as the client sent it (varchar stays
        // 1043: pgJDBC refuses a statement whose parameters change type).
        for (const auto& t : eng.param_types(q, std::move(declared), p.params)) {
          size_t i = p.types.size();
          p.types.push_back(i < p.oids.size() && p.oids[i] ? p.oids[i] : type_oid(t));
        }
        p.query = std::move(q);
        ses.stmts[name] = std::move(p);
        message('1').append_to(out);  // ParseComplete
        return outcome::success();
      }
      case 'B': {  // Bind
        std::string portal_name(in.cstr());
        std::string stmt_name(in.cstr());
        std::vector<int16_t> param_formats, result_formats;
        int16_t nf = in.i16();
        for (int i = 0; i < nf && in.ok(); ++i) param_formats.push_back(in.i16());
        int16_t np = in.i16();
        std::vector<bind_param> params;
        for (int i = 0; i < np && in.ok(); ++i) {
          int32_t len = in.i32();
          bind_param bp;
          if (len >= 0) bp.value = std::string(in.bytes(static_cast<size_t>(len)));
          bp.binary = format_of(param_formats, static_cast<size_t>(i)) == 1;
          params.push_back(std::move(bp));
        }
        int16_t nr = in.i16();
        for (int i = 0; i < nr && in.ok(); ++i) result_formats.push_back(in.i16());
        if (!in.ok() || nf < 0 || np < 0 || nr < 0) return violation();
        for (auto f : param_formats)
          if (f != 0 && f != 1) return violation();
        for (auto f : result_formats)
          if (f != 0 && f != 1) return violation();
        auto it = ses.stmts.find(stmt_name);
        if (it == ses.stmts.end())
          return make_error(errc::undefined_object, -1, "prepared statement \"{}\" does not exist",
                            stmt_name);
        const prepared& ps = it->second;
        if (np != ps.params)
          return make_error(errc::protocol_violation, -1,
                            "bind message supplies {} parameters, but prepared statement \"{}\" "
                            "requires {}",
                            np, stmt_name, ps.params);
        // A text parameter without a declared type stays an untyped literal
        // (its context types it when the statement runs); a binary one is
        // read as the type ParameterDescription gave the driver.
        for (size_t i = 0; i < params.size(); ++i) {
          uint32_t declared = i < ps.oids.size() ? ps.oids[i] : 0;
          uint32_t described = i < ps.types.size() ? ps.types[i] : 0;
          params[i].oid = declared ? declared : params[i].binary ? described : 0;
        }
        query = ps.query;
        BOOST_OUTCOME_TRY(auto sql, substitute_params(ps.query, params));
        if (!portal_name.empty() && ses.portals.count(portal_name))
          return make_error(errc::duplicate_object, -1, "portal \"{}\" already exists",
                            portal_name);
        portal p;
        p.sql = std::move(sql);
        p.formats = std::move(result_formats);
        drop_portal(ses, portal_name);  // the unnamed portal is replaced
        ses.portals[portal_name] = std::move(p);
        message('2').append_to(out);  // BindComplete
        return outcome::success();
      }
      case 'D': {  // Describe
        char what = in.byte();
        std::string name(in.cstr());
        if (!in.ok()) return violation();
        if (what == 'S') {
          auto it = ses.stmts.find(name);
          if (it == ses.stmts.end())
            return make_error(errc::undefined_object, -1,
                              "prepared statement \"{}\" does not exist", name);
          const prepared& ps = it->second;
          query = ps.query;
          std::vector<bind_param> nulls(static_cast<size_t>(ps.params));
          message t('t');  // ParameterDescription
          t.i16(static_cast<int16_t>(ps.params));
          for (size_t i = 0; i < nulls.size(); ++i) {
            uint32_t oid = i < ps.types.size() ? ps.types[i] : type_oid(type_id::text);
            t.i32(static_cast<int32_t>(oid));
            // The probe's NULLs: typed, but text (also what nothing typed
            // falls back to) as an untyped NULL that takes its context's type.
            bool declared = i < ps.oids.size() && ps.oids[i] != 0;
            nulls[i].oid = declared || oid != type_oid(type_id::text) ? oid : 0;
          }
          t.append_to(out);
          // The columns: a statement that only reads runs once with NULL
          // parameters; anything else is described as returning no rows.
          if (!reads_only(ps.query)) {
            message('n').append_to(out);
            return outcome::success();
          }
          portal probe;
          BOOST_OUTCOME_TRY(probe.sql, substitute_params(ps.query, nulls));
          BOOST_OUTCOME_TRY(run_portal(probe, ses));
          if (probe.streaming) eng.end_stream(ses.id);  // only its columns were wanted
          describe_result(probe, {});
          return outcome::success();
        }
        if (what == 'P') {
          auto it = ses.portals.find(name);
          if (it == ses.portals.end()) {
            // A cursor of DECLARE is a portal too (psycopg's server-side
            // cursors describe theirs by name).
            auto cols = eng.cursor_columns(ses.id, name);
            if (!cols)
              return make_error(errc::invalid_cursor, -1, "portal \"{}\" does not exist", name);
            statement_result shape;
            shape.columns = std::move(*cols);
            if (shape.columns.empty())
              message('n').append_to(out);
            else
              row_description(shape, {}, out);
            return outcome::success();
          }
          query = it->second.sql;
          BOOST_OUTCOME_TRY(run_portal(it->second, ses));
          describe_result(it->second, it->second.formats);
          return outcome::success();
        }
        return violation();
      }
      case 'E': {  // Execute
        std::string name(in.cstr());
        int32_t max = in.i32();
        if (!in.ok()) return violation();
        auto it = ses.portals.find(name);
        if (it == ses.portals.end())
          return make_error(errc::invalid_cursor, -1, "portal \"{}\" does not exist", name);
        portal& p = it->second;
        query = p.sql;
        BOOST_OUTCOME_TRY(run_portal(p, ses));
        if (p.streaming) {
          ses.execute_stream.emplace(name, max);  // serve() streams it
          return outcome::success();
        }
        if (auto d = deallocated(p.sql)) forget_statements(ses, *d);
        if (p.empty) {
          message('I').append_to(out);  // EmptyQueryResponse
          return outcome::success();
        }
        const statement_result& r = *p.result;
        if (!r.columns.empty()) {
          BOOST_OUTCOME_TRY(auto n, data_rows(r, p.formats, p.sent, max > 0 ? max : -1, out));
          p.sent += n;
          size_t total = 0;
          for (size_t i = 0; i < r.rows.size(); ++i)
            total += static_cast<size_t>(std::max<int64_t>(r.rows.weight(i), 0));
          if (max > 0 && p.sent < total) {
            message('s').append_to(out);  // PortalSuspended: Execute again for more
            return outcome::success();
          }
        }
        if (p.sent == 0) warning_messages(r, out);
        message('C').str(r.tag).append_to(out);
        return outcome::success();
      }
      case 'C': {  // Close
        char what = in.byte();
        std::string name(in.cstr());
        if (!in.ok()) return violation();
        if (what == 'S')
          ses.stmts.erase(name);
        else if (what == 'P')
          drop_portal(ses, name);
        else
          return violation();
        message('3').append_to(out);  // CloseComplete
        return outcome::success();
      }
      default:
        return make_error(errc::protocol_violation, -1, "unexpected message type '{}'", type);
    }
  }

  // DEALLOCATE: the named prepared statement, or all ("").
  static void forget_statements(session& ses, const std::string& name) {
    if (name.empty())
      ses.stmts.clear();
    else
      ses.stmts.erase(name);
  }

  // ReadyForQuery with the session's transaction status: 'T' inside BEGIN
  // ... COMMIT, else 'I' (drivers send BEGIN and COMMIT by it; runnel has
  // no failed-transaction state 'E': a statement's error ends nothing).
  void ready(uint64_t session, std::string& out) {
    message('Z').bytes(eng.in_transaction(session) ? "T" : "I").append_to(out);
  }

  // A change row as one line of COPY's text format: tab-separated text
  // forms, \N for NULL, backslash escapes for what would break the line.
  static void copy_line(const statement_result& r, size_t i, std::string& line) {
    std::string text;
    for (size_t c = 0; c < r.columns.size(); ++c) {
      if (c) line += '\t';
      const datum& v = r.rows.row(i)[c];
      if (v.is_null()) {
        line += "\\N";
        continue;
      }
      text.clear();
      append_text(r.columns[c].type, v, text);
      for (char ch : text) {
        switch (ch) {
          case '\\':
            line += "\\\\";
            break;
          case '\t':
            line += "\\t";
            break;
          case '\n':
            line += "\\n";
            break;
          case '\r':
            line += "\\r";
            break;
          default:
            line += ch;
        }
      }
    }
    line += '\n';
  }

  // SUBSCRIBE, streamed as COPY out (Materialize's COPY (SUBSCRIBE ...) TO
  // STDOUT): CopyOutResponse, then a CopyData per change row as it comes,
  // until the client cancels (ErrorResponse 57014, then ReadyForQuery as
  // after any statement) or goes away, or the server stops (CopyDone and
  // CommandComplete). `out` holds what earlier statements of the query
  // sent. False: the client is gone.
  bool stream(tcp::socket& s, uint64_t session, const statement_result& r, std::string& out) {
    message h('H');
    h.bytes(std::string_view("\0", 1)).i16(static_cast<int16_t>(r.columns.size()));
    for (size_t c = 0; c < r.columns.size(); ++c) h.i16(0);
    h.append_to(out);
    if (!send(s, out)) return eng.end_stream(session), false;
    out.clear();
    std::string line;
    for (;;) {
      if (stopping) break;
      // Wait a little at a time, to notice a client that went away.
      auto changes = eng.stream_changes(session, std::chrono::milliseconds(200));
      if (!changes) {
        eng.end_stream(session);
        out.clear();
        error_message(changes.error(), "", out);
        return true;  // ReadyForQuery follows
      }
      const statement_result& c = changes.value();
      for (size_t i = 0; i < c.rows.size(); ++i)
        for (int64_t n = 0; n < std::max<int64_t>(c.rows.weight(i), 0); ++n) {
          line.clear();
          copy_line(c, i, line);
          message('d').bytes(line).append_to(out);
        }
      if (!out.empty()) {
        if (!send(s, out)) return eng.end_stream(session), false;
        out.clear();
      }
      if (client_gone(s)) return eng.end_stream(session), false;
    }
    eng.end_stream(session);
    message('c').append_to(out);  // CopyDone
    message('C').str("SUBSCRIBE").append_to(out);
    return true;
  }

  // Execute of a SUBSCRIBE portal (the extended protocol, as psycopg's
  // cursor.stream() sends it): each change row as a DataRow as it comes,
  // in the portal's result formats, until the client cancels (ErrorResponse
  // 57014; `failed`, so that what follows up to Sync is skipped) or goes
  // away (false), or the server stops (CommandComplete). With a row limit
  // (pgJDBC's fetch size), PortalSuspended once rows have come — at most
  // that many, and without waiting for more than the first; the next
  // Execute goes on with the rows of a change batch this one did not send.
  bool stream_rows(tcp::socket& s, session& ses, const std::string& name, int32_t max,
                   std::string& out, bool& failed) {
    portal& p = ses.portals[name];
    const size_t limit = max > 0 ? static_cast<size_t>(max) : SIZE_MAX;
    size_t sent = 0;
    auto fail = [&](const sql_error& e) {
      eng.end_stream(ses.id);
      p.streaming = false;
      p.pending.reset();
      error_message(e, "", out);
      failed = true;
      return true;
    };
    // Sends rows of `r` from its row `from` (counting copies) up to the
    // limit; keeps what is left of `r` for the next Execute.
    auto send_rows = [&](statement_result r, size_t from) -> result<void> {
      int64_t room = limit == SIZE_MAX ? -1 : static_cast<int64_t>(limit - sent);
      BOOST_OUTCOME_TRY(auto n, data_rows(r, p.formats, from, room, out));
      sent += n;
      p.pending.reset();
      p.sent = 0;
      size_t total = 0;
      for (size_t i = 0; i < r.rows.size(); ++i)
        total += static_cast<size_t>(std::max<int64_t>(r.rows.weight(i), 0));
      if (from + n < total) {
        p.sent = from + n;
        p.pending = std::move(r);
      }
      return outcome::success();
    };
    if (p.pending)
      if (auto r = send_rows(std::move(*p.pending), p.sent); !r) return fail(r.error());
    while (sent < limit && p.streaming) {
      if (!out.empty()) {
        if (!send(s, out)) return eng.end_stream(ses.id), false;
        out.clear();
      }
      if (stopping) {
        eng.end_stream(ses.id);
        p.streaming = false;
        message('C').str("SUBSCRIBE").append_to(out);
        return true;
      }
      // Wait a little at a time, to notice a client that went away.
      auto changes = eng.stream_changes(ses.id, std::chrono::milliseconds(200));
      if (!changes) return fail(changes.error());
      if (auto r = send_rows(std::move(changes.value()), 0); !r) return fail(r.error());
      if (client_gone(s)) return eng.end_stream(ses.id), false;
      // With a row limit, what has come so far (FETCH n of a subscription
      // waits for the first change, not for n): a client that reads rows
      // only once its Execute ends must see them.
      if (limit != SIZE_MAX && sent > 0) break;
    }
    if (!p.streaming) {  // another portal's SUBSCRIBE took the session's stream
      message('C').str("SUBSCRIBE").append_to(out);
      return true;
    }
    message('s').append_to(out);  // PortalSuspended: Execute again for more
    return true;
  }

  // Whether the client closed its end (or sent Terminate) while the server
  // was writing: during COPY out it sends nothing else.
  static bool client_gone(tcp::socket& s) {
    char b[256];
    ssize_t n = ::recv(s.native_handle(), b, sizeof b, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    return b[0] == 'X';
  }

  void serve(tcp::socket& s, uint64_t session_id) {
    std::string buf, out;
    // Startup: SSL and GSS encryption are refused; the client goes on in
    // plain text (psql's sslmode=prefer does).
    for (;;) {
      if (!read_n(s, buf, 4)) return;
      int32_t len = be32(buf.data());
      if (len < 8 || len > 10000) return;
      if (!read_n(s, buf, static_cast<size_t>(len - 4))) return;
      int32_t code = be32(buf.data());
      if (code == ssl_request || code == gss_request) {
        if (!send(s, "N")) return;
        continue;
      }
      if (code == cancel_request) {
        // pid and secret key from BackendKeyData; a match cancels what that
        // connection is waiting in. No reply either way, as PostgreSQL.
        if (buf.size() < 12) return;
        int32_t pid = be32(buf.data() + 4), secret = be32(buf.data() + 8);
        std::optional<uint64_t> target;
        {
          std::lock_guard lock(keys_mu);
          auto it = keys.find(pid);
          if (it != keys.end() && it->second.first == secret) target = it->second.second;
        }
        if (target) eng.cancel(*target);
        // libpq waits for the server to close a cancel connection.
        ::shutdown(s.native_handle(), SHUT_RDWR);
        return;
      }
      if (code != protocol_3) {
        out.clear();
        error_message(make_error(errc::protocol_violation, -1,
                                 "unsupported frontend protocol {}.{}", code >> 16, code & 0xffff),
                      "", out);
        send(s, out);
        return;
      }
      break;
    }
    // The startup parameters the engine keeps for the session
    // (statement_timeout): given as parameters of their own (pgx's
    // RuntimeParams) or in `options` as `-c name=value` (libpq's and
    // pgJDBC's options, psql's PGOPTIONS).
    for (const auto& [name, value] : startup_settings(buf)) {
      if (auto set = eng.set_parameter(session_id, name, value); !set) {
        out.clear();
        error_message(set.error(), "", out);
        send(s, out);
        return;
      }
    }
    out.clear();
    message('R').i32(0).append_to(out);  // AuthenticationOk
    for (auto [k, v] : {std::pair{"server_version", "15.0 (runnel)"},
                        {"server_encoding", "UTF8"},
                        {"client_encoding", "UTF8"},
                        {"DateStyle", "ISO, MDY"},
                        {"TimeZone", "UTC"},
                        {"IntervalStyle", "postgres"},
                        {"integer_datetimes", "on"},
                        {"standard_conforming_strings", "on"},
                        {"is_superuser", "on"},
                        {"application_name", ""}})
      message('S').str(k).str(v).append_to(out);
    int32_t pid = next_pid++;
    int32_t secret = 0;
    {
      std::lock_guard lock(keys_mu);
      secret = static_cast<int32_t>(rng());
      keys[pid] = {secret, session_id};
    }
    struct forget {
      impl* self;
      int32_t pid;
      ~forget() {
        std::lock_guard lock(self->keys_mu);
        self->keys.erase(pid);
      }
    } forget_key{this, pid};
    message('K').i32(pid).i32(secret).append_to(out);
    ready(session_id, out);
    if (!send(s, out)) return;
    bool skip_to_sync = false;
    session ses;
    ses.id = session_id;
    for (;;) {
      if (!read_n(s, buf, 5)) return;
      char type = buf[0];
      int32_t len = be32(buf.data() + 1);
      if (len < 4 || len > max_message) return;
      if (!read_n(s, buf, static_cast<size_t>(len - 4))) return;
      out.clear();
      if (type == 'X') return;
      if (type == 'Q') {
        std::string_view query(buf.data(), buf.empty() ? 0 : buf.size() - 1);  // without its NUL
        bool blank = query.find_first_not_of(" \t\r\n;") == std::string_view::npos;
        if (blank) {
          message('I').append_to(out);
        } else {
          auto r = eng.execute(query, 0, session_id);
          if (!r) {
            error_message(r.error(), query, out);
          } else {
            if (auto d = deallocated(query)) forget_statements(ses, *d);
            for (const auto& one : r.value()) {
              if (!one.streams) {
                result_messages(one, out);
                continue;
              }
              // The last statement (the engine makes sure): stream.
              if (!stream(s, session_id, one, out)) return;
            }
          }
        }
        ready(session_id, out);
      } else if (type == 'S') {
        skip_to_sync = false;
        drop_portal(ses, "");  // the unnamed portal lasts until Sync
        ready(session_id, out);
      } else if (type == 'H') {
        // Flush: nothing is buffered.
      } else if (!skip_to_sync) {
        std::string_view query;
        if (auto r = extended(ses, type, buf, out, query); !r) {
          // After an error the extended protocol skips everything up to Sync.
          skip_to_sync = true;
          error_message(r.error(), query, out);
        } else if (ses.execute_stream) {
          auto [name, max] = std::move(*ses.execute_stream);
          ses.execute_stream.reset();
          bool failed = false;
          if (!stream_rows(s, ses, name, max, out, failed)) return;
          skip_to_sync = failed;
        }
      }
      if (!out.empty() && !send(s, out)) return;
    }
  }
};

pg_server::pg_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

pg_server::~pg_server() {
  impl_->stopping = true;
  impl_->eng.stop_waiting();  // a FETCH waiting for changes must not hold the join up
  boost::system::error_code ec;
  // A blocking accept() is not woken by close() from another thread on
  // Linux; shutdown() of the listening socket is.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  impl_->acceptor.close(ec);
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  std::lock_guard lock(impl_->conns_mu);
  for (auto& [sock, t] : impl_->conns) {
    sock->shutdown(tcp::socket::shutdown_both, ec);
    sock->close(ec);
  }
  for (auto& [sock, t] : impl_->conns)
    if (t.joinable()) t.join();
}

uint16_t pg_server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

result<std::unique_ptr<pg_server>> pg_server::start(engine& e, const std::string& host,
                                                    uint16_t port) {
  auto p = std::make_unique<impl>(e);
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec)
    return make_error(errc::invalid_parameter, -1, "invalid SQL listen address {}: {}", host,
                      ec.message());
  tcp::endpoint ep(addr, port);
  p->acceptor.open(ep.protocol(), ec);
  if (!ec) p->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) p->acceptor.bind(ep, ec);
  if (!ec) p->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(errc::io_error, -1, "cannot listen for SQL on {}:{}: {}", host, port,
                      ec.message());
  auto* raw = p.get();
  p->accept_thread = std::thread([raw] { raw->accept_loop(); });
  return std::unique_ptr<pg_server>(new pg_server(std::move(p)));
}

}  // namespace runnel::sql
