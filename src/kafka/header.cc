#include "kafka/header.h"

namespace runnel::kafka {

bool decode_request_header(reader& r, request_header& h) {
  h.api_key = r.i16();
  h.api_version = r.i16();
  h.correlation_id = r.i32();
  h.client_id = r.nullable_string(false);
  if (!r.ok()) return false;
  const api_info* api = find_api(h.api_key);
  if (api && api->flexible(h.api_version)) r.skip_tags();
  return r.ok();
}

void encode_request_header(writer& w, const request_header& h) {
  w.i16(h.api_key);
  w.i16(h.api_version);
  w.i32(h.correlation_id);
  w.nullable_string(h.client_id, false);
  const api_info* api = find_api(h.api_key);
  if (api && api->flexible(h.api_version)) w.empty_tags();
}

bool response_header_flexible(int16_t api_key, int16_t api_version) {
  if (api_key == static_cast<int16_t>(api_key::api_versions)) return false;
  const api_info* api = find_api(api_key);
  return api && api->flexible(api_version);
}

}  // namespace runnel::kafka
