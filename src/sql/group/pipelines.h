// pipelines: the unit of work that several SQL processes share (`runnel
// sql --share`, src/sql/README.md "Several processes"). A pipeline is a
// connected component of the dependency graph — sources and tables with
// every view and sink over them — so that a view and everything it reads
// run in one process. It is named by the smallest relation id in it.
//
// Also here: what each member tells the group (its PostgreSQL address and
// the pipelines it runs now) and what the leader hands back (the owner of
// each pipeline and every member's address), as JSON, and the leader's
// assignment: sticky (a pipeline stays where it runs while that member is
// not above its share) and balanced (the others go to the member with the
// fewest).
//
// Pure functions; no thread-safety concerns.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace runnel::sql {

// Each relation's pipeline, from (relation id, ids it depends on).
std::map<uint64_t, uint64_t> pipeline_of(
    const std::vector<std::pair<uint64_t, std::vector<uint64_t>>>& relations);

struct member_state {
  std::string member_id;  // the group's id for it (not encoded: the group says it)
  std::string address;    // HOST:PORT where it serves the PostgreSQL protocol
  std::vector<uint64_t> running;
};

std::string encode_member(const member_state& m);
std::optional<member_state> decode_member(const std::string& member_id, const std::string& bytes);

// The leader's decision, the same for every member.
struct group_plan {
  int32_t generation = -1;
  std::string leader;                          // member id
  std::map<std::string, std::string> address;  // member id -> HOST:PORT
  std::map<uint64_t, std::string> owner;       // pipeline -> member id
};

std::string encode_plan(const group_plan& p);
std::optional<group_plan> decode_plan(const std::string& bytes);

// pipeline -> member id: every pipeline to exactly one member (none if
// there are no members).
std::map<uint64_t, std::string> assign_pipelines(const std::vector<uint64_t>& pipelines,
                                                 const std::vector<member_state>& members);

}  // namespace runnel::sql
