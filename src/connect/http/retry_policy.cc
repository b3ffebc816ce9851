#include "connect/http/retry_policy.h"

#include <algorithm>

namespace runnel::connect::http {

verdict classify(long status) {
  if (status >= 200 && status < 300) return verdict::delivered;
  if (status == 408 || status == 429 || status >= 500) return verdict::retry;
  return verdict::refused;
}

std::chrono::milliseconds retry_delay(const sink_config& c, int retry,
                                      std::optional<std::chrono::milliseconds> retry_after,
                                      std::mt19937_64& rng) {
  if (retry_after) return std::min(*retry_after, max_retry_after);
  const auto base = c.retry_backoff;
  if (c.backoff == backoff_policy::constant || base.count() == 0) return base;
  const auto cap = std::max(base, max_backoff);
  auto d = base;
  for (int i = 1; i < retry && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  std::uniform_int_distribution<int64_t> jitter(d.count() / 2, d.count());
  return std::chrono::milliseconds(jitter(rng));
}

}  // namespace runnel::connect::http
