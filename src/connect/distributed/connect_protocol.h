// Kafka Connect's group protocol "default" (version 0, eager), byte for
// byte as Java's ConnectProtocol writes it:
//
//   member metadata   version:int16 = 0, url:string, config_offset:int64
//   assignment        version:int16 = 0, error:int16, leader:string,
//                     leader_url:string, config_offset:int64,
//                     [connector:string, [task:int32]]   (task -1: the
//                     connector itself)
//
// Strings are int16-length UTF-8, arrays int32-counted (Kafka's classic
// encoding).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "connect/runtime/membership.h"

namespace runnel::connect {

inline constexpr const char* connect_protocol_name = "default";

std::vector<std::byte> encode_member_metadata(const std::string& url, int64_t config_offset);
std::optional<member_info> decode_member_metadata(std::string member_id,
                                                  std::span<const std::byte> bytes);

std::vector<std::byte> encode_assignment(const work_assignment& a, const std::string& leader_id,
                                         int16_t error = 0);
// The assignment, and the leader's member id.
std::optional<std::pair<work_assignment, std::string>> decode_assignment(
    std::span<const std::byte> bytes, int32_t generation);

}  // namespace runnel::connect
