#include "broker/connection.h"

#include <sys/sendfile.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <utility>

#include <spdlog/spdlog.h>

#include "broker/handlers.h"
#include "broker/metrics.h"
#include "broker/server.h"
#include "model/endian.h"
#include "storage/file_system.h"

namespace runnel::broker {

namespace asio = boost::asio;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

constexpr size_t max_in_flight = 1024;

// A response slot: requests are answered in the order they were read.
struct slot {
  bool ready = false;
  response resp;
};

struct conn_state {
  conn_state(server& s, shard& h, tcp::socket sk)
      : srv(s),
        sh(h),
        sock(std::move(sk)),
        wake_writer(sock.get_executor()),
        wake_reader(sock.get_executor()),
        idle(sock.get_executor()) {}

  server& srv;
  shard& sh;
  tcp::socket sock;
  std::string peer;
  std::deque<std::shared_ptr<slot>> queue;
  // Timers used as events: cancel() wakes the waiter.
  asio::steady_timer wake_writer;
  asio::steady_timer wake_reader;
  asio::steady_timer idle;
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
  bool closing = false;
  // The ordered stage of the last request read (handlers.h): the next one
  // starts when it is set.
  std::shared_ptr<completion<bool>> last_stage;

  // Logs `why` (if any) once: warn for a client that broke the protocol,
  // info for one that went away.
  void close(const std::string& why, spdlog::level::level_enum level = spdlog::level::warn) {
    if (closing) return;
    closing = true;
    if (!why.empty()) spdlog::log(level, "broker: closing connection from {}: {}", peer, why);
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
    wake_writer.cancel();
    wake_reader.cancel();
    idle.cancel();
  }
};

asio::awaitable<void> wait_event(asio::steady_timer& t) {
  t.expires_at(std::chrono::steady_clock::time_point::max());
  co_await t.async_wait(asio::as_tuple(use_awaitable));
}

// Sends [pos, pos+len) of a file: straight from memory for what an I/O
// thread read (storage::memory_file), sendfile where there is a descriptor.
// Returns the error that ended the send, if any.
//
// sendfile(2) takes no MSG_NOSIGNAL: to a socket the peer has closed it
// fails with EPIPE and raises SIGPIPE, which server::start() makes ignored
// process-wide (Asio's own writes pass MSG_NOSIGNAL).
asio::awaitable<std::error_code> send_chunk(tcp::socket& sock, const kafka::file_chunk& c) {
  auto* f = static_cast<storage::file*>(c.file.get());
  if (auto mem = f->in_memory(c.pos, c.len); !mem.empty()) {
    auto [ec, n] = co_await asio::async_write(sock, asio::buffer(mem.data(), mem.size()),
                                              asio::as_tuple(use_awaitable));
    co_return ec;
  }
  const int fd = f->native_handle();
  if (fd < 0) {
    std::vector<std::byte> buf(c.len);
    if (auto r = read_exact(*f, c.pos, buf); !r) co_return r.error();
    auto [ec, n] =
        co_await asio::async_write(sock, asio::buffer(buf), asio::as_tuple(use_awaitable));
    co_return ec;
  }
  off_t pos = off_t(c.pos);
  uint64_t left = c.len;
  while (left > 0) {
    ssize_t n =
        ::sendfile(sock.native_handle(), fd, &pos, size_t(std::min<uint64_t>(left, 1 << 30)));
    if (n > 0) {
      left -= uint64_t(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      auto [ec] = co_await sock.async_wait(tcp::socket::wait_write, asio::as_tuple(use_awaitable));
      if (ec) co_return ec;
      continue;
    }
    // The file shorter than the range is never expected (the log keeps it).
    co_return n < 0 ? std::error_code(errno, std::system_category())
                    : std::make_error_code(std::errc::io_error);
  }
  co_return std::error_code{};
}

// A response with file ranges up to this size is assembled in memory and
// sent with one write: a fetch at the tail returns a few small batches, and
// one pread per range plus one send beats a send and a sendfile per range
// (each its own TCP segment under TCP_NODELAY, each a wake-up for the client).
constexpr uint64_t small_response_bytes = 64 * 1024;

// Copies the whole frame (memory pieces and file ranges) into one buffer;
// nullopt if a range cannot be read.
std::optional<std::vector<std::byte>> assemble(const kafka::writer& w, uint64_t total) {
  const auto& buf = w.buffer();
  std::vector<std::byte> out;
  out.reserve(total);
  size_t at = 0;
  for (const auto& p : w.pieces()) {
    out.insert(out.end(), buf.begin() + ptrdiff_t(at), buf.begin() + ptrdiff_t(p.mem_end));
    at = std::max(at, p.mem_end);
    const size_t from = out.size();
    out.resize(from + p.chunk.len);
    auto* f = static_cast<storage::file*>(p.chunk.file.get());
    if (!read_exact(*f, p.chunk.pos, std::span(out).subspan(from))) return std::nullopt;
  }
  out.insert(out.end(), buf.begin() + ptrdiff_t(at), buf.end());
  return out;
}

// Sends a response frame; returns the error that ended the send, if any.
asio::awaitable<std::error_code> send_frame(tcp::socket& sock, const kafka::writer& w) {
  const auto& buf = w.buffer();
  if (!w.pieces().empty()) {
    uint64_t total = buf.size();
    for (const auto& p : w.pieces()) total += p.chunk.len;
    if (total <= small_response_bytes) {
      auto out = assemble(w, total);
      if (!out) co_return std::make_error_code(std::errc::io_error);
      auto [ec, n] =
          co_await asio::async_write(sock, asio::buffer(*out), asio::as_tuple(use_awaitable));
      co_return ec;
    }
  }
  size_t at = 0;
  for (const auto& p : w.pieces()) {
    if (p.mem_end > at) {
      auto [ec, n] = co_await asio::async_write(sock, asio::buffer(buf.data() + at, p.mem_end - at),
                                                asio::as_tuple(use_awaitable));
      if (ec) co_return ec;
      at = p.mem_end;
    }
    if (auto ec = co_await send_chunk(sock, p.chunk)) co_return ec;
  }
  if (buf.size() > at) {
    auto [ec, n] = co_await asio::async_write(sock, asio::buffer(buf.data() + at, buf.size() - at),
                                              asio::as_tuple(use_awaitable));
    if (ec) co_return ec;
  }
  co_return std::error_code{};
}

asio::awaitable<void> writer_loop(std::shared_ptr<conn_state> c) {
  while (!c->closing) {
    if (c->queue.empty() || !c->queue.front()->ready) {
      co_await wait_event(c->wake_writer);
      continue;
    }
    auto s = std::move(c->queue.front());
    c->queue.pop_front();
    c->wake_reader.cancel();  // room in the queue
    if (s->resp.close) {
      c->close(s->resp.why);
      break;
    }
    if (!s->resp.frame) continue;  // acks=0: no response
    if (auto ec = co_await send_frame(c->sock, *s->resp.frame)) {
      // Usually a client that went away mid-response (EPIPE, ECONNRESET).
      if (!c->closing) c->close("could not send a response: " + ec.message(), spdlog::level::info);
      break;
    }
    c->last_activity = std::chrono::steady_clock::now();
  }
}

// Runs one request. The ordering invariant of a connection (handlers.h) is
// kept here, not left to the order in which Asio happens to run coroutines:
// a request is handled only once `previous`, the ordered stage of the
// request read before it, is over; its own stage ends when its handler says
// so or returns. Responses leave in request order through the slot queue.
asio::awaitable<void> run_request(std::shared_ptr<conn_state> c, std::shared_ptr<slot> s,
                                  request_context ctx, std::shared_ptr<completion<bool>> previous) {
  ++c->srv.requests_in_flight;
  if (previous) {
    co_await previous->wait();
    previous.reset();
  }
  s->resp = co_await dispatch(ctx);
  ctx.end_ordered_stage();
  --c->srv.requests_in_flight;
  s->ready = true;
  c->wake_writer.cancel();
}

asio::awaitable<void> idle_watch(std::shared_ptr<conn_state> c) {
  const auto limit = std::chrono::milliseconds(c->srv.config().connections_max_idle_ms);
  while (!c->closing) {
    c->idle.expires_at(c->last_activity + limit);
    auto [ec] = co_await c->idle.async_wait(asio::as_tuple(use_awaitable));
    if (c->closing) break;
    if (!ec && std::chrono::steady_clock::now() >= c->last_activity + limit && c->queue.empty()) {
      spdlog::info("broker: closing idle connection from {}", c->peer);
      c->close("");
    }
  }
}

// Builds the reply to a request the broker cannot serve at this version.
response unsupported_version(request_context& ctx) {
  if (ctx.header.api_key == static_cast<int16_t>(kafka::api_key::api_versions))
    return api_versions_unsupported(ctx);
  return response::malformed("unsupported version " + std::to_string(ctx.header.api_version) +
                             " of " + ctx.api.name);
}

// Bytes read from the socket ahead of the frame being parsed: one read
// usually brings several small requests (or a request's size prefix with
// the start of its body), so a pipelining client costs a syscall per
// socket-buffer-full rather than two per request.
struct read_buffer {
  static constexpr size_t capacity = 16 * 1024;  // per connection; thousands may be open
  std::unique_ptr<std::byte[]> data{new std::byte[capacity]};
  size_t begin = 0, end = 0;

  size_t size() const { return end - begin; }
  std::byte* head() { return data.get() + begin; }
  void consume(size_t n) {
    begin += n;
    if (begin == end) begin = end = 0;
  }
};

// Reads until `rb` holds at least n (<= capacity) bytes.
asio::awaitable<boost::system::error_code> fill(tcp::socket& sock, read_buffer& rb, size_t n) {
  if (rb.size() >= n) co_return boost::system::error_code{};
  if (rb.begin + n > read_buffer::capacity) {
    std::memmove(rb.data.get(), rb.head(), rb.size());
    rb.end -= rb.begin;
    rb.begin = 0;
  }
  while (rb.size() < n) {
    auto [ec, got] = co_await sock.async_read_some(
        asio::buffer(rb.data.get() + rb.end, read_buffer::capacity - rb.end),
        asio::as_tuple(use_awaitable));
    if (ec) co_return ec;
    rb.end += got;
  }
  co_return boost::system::error_code{};
}

asio::awaitable<void> reader_loop(std::shared_ptr<conn_state> c) {
  const int64_t max_bytes = c->srv.config().socket_request_max_bytes;
  read_buffer rb;
  for (;;) {
    while (c->queue.size() >= max_in_flight && !c->closing) co_await wait_event(c->wake_reader);
    if (c->closing) co_return;
    if (auto ec = co_await fill(c->sock, rb, 4)) {
      // A client that closes between requests is the normal end; one that
      // resets the connection is worth a line.
      if (ec == asio::error::connection_reset)
        c->close("reset by the client", spdlog::level::info);
      else
        c->close(ec == asio::error::eof || ec == asio::error::operation_aborted ? ""
                                                                                : ec.message());
      co_return;
    }
    const int32_t size = model::load_be<int32_t>(rb.head());
    if (size < 8 || int64_t(size) > max_bytes) {
      c->close("request size " + std::to_string(size) + " is outside [8, " +
               std::to_string(max_bytes) + "] (socket.request.max.bytes)");
      co_return;
    }
    rb.consume(4);
    // Small frames are completed in the buffer; the rest of a large one is
    // read straight into its own allocation.
    if (size_t(size) <= read_buffer::capacity) {
      if (auto ec = co_await fill(c->sock, rb, size_t(size))) {
        c->close("");
        co_return;
      }
    }
    auto frame = std::make_shared_for_overwrite<std::byte[]>(size_t(size));
    const size_t have = std::min(rb.size(), size_t(size));
    std::memcpy(frame.get(), rb.head(), have);
    rb.consume(have);
    if (have < size_t(size)) {
      auto [ec2, n2] =
          co_await asio::async_read(c->sock, asio::buffer(frame.get() + have, size_t(size) - have),
                                    asio::as_tuple(use_awaitable));
      if (ec2) {
        c->close("");
        co_return;
      }
    }
    c->last_activity = std::chrono::steady_clock::now();
    kafka::reader r(std::span<std::byte>(frame.get(), size_t(size)));
    kafka::request_header h;
    if (!kafka::decode_request_header(r, h)) {
      c->close("malformed request header");
      co_return;
    }
    const kafka::api_info* api = kafka::find_api(h.api_key);
    if (!api) {
      c->close("unknown API key " + std::to_string(h.api_key));
      co_return;
    }
    request_context ctx{c->srv, c->sh, h, *api, std::move(frame), size_t(size), r.position()};
    ctx.peer = c->peer;
    auto s = std::make_shared<slot>();
    c->queue.push_back(s);
    if (!api->advertised(h.api_version) ||
        (h.api_version < api->served_min() && h.api_key != int16_t(kafka::api_key::produce))) {
      s->resp = unsupported_version(ctx);
      s->ready = true;
      c->wake_writer.cancel();
      continue;
    }
    auto previous =
        std::exchange(c->last_stage, std::make_shared<completion<bool>>(c->sock.get_executor()));
    ctx.ordered_stage = c->last_stage;
    asio::co_spawn(c->sock.get_executor(), run_request(c, s, std::move(ctx), std::move(previous)),
                   asio::detached);
  }
}

}  // namespace

asio::awaitable<void> serve_connection(server& srv, shard& sh, tcp::socket sock) {
  auto c = std::make_shared<conn_state>(srv, sh, std::move(sock));
  boost::system::error_code ec;
  auto ep = c->sock.remote_endpoint(ec);
  c->peer = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
  c->sock.set_option(tcp::no_delay(true), ec);
  c->sock.native_non_blocking(true, ec);
  ++srv.open_connections;
  count_connection();
  asio::co_spawn(c->sock.get_executor(), writer_loop(c), asio::detached);
  asio::co_spawn(c->sock.get_executor(), idle_watch(c), asio::detached);
  co_await reader_loop(c);
  // In-flight requests finish on their own and find the socket closed.
  --srv.open_connections;
}

}  // namespace runnel::broker
