#include "cli/broker_probe.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/core.h>

namespace runnel::cli {

namespace {

using clock = std::chrono::steady_clock;

struct address {
  std::string text;  // as the user wrote it, for messages
  std::string host;
  std::string port;
};

// librdkafka's bootstrap.servers syntax: comma-separated, each entry
// [PROTOCOL://]host[:port], IPv6 hosts in brackets, 9092 by default.
std::vector<address> parse(std::string_view list) {
  std::vector<address> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view e = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!e.empty() && e.front() == ' ') e.remove_prefix(1);
    while (!e.empty() && e.back() == ' ') e.remove_suffix(1);
    if (e.empty()) continue;
    address a{std::string(e), {}, "9092"};
    if (const auto scheme = e.find("://"); scheme != std::string_view::npos)
      e = e.substr(scheme + 3);
    if (!e.empty() && e.front() == '[') {
      const auto close = e.find(']');
      a.host = std::string(e.substr(1, close == std::string_view::npos ? e.npos : close - 1));
      if (close != std::string_view::npos && close + 1 < e.size() && e[close + 1] == ':')
        a.port = std::string(e.substr(close + 2));
    } else if (const auto colon = e.rfind(':'); colon != std::string_view::npos) {
      a.host = std::string(e.substr(0, colon));
      a.port = std::string(e.substr(colon + 1));
    } else {
      a.host = std::string(e);
    }
    out.push_back(std::move(a));
  }
  return out;
}

// Connects to one resolved address; an empty string on success, else why not.
std::string try_connect(const addrinfo& ai, clock::time_point deadline) {
  const int fd =
      ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol);
  if (fd < 0) return std::strerror(errno);
  std::string why;
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      why = std::strerror(errno);
    } else {
      pollfd p{fd, POLLOUT, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
      const int n = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left, 0)));
      if (n == 0) {
        why = "no answer (timed out)";
      } else if (n < 0) {
        why = std::strerror(errno);
      } else {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) why = std::strerror(err);
      }
    }
  }
  ::close(fd);
  return why;
}

}  // namespace

std::optional<std::string> probe_brokers(std::string_view brokers,
                                         std::chrono::milliseconds timeout) {
  const auto list = parse(brokers);
  if (list.empty()) return "no bootstrap brokers given";
  const auto deadline = clock::now() + timeout;
  std::vector<std::string> failures;
  for (const auto& a : list) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (const int rc = ::getaddrinfo(a.host.c_str(), a.port.c_str(), &hints, &res); rc != 0) {
      failures.push_back(fmt::format("{}: cannot resolve: {}", a.text, ::gai_strerror(rc)));
      continue;
    }
    std::string why;
    bool ok = false;
    for (const addrinfo* ai = res; ai && !ok; ai = ai->ai_next) {
      why = try_connect(*ai, deadline);
      ok = why.empty();
    }
    ::freeaddrinfo(res);
    if (ok) return std::nullopt;
    failures.push_back(fmt::format("{}: {}", a.text, why));
  }
  std::string out = list.size() == 1 ? "cannot reach the broker at " : "cannot reach any broker: ";
  for (size_t i = 0; i < failures.size(); ++i) out += (i ? "; " : "") + failures[i];
  return out + " (check --brokers or $RUNNEL_BROKERS)";
}

}  // namespace runnel::cli
