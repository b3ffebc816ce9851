#include "connect/distributed/kafka_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace runnel::connect {

namespace {

using clock = std::chrono::steady_clock;

int remaining_ms(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  return int(std::max<int64_t>(0, left.count()));
}

bool wait_fd(int fd, short events, clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

kafka_socket::kafka_socket(kafka_socket&& o) noexcept
    : client_id(std::move(o.client_id)), fd_(o.fd_), correlation_(o.correlation_) {
  o.fd_ = -1;
}

kafka_socket& kafka_socket::operator=(kafka_socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    correlation_ = o.correlation_;
    client_id = std::move(o.client_id);
    o.fd_ = -1;
  }
  return *this;
}

kafka_socket::~kafka_socket() {
  close();
}

void kafka_socket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

result<kafka_socket> kafka_socket::connect(const std::string& host, uint16_t port,
                                           std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0)
    return make_error(errc::retriable,
                      fmt::format("cannot resolve {}: {}", host, ::gai_strerror(rc)));
  const auto deadline = clock::now() + timeout;
  std::string last = "no address";
  for (auto* ai = res; ai; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline)) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::freeaddrinfo(res);
      kafka_socket s;
      s.fd_ = fd;
      return s;
    }
    last = std::strerror(errno ? errno : ETIMEDOUT);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return make_error(errc::retriable, fmt::format("cannot connect to {}:{}: {}", host, port, last));
}

result<std::vector<std::byte>> kafka_socket::exchange(const std::vector<std::byte>& request,
                                                      std::chrono::milliseconds timeout) {
  if (fd_ < 0) return make_error(errc::retriable, "not connected");
  const auto deadline = clock::now() + timeout;
  auto fail = [&](std::string what) {
    close();
    return make_error(errc::retriable, std::move(what));
  };
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_fd(fd_, POLLOUT, deadline)) return fail("timed out sending a request");
      continue;
    }
    return fail(fmt::format("send: {}", std::strerror(errno)));
  }
  auto read_exact = [&](std::byte* p, size_t len) -> bool {
    size_t got = 0;
    while (got < len) {
      ssize_t n = ::recv(fd_, p + got, len - got, 0);
      if (n > 0) {
        got += size_t(n);
        continue;
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!wait_fd(fd_, POLLIN, deadline)) return false;
        continue;
      }
      return false;
    }
    return true;
  };
  std::byte size_bytes[4];
  if (!read_exact(size_bytes, 4)) return fail("connection closed or timed out awaiting a response");
  const uint32_t size = (uint32_t(size_bytes[0]) << 24) | (uint32_t(size_bytes[1]) << 16) |
                        (uint32_t(size_bytes[2]) << 8) | uint32_t(size_bytes[3]);
  if (size < 4 || size > 64 * 1024 * 1024) return fail("response with a bad size");
  std::vector<std::byte> frame(size);
  if (!read_exact(frame.data(), size)) return fail("connection closed while reading a response");
  return frame;
}

std::vector<std::pair<std::string, uint16_t>> parse_bootstrap(const std::string& servers) {
  std::vector<std::pair<std::string, uint16_t>> out;
  size_t start = 0;
  while (start <= servers.size()) {
    auto comma = servers.find(',', start);
    std::string s = servers.substr(start, comma - start);
    start = comma == std::string::npos ? servers.size() + 1 : comma + 1;
    while (!s.empty() && s.front() == ' ') s.erase(0, 1);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (auto p = s.find("://"); p != std::string::npos) s = s.substr(p + 3);
    auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) continue;
    std::string host = s.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    try {
      int port = std::stoi(s.substr(colon + 1));
      if (port > 0 && port < 65536) out.emplace_back(host, uint16_t(port));
    } catch (...) {
    }
  }
  return out;
}

}  // namespace runnel::connect
