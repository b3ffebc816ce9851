// Keys of the time-index column family of the window and session stores:
// the same fields as the primary key (changelog_codec.h) with the time moved
// to the front, so that a scan by time (fetch_all, fetch_ended, expire) is
// one ordered range. Index values are empty. Layouts:
// docs/format/state-stores.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "stream/state/changelog_codec.h"

namespace runnel::stream::state {

// Column family names. They also mark the store's kind and layout version:
// opening a directory whose column families differ fails with wrong_kind.
inline constexpr std::string_view window_index_cf = "window_time_v1";
inline constexpr std::string_view session_index_cf = "session_end_v1";

// Window index: time | key-length | key | seq.
std::string encode_window_index_key(const window_key& k);
std::optional<window_key> decode_window_index_key(std::string_view bytes);

// Session index: end | key-length | key | start.
std::string encode_session_index_key(const session_key& k);
std::optional<session_key> decode_session_index_key(std::string_view bytes);

}  // namespace runnel::stream::state
