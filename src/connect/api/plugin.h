// What every plugin (connector, converter, header converter,
// transformation, predicate) has: a configuration definition. The registry
// (plugins.h) makes instances by class name.
#pragma once

#include "connect/api/config_def.h"

namespace runnel::connect {

class plugin_instance {
 public:
  virtual ~plugin_instance() = default;
  // The keys this plugin accepts. Returns the same object for every
  // instance of a class (the REST API and the docs ask without configuring).
  virtual const config_def& config() const = 0;
};

}  // namespace runnel::connect
