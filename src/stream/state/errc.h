// Error codes of the stream state stores (src/stream/state). RocksDB's own
// message is logged where the error is made; the code tells the task what
// kind of failure it was.
#pragma once

#include <system_error>

namespace runnel::stream::state {

enum class state_errc {
  io_error = 1,       // RocksDB reported an I/O error (disk full, permissions, lock held)
  corrupt_store,      // RocksDB found corrupt files, or the store's own index is inconsistent
  store_error,        // any other RocksDB failure
  wrong_kind,         // the directory holds another kind of store (or another layout version)
  bad_changelog_key,  // restore was given a changelog key this store cannot decode
  closed,             // the store was closed
};
const std::error_category& state_category();
std::error_code make_error_code(state_errc e);

}  // namespace runnel::stream::state

template <>
struct std::is_error_code_enum<runnel::stream::state::state_errc> : std::true_type {};
