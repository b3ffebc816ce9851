// Single message transformations and their predicates (Kafka's
// Transformation and Predicate): configured once per task, applied to every
// record in the order the connector's `transforms` list names them —
// after poll() for sources, before put() for sinks.
//
// Instances are per task, used by one thread.
#pragma once

#include "connect/api/plugin.h"
#include "connect/api/record.h"

namespace runnel::connect {

class transformation : public plugin_instance {
 public:
  virtual result<void> configure(const config_map& props) = 0;
  // Changes `r` in place. false: drop the record (Filter). An error with
  // errc::data fails this record; errors.tolerance decides what follows.
  virtual result<bool> apply(connect_record& r) = 0;
};

class predicate : public plugin_instance {
 public:
  virtual result<void> configure(const config_map& props) = 0;
  virtual result<bool> test(const connect_record& r) = 0;
};

}  // namespace runnel::connect
