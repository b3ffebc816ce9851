// The `transforms` of a connector config: the named transformations in
// order, each with its optional predicate (and `negate`), built from Kafka
// Connect's keys:
//
//   transforms=a,b
//   transforms.a.type=org.apache.kafka.connect.transforms.InsertField$Value
//   transforms.a.static.field=source           (the transformation's own keys)
//   transforms.b.type=org.apache.kafka.connect.transforms.Filter
//   transforms.b.predicate=isTombstone
//   transforms.b.negate=false
//   predicates=isTombstone
//   predicates.isTombstone.type=org.apache.kafka.connect.transforms.predicates.RecordIsTombstone
//
// One chain per task, used by the task's thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "connect/api/config_def.h"
#include "connect/api/plugins.h"
#include "connect/api/transformation.h"

namespace runnel::connect {

class transformation_chain {
 public:
  static result<transformation_chain> create(const config_map& connector_config,
                                             const plugin_registry& plugins);

  // Applies every transformation whose predicate matches. false: a
  // transformation dropped the record. An error names the transformation
  // (its class, for the dead-letter headers) in `failed_class`.
  result<bool> apply(connect_record& r, std::string* failed_class = nullptr);

  bool empty() const { return stages_.empty(); }

  // The validation entries of transforms.* and predicates.* keys (the REST
  // validation answer's "Transforms" and "Predicates" groups), and the
  // definitions of those keys for this config.
  static config_def definitions(const config_map& connector_config, const plugin_registry& plugins);

 private:
  struct stage {
    std::string alias;
    std::string class_name;
    std::unique_ptr<transformation> t;
    std::shared_ptr<predicate> p;
    bool negate = false;
  };
  std::vector<stage> stages_;
};

}  // namespace runnel::connect
