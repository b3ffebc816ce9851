// Request and response headers, and the helpers that decode or encode a
// whole message body with its serde().
//
// Request header v1: api_key i16, api_version i16, correlation_id i32,
// client_id nullable string (always int16-length, even in v2). v2 adds a
// tagged-field section. A request uses v2 when its API version is flexible.
// Response header v0: correlation_id; v1 adds tagged fields. ApiVersions
// responses always use v0 so that a client can parse them whatever version
// it asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "kafka/api.h"
#include "kafka/wire.h"

namespace runnel::kafka {

struct request_header {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
};

// Decodes the header at the front of a request frame (without the size
// prefix). Needs the API table to know whether the header has tags; for an
// unknown API key only the fixed part is read. Advances `r`.
bool decode_request_header(reader& r, request_header& h);

// Writes a request header (for tests and tools).
void encode_request_header(writer& w, const request_header& h);

// True if the response to (key, version) carries tagged fields in its header.
bool response_header_flexible(int16_t api_key, int16_t api_version);

// Decodes a message body. Returns false if the bytes do not parse.
template <class M>
bool decode_body(reader& r, M& m, int16_t version, bool flexible) {
  decoder d{r, version, flexible};
  m.serde(d);
  return r.ok();
}

// Encodes a message body.
template <class M>
void encode_body(writer& w, M& m, int16_t version, bool flexible) {
  encoder e{w, version, flexible};
  m.serde(e);
}

// A whole response frame: size, header, body.
template <class M>
void encode_response(writer& w, int32_t correlation_id, int16_t api_key, int16_t version, M& body) {
  const size_t size_at = w.reserve_i32();
  w.i32(correlation_id);
  if (response_header_flexible(api_key, version)) w.empty_tags();
  const api_info* api = find_api(api_key);
  encode_body(w, body, version, api && api->flexible(version));
  w.patch_i32(size_at, int32_t(w.total_size() - size_at - 4));
}

}  // namespace runnel::kafka
