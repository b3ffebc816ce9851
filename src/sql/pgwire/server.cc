#include "sql/pgwire/server.h"

#include <atomic>
#include <list>
#include <mutex>
#include <thread>

#include <sys/socket.h>

#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "sql/parse/pg_parse.h"
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

}  // namespace

struct pg_server::impl {
  engine& eng;
  std::mutex engine_mu;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::mutex conns_mu;
  std::list<std::pair<std::shared_ptr<tcp::socket>, std::thread>> conns;
  std::atomic<bool> stopping{false};
  std::atomic<int32_t> next_pid{1};

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
      conns.emplace_back(sock, std::thread([this, sock] { serve(*sock); }));
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

  void result_messages(const statement_result& r, std::string& out) {
    if (!r.columns.empty()) {
      message t('T');
      t.i16(static_cast<int16_t>(r.columns.size()));
      for (const auto& c : r.columns) {
        t.str(c.name).i32(0).i16(0).i32(static_cast<int32_t>(type_oid(c.type.id)));
        t.i16(type_wire_length(c.type.id)).i32(-1).i16(0);
      }
      t.append_to(out);
      std::string text;
      for (size_t i = 0; i < r.rows.size(); ++i) {
        message d('D');
        d.i16(static_cast<int16_t>(r.columns.size()));
        for (size_t c = 0; c < r.columns.size(); ++c) {
          const datum& v = r.rows.row(i)[c];
          if (v.is_null()) {
            d.i32(-1);
            continue;
          }
          text.clear();
          append_text(r.columns[c].type, v, text);
          d.i32(static_cast<int32_t>(text.size())).bytes(text);
        }
        std::string one;
        d.append_to(one);
        for (int64_t n = 0; n < r.rows.weight(i); ++n) out += one;
      }
    }
    message('C').str(r.tag).append_to(out);
  }

  static void ready(std::string& out) { message('Z').bytes("I").append_to(out); }

  void serve(tcp::socket& s) {
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
      if (code == cancel_request) return;  // not supported yet: the query runs on
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
    message('K').i32(next_pid++).i32(0).append_to(out);
    ready(out);
    if (!send(s, out)) return;
    bool skip_to_sync = false;
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
          std::lock_guard lock(engine_mu);
          auto r = eng.execute(query);
          if (!r) {
            error_message(r.error(), query, out);
          } else {
            for (const auto& one : r.value()) result_messages(one, out);
          }
        }
        ready(out);
      } else if (type == 'S') {
        skip_to_sync = false;
        ready(out);
      } else if (type == 'H') {
        // Flush: nothing is buffered.
      } else if (!skip_to_sync) {
        skip_to_sync = true;
        error_message(
            make_error(errc::feature_not_supported, -1,
                       "the extended query protocol is not supported yet (message '{}'); use the "
                       "simple query protocol",
                       type),
            "", out);
      }
      if (!out.empty() && !send(s, out)) return;
    }
  }
};

pg_server::pg_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

pg_server::~pg_server() {
  impl_->stopping = true;
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
