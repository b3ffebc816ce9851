// fenced_writer: the writes of one role that one process at a time may
// hold — the leader's catalog records, a table owner's changes — under
// `runnel sql --share` (src/sql/README.md, "Several processes": "Fencing").
// A transactional producer whose transactional.id names the role: start()
// calls InitProducerId, which bumps the id's epoch, aborts the previous
// holder's open transaction and fences it; each write() is one
// transaction, committed before it returns. A write of a holder that was
// fenced meanwhile (it was paused, cut off, or slow while another process
// took the role) fails, and none of its records ever becomes visible to a
// read_committed reader — which every reader of these topics is.
//
// Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runnel/client/config.h"
#include "runnel/client/error.h"
#include "sql/error.h"

namespace runnel::client {
class producer;
struct delivery_report;
}  // namespace runnel::client

namespace runnel::sql {

// A transactional producer for `transactional_id`, its InitProducerId done
// (the previous producer of that id fenced). sink_epochs uses it too.
client::result<std::unique_ptr<client::producer>> start_transactional(
    const client::client_config& cluster, const std::string& transactional_id,
    std::function<void(const client::delivery_report&)> on_delivery = {},
    std::chrono::milliseconds linger = std::chrono::milliseconds(5));

// Whether a producer's error says a newer producer with its
// transactional.id fenced it (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH).
bool is_fenced(const client::error& e);

class fenced_writer {
 public:
  // `what` names the role in errors ("table \"t\"", "the catalog").
  static result<std::unique_ptr<fenced_writer>> start(const client::client_config& cluster,
                                                      const std::string& transactional_id,
                                                      std::string what);
  ~fenced_writer();

  struct record {
    std::optional<std::string> key;
    std::optional<std::string> value;  // none: a tombstone
  };
  // Writes `records` to partition 0 of `topic` in one transaction and
  // commits it. Errors: errc::unavailable (SQLSTATE 57P03) once another
  // process took the role (fenced(): every later write fails the same
  // way, without asking the cluster); errc::io_error otherwise (the
  // transaction was aborted: nothing of it is visible).
  result<void> write(const std::string& topic, const std::vector<record>& records);
  bool fenced() const;

  struct impl;

 private:
  explicit fenced_writer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::sql
