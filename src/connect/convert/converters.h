// The converters runnel ships, by Kafka's class names:
//
//   org.apache.kafka.connect.json.JsonConverter           JSON, with or without
//                                                         the schema envelope
//   org.apache.kafka.connect.storage.StringConverter      UTF-8 text
//   org.apache.kafka.connect.converters.ByteArrayConverter bytes as they are
//   org.apache.kafka.connect.converters.{Integer,Long,Short,Float,Double,Boolean}Converter
//                                                         big-endian numbers
//   org.apache.kafka.connect.storage.SimpleHeaderConverter header values as text
//   runnel.connect.converters.CloudEventsConverter        CloudEvents 1.0,
//                                                         structured or binary mode
#pragma once

#include <memory>

#include "connect/api/converter.h"

namespace runnel::connect {

std::unique_ptr<converter> make_json_converter();
std::unique_ptr<converter> make_string_converter();
std::unique_ptr<converter> make_bytes_converter();
std::unique_ptr<converter> make_cloudevents_converter();
std::unique_ptr<converter> make_number_converter(schema_type t);

// A value typed from its text, as Kafka's Values.parseString does for the
// common cases (SimpleHeaderConverter, InsertHeader's value.literal):
// true/false, the narrowest integer type, float64, JSON arrays and
// objects, else a string.
schema_and_value infer_value(std::string_view text);
std::unique_ptr<header_converter> make_simple_header_converter();

}  // namespace runnel::connect
