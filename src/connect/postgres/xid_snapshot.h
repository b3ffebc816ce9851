// A PostgreSQL MVCC snapshot as pg_current_snapshot() prints it
// (`xmin:xmax:xip,…`, 64-bit transaction ids), and whether a transaction
// that the stream shows committed is visible in it.
//
// What it is for: an incremental snapshot's chunk (cdc_source_task.cc)
// must know which streamed changes the chunk's query already saw. WAL order
// alone cannot say: a backend writes its commit record to the WAL (and the
// walsender may decode and send it) before it leaves the ProcArray, so a
// transaction that committed before a watermark in the WAL can still be
// invisible to a snapshot taken after that watermark. The chunk's own
// snapshot can: a committed transaction is in it exactly when its id is
// below xmin, or below xmax and not in the in-progress list.
//
// Plain value, no threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace runnel::connect::postgres {

struct xid_snapshot {
  std::uint64_t xmin = 0;
  std::uint64_t xmax = 0;
  std::vector<std::uint64_t> xip;  // in progress when the snapshot was taken

  // `xmin:xmax:xip1,xip2,…` (pg_snapshot's text form); nullopt if malformed.
  static std::optional<xid_snapshot> parse(std::string_view text);

  // Whether the changes of `xid`, a transaction known to have committed,
  // are in this snapshot. `xid` is 32 bits as pgoutput's Begin carries it;
  // it is widened to the epoch nearest xmax (transactions the stream shows
  // are recent, well within 2^31 of any snapshot taken now).
  bool sees(std::uint32_t xid) const;
};

}  // namespace runnel::connect::postgres
