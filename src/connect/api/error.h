// Errors of the connect module.
//
// Every fallible call of the runtime and of the plugins (connectors, tasks,
// converters, transformations) returns connect::result<T>: a Boost.Outcome
// result whose error carries a kind and a sentence. The kind decides what
// the runtime does with the error, as Kafka Connect's exception classes do:
//
//   retriable   the operation may succeed if repeated unchanged (Kafka's
//               RetriableException): retried with backoff within
//               errors.retry.timeout, then treated as `data` or `fatal`
//               depending on the stage
//   data        this one record cannot be handled (Kafka's DataException):
//               errors.tolerance decides between failing the task and
//               skipping (and dead-lettering) the record
//   invalid_config, not_found, conflict, bad_request, unsupported, rebalancing
//               refusals of a request; the REST API maps each to one HTTP
//               status (rest/status_codes.cc)
//   fatal       anything else: the task or connector goes to FAILED
#pragma once

#include <string>
#include <system_error>
#include <utility>

#include <boost/outcome/std_result.hpp>
#include <boost/outcome/try.hpp>

namespace runnel::connect {

namespace outcome = boost::outcome_v2;

enum class errc {
  retriable = 1,
  data,
  invalid_config,
  not_found,
  conflict,
  bad_request,
  unsupported,
  rebalancing,
  timeout,
  io,
  fatal,
};

const std::error_category& connect_category();

inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), connect_category()};
}

struct error {
  errc kind = errc::fatal;
  std::string message;  // complete and readable on its own

  std::error_code code() const { return make_error_code(kind); }
};

inline error make_error(errc kind, std::string message) {
  return error{kind, std::move(message)};
}

// Lets Outcome treat `error` as an error code with a payload (and throw a
// std::system_error carrying the message from .value() on an error).
inline std::error_code make_error_code(const error& e) {
  return e.code();
}
[[noreturn]] inline void outcome_throw_as_system_error_with_payload(const error& e) {
  throw std::system_error(e.code(), e.message);
}

template <class T>
using result = outcome::std_result<T, error>;

inline auto ok() {
  return outcome::success();
}

}  // namespace runnel::connect

template <>
struct std::is_error_code_enum<runnel::connect::errc> : std::true_type {};

// CONNECT_TRY(auto x, expr) / CONNECT_TRY(expr): propagate the error of a result.
#define CONNECT_TRY BOOST_OUTCOME_TRY
