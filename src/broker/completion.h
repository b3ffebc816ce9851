// completion<T>: a one-shot result that one coroutine awaits and other code
// on the same executor sets later (a JoinGroup waiting for the rebalance, a
// SyncGroup waiting for the leader's assignment).
//
// Single executor only: set() and wait() must run on the executor the
// completion was made with. Setting twice keeps the first value.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <utility>

namespace runnel::broker {

template <class T>
class completion {
 public:
  explicit completion(boost::asio::any_io_executor ex) : timer_(std::move(ex)) {
    timer_.expires_at(std::chrono::steady_clock::time_point::max());
  }

  bool done() const { return value_.has_value(); }

  void set(T v) {
    if (value_) return;
    value_ = std::move(v);
    timer_.cancel();
  }

  // Completes once set() has been called (at once if it already was).
  boost::asio::awaitable<T> wait() {
    while (!value_) co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return *value_;
  }

 private:
  boost::asio::steady_timer timer_;
  std::optional<T> value_;
};

}  // namespace runnel::broker
