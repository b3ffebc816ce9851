// Scans and expiry through a time index, shared by the window and session
// stores: the index entries of a time range, each with (or deleting) the
// primary entry it points to. Private to src/stream/state; called by the
// store that owns `db`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "stream/state/rocks_db.h"

namespace runnel::stream::state {

// Deletes every index entry in [from, upper) and, for each, the primary entry
// whose key `primary_key_of` derives from the index key (nullopt: the index
// key is malformed, which fails the store with corrupt_store). Returns false
// if the store failed (the error is sticky in `db`); entries deleted before a
// failure stay deleted, index and primary together.
bool expire_by_index(
    rocks_db& db, std::string_view from, std::string_view upper,
    const std::function<std::optional<std::string>(std::string_view index_key)>& primary_key_of);

// Visits the index entries whose ordered time is in [from, to], in index
// order, each with the value of the primary entry `primary_key_of` derives
// from it; `visit` returns false to stop. Index and values are read from one
// snapshot, so `visit` may change the store and the scan still sees one
// consistent state. A malformed index key or a missing primary entry fails
// the store with corrupt_store (both are written in one batch, so either is
// a broken store, not a race).
void scan_by_index(
    rocks_db& db, int64_t from, int64_t to,
    const std::function<std::optional<std::string>(std::string_view index_key)>& primary_key_of,
    const std::function<bool(std::string_view index_key, std::string_view value)>& visit);

}  // namespace runnel::stream::state
