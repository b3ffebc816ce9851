// Errors of the client module.
//
// Every fallible call returns client::result<T>: the same Boost.Outcome result
// as runnel::result (runnel/result.h), but its error also carries the sentence
// the broker or librdkafka gave, because "Broker: Invalid config" alone does
// not tell a user which value was wrong. `code` is comparable like any
// std::error_code: librdkafka's error numbers in kafka_category() (negative:
// raised by the client itself, positive: Kafka protocol error codes), or a
// std::errc for arguments rejected before anything was sent.
#pragma once

#include <string>
#include <system_error>

#include "runnel/result.h"

namespace runnel::client {

// The category of librdkafka's rd_kafka_resp_err_t values.
const std::error_category& kafka_category();

struct error {
  std::error_code code;
  std::string message;  // complete and readable on its own, e.g. for a CLI's one-line error
};

// Errors worth retrying unchanged: the broker is unreachable or restarting,
// a request timed out, leadership is moving.
bool is_transient(const error& e);

// A commit or group request refused because the group has rebalanced
// without this member (unknown member, stale generation, a rebalance in
// progress): the partitions may be another member's now. At-least-once
// processing carries on: the next owner reads from the last commit.
bool is_rebalance(const error& e);

// Lets Outcome treat `error` as an error code with a payload (and throw a
// std::system_error carrying the message from .value() on an error).
inline std::error_code make_error_code(const error& e) {
  return e.code;
}
[[noreturn]] inline void outcome_throw_as_system_error_with_payload(const error& e) {
  throw std::system_error(e.code, e.message);
}

template <class T>
using result = outcome::std_result<T, error>;

}  // namespace runnel::client
