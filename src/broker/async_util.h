// Small bridges between callbacks and Asio coroutines.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <system_error>

#include "storage/partition_log.h"

namespace runnel::broker {

namespace asio = boost::asio;

// Counts down outstanding operations; wait() completes when all are done.
// Used from one executor only.
class countdown {
 public:
  explicit countdown(asio::any_io_executor ex) : timer_(ex) {
    timer_.expires_at(std::chrono::steady_clock::time_point::max());
  }
  void add(size_t n = 1) { left_ += n; }
  void done() {
    if (left_ > 0 && --left_ == 0) timer_.cancel();
  }
  asio::awaitable<void> wait() {
    if (left_ == 0) co_return;
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }

 private:
  asio::steady_timer timer_;
  size_t left_ = 0;
};

// Awaitable group commit: completes once `log` has fsynced everything below
// `upto`. Must be used on the log's owner shard.
template <class Token>
auto async_flushed(storage::partition_log& log, model::offset upto, Token&& token) {
  return asio::async_initiate<Token, void(std::error_code)>(
      [&log, upto](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        log.flush_async(upto, [h](std::error_code ec) {
          auto ex = asio::get_associated_executor(*h);
          asio::dispatch(ex, [h, ec]() mutable { std::move (*h)(ec); });
        });
      },
      token);
}

}  // namespace runnel::broker
