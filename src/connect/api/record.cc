#include "connect/api/record.h"

#include <algorithm>

namespace runnel::connect {

const header* connect_record::last_header(std::string_view key) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it)
    if (it->key == key) return &*it;
  return nullptr;
}

void connect_record::add_header(std::string key, data v, schema_ptr schema) {
  headers.push_back({std::move(key), std::move(schema), std::move(v)});
}

void connect_record::remove_headers(std::string_view key) {
  std::erase_if(headers, [&](const header& h) { return h.key == key; });
}

}  // namespace runnel::connect
