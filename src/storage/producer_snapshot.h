// Producer snapshots (`O.snapshot`, docs/format/log.md): the producer_state
// of a partition as of offset O, i.e. after every batch below O. Written at
// each segment roll (O = the new segment's base; made durable by the next
// background flush, before the checkpoint vouches for the segment) and on
// clean close (O = the end offset; synced at once). Start-up loads the
// newest valid snapshot at or below the first offset it must re-read and
// replays the batches after it, so producer state, open transactions and
// the aborted-transaction indexes survive a restart without reading the
// whole log. A torn or damaged snapshot fails its CRC and an older one is
// used (or, with none left, the log is replayed from its start).
//
// Blocking file I/O through file_system; callable from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "model/result.h"
#include "storage/file_system.h"
#include "storage/producer_state.h"

namespace runnel::storage {

std::filesystem::path snapshot_path(const std::filesystem::path& dir, int64_t offset);

// Writes the snapshot file (not synced); returns it for the caller to sync.
result<std::shared_ptr<file>> write_producer_snapshot(file_system& fs,
                                                      const std::filesystem::path& dir,
                                                      int64_t offset, const producer_state& s);
// Loads and checks one snapshot (header, length, CRC, contents).
result<producer_state> read_producer_snapshot(file_system& fs, const std::filesystem::path& dir,
                                              int64_t offset);
// The offsets of the snapshot files among a directory's entry names, ascending.
std::vector<int64_t> snapshot_offsets(const std::vector<std::string>& names);

}  // namespace runnel::storage
