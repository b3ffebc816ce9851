// When the HTTP sink tries a request again, and how long it waits first.
//
//   2xx                         delivered
//   408, 429, 5xx, no answer    retried (connection refused or reset, a
//   (connection, timeout)       timeout): up to max.retries times
//   anything else (4xx, 3xx)    refused for good: behavior.on.error decides
//
// The wait before retry n (from 1) is retry.backoff.ms, constant or doubled
// each time up to max_backoff with jitter (50–100% of it, so tasks that
// failed together do not come back together); a Retry-After header
// (429, 503) wins, up to max_retry_after.
//
// Pure functions apart from the random generator the caller owns.
#pragma once

#include <chrono>
#include <optional>
#include <random>

#include "connect/http/sink_config.h"

namespace runnel::connect::http {

enum class verdict { delivered, retry, refused };

verdict classify(long status);

// Doubling stops here: an endpoint that is back is noticed within a minute.
constexpr std::chrono::milliseconds max_backoff{60000};
// A Retry-After longer than this is taken as this: a task that waits more
// than a quarter of an hour looks dead to its operator.
constexpr std::chrono::milliseconds max_retry_after{15 * 60 * 1000};

std::chrono::milliseconds retry_delay(const sink_config& c, int retry,
                                      std::optional<std::chrono::milliseconds> retry_after,
                                      std::mt19937_64& rng);

}  // namespace runnel::connect::http
