// The single message transformations and predicates runnel ships, under
// Kafka's class names (org.apache.kafka.connect.transforms.*, and
// ….transforms.predicates.*); register.cc lists them. Each file holds one
// transformation; its opening comment says what it does.
#pragma once

#include <memory>

#include "connect/api/transformation.h"
#include "connect/transforms/common.h"

namespace runnel::connect::transforms {

std::unique_ptr<transformation> make_insert_field(side s);
std::unique_ptr<transformation> make_replace_field(side s);
std::unique_ptr<transformation> make_mask_field(side s);
std::unique_ptr<transformation> make_value_to_key();
std::unique_ptr<transformation> make_extract_field(side s);
std::unique_ptr<transformation> make_hoist_field(side s);
std::unique_ptr<transformation> make_cast(side s);
std::unique_ptr<transformation> make_flatten(side s);
std::unique_ptr<transformation> make_timestamp_converter(side s);
std::unique_ptr<transformation> make_timestamp_router();
std::unique_ptr<transformation> make_regex_router();
std::unique_ptr<transformation> make_filter();
std::unique_ptr<transformation> make_insert_header();
std::unique_ptr<transformation> make_drop_headers();
std::unique_ptr<transformation> make_header_from(side s);

std::unique_ptr<predicate> make_topic_name_matches();
std::unique_ptr<predicate> make_has_header_key();
std::unique_ptr<predicate> make_record_is_tombstone();

}  // namespace runnel::connect::transforms
