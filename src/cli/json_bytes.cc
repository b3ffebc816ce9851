#include "cli/json_bytes.h"

#include <string>

// Beast's encoder (header-only, in Boost 1.81 which the project pins through
// Debian) rather than a hand-written one; simdjson validates UTF-8 fast.
#include <simdjson.h>
#include <boost/beast/core/detail/base64.hpp>

namespace runnel::cli {

std::string base64(std::string_view bytes) {
  namespace b64 = boost::beast::detail::base64;
  std::string out(b64::encoded_size(bytes.size()), '\0');
  out.resize(b64::encode(out.data(), bytes.data(), bytes.size()));
  return out;
}

void put_bytes(nlohmann::ordered_json& obj, const char* field,
               const std::optional<std::string_view>& bytes, bool always_base64) {
  if (!bytes) {
    obj[field] = nullptr;
    return;
  }
  if (!always_base64 && simdjson::validate_utf8(bytes->data(), bytes->size())) {
    obj[field] = std::string(*bytes);
    return;
  }
  obj[field] = base64(*bytes);
  obj[std::string(field) + "_encoding"] = "base64";
}

}  // namespace runnel::cli
