#include "connect/postgres/cdc_offset.h"

namespace runnel::connect::postgres {

namespace {

std::int64_t as_i64(lsn l) {
  return static_cast<std::int64_t>(l.value);
}

std::optional<lsn> lsn_field(const data& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer()) {
    return std::nullopt;
  }
  return lsn{static_cast<std::uint64_t>(it->get<std::int64_t>())};
}

std::int64_t int_field(const data& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

}  // namespace

data cdc_offset::to_json() const {
  data j = data::object();
  j["lsn_commit"] = as_i64(commit_lsn);
  j["lsn"] = as_i64(change_lsn);
  j["lsn_proc"] = as_i64(change_lsn);
  j["txId"] = tx_id;
  j["ts_usec"] = ts_usec;
  j["events"] = events;
  if (tx_complete) {
    j["tx_complete"] = true;
  }
  if (flush_lsn) {
    j["flush_lsn"] = as_i64(*flush_lsn);
  }
  if (snapshot) {
    j["snapshot"] = true;
  }
  incremental.to_offset(j);
  return j;
}

std::optional<cdc_offset> cdc_offset::from_json(const data& j) {
  if (!j.is_object()) {
    return std::nullopt;
  }
  auto commit = lsn_field(j, "lsn_commit");
  auto change = lsn_field(j, "lsn");
  if (!change) {
    return std::nullopt;
  }
  cdc_offset o;
  // A Debezium offset has lsn (and maybe lsn_commit): a position between
  // transactions at lsn.
  o.commit_lsn = commit.value_or(*change);
  o.change_lsn = *change;
  o.tx_id = int_field(j, "txId");
  o.ts_usec = int_field(j, "ts_usec");
  o.events = int_field(j, "events");
  o.tx_complete = j.value("tx_complete", false);
  o.flush_lsn = lsn_field(j, "flush_lsn");
  o.snapshot = j.value("snapshot", false);
  std::string warning;  // the task reads the progress itself to report it
  o.incremental = incremental_progress::from_offset(j, warning);
  return o;
}

std::int64_t cdc_offset::delivered_of(lsn commit) const {
  if (commit < commit_lsn) {
    return -1;
  }
  if (commit == commit_lsn) {
    return tx_complete ? -1 : events;
  }
  return 0;
}

}  // namespace runnel::connect::postgres
