// The one list of every built-in plugin: register_builtin_plugins calls the
// register_* function of each folder (plugins.cc). A new connector folder
// adds its function here and one line there.
#pragma once

namespace runnel::connect {

class plugin_registry;

void register_builtin_plugins(plugin_registry& r);

void register_converters(plugin_registry& r);       // convert/
void register_transformations(plugin_registry& r);  // transforms/
void register_file_stream(plugin_registry& r);      // file_stream/
void register_tail_file(plugin_registry& r);        // tail_file/
void register_postgres(plugin_registry& r);         // postgres/
void register_jdbc(plugin_registry& r);             // jdbc/
void register_http(plugin_registry& r);             // http/
namespace objstore {
void register_objstore(plugin_registry& r);  // objstore/
}

}  // namespace runnel::connect
