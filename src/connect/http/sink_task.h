// The task of the HTTP sink: every batch put() receives is sent at once, as
// requests of at most batch.max.size records (batch.h), one after another
// in record order, over one kept-alive libcurl session.
//
// Delivery is at-least-once: put() returns only when every record was
// delivered (a 2xx answer) or handed to errors.* (refused for good), so the
// offsets the runtime commits after put() never pass an undelivered record.
// A request that may succeed later (retry_policy.h) makes put() return
// errc::retriable with ctx.timeout() set to the backoff: the runtime pauses
// the partitions, keeps the consumer in its group, and hands the same
// records again; the ones already delivered are remembered and not sent
// twice. A crash or a rebalance between a request and the next commit
// sends those records again.
//
// Threads: as every sink task (api/sink_task.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "connect/api/sink_task.h"

namespace runnel::connect::http {

std::unique_ptr<sink_task> make_http_sink_task();

// The URL as logs and dead-letter headers show it: scheme, host and port,
// without credentials, path or query (webhook URLs often carry a secret).
std::string redact_url(std::string_view url);

}  // namespace runnel::connect::http
