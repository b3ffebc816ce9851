// Expiry through a time index, shared by the window and session stores:
// deletes a range of index entries and the primary entry each points to.
// Private to src/stream/state; called by the store that owns `db`.
#pragma once

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

}  // namespace runnel::stream::state
