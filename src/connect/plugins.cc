// register_builtin_plugins: every plugin runnel ships (register.h).
#include "connect/api/plugins.h"
#include "connect/register.h"

namespace runnel::connect {

void register_builtin_plugins(plugin_registry& r) {
  register_converters(r);
  register_transformations(r);
  register_file_stream(r);
  register_tail_file(r);
  objstore::register_objstore(r);
  register_postgres(r);
  register_jdbc(r);
  register_http(r);
}

}  // namespace runnel::connect
