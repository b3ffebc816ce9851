// sql_group: the Kafka group in which `runnel sql --share` processes share
// the pipelines of one catalog (sql/group/group_link.h). It adapts the
// group member of Kafka Connect's distributed mode
// (connect/distributed/group_member.h) — one implementation of the group
// protocol in runnel — and lives in cli because only cli may use both sql
// and connect (DESIGN.md).
//
// Thread-safety: as group_link.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "sql/group/group_link.h"

namespace runnel::cli {

// The group of the processes sharing `catalog_topic`: its id is
// "runnel-sql-" + the topic, so that one catalog is one group.
std::unique_ptr<sql::group_link> make_sql_group(const std::string& brokers,
                                                const std::string& catalog_topic,
                                                std::chrono::milliseconds session_timeout);

}  // namespace runnel::cli
