#include "connect/postgres/snapshot_reader.h"

#include <charconv>

#include "connect/postgres/replication.h"

namespace runnel::connect::postgres {

namespace {

constexpr const char* cursor_name = "runnel_snapshot";

}  // namespace

result<snapshot_reader> snapshot_reader::begin(sql_connection& c, const std::string& snapshot_name,
                                               const table_filter& filter,
                                               std::int64_t fetch_size) {
  snapshot_reader r;
  r.c_ = &c;
  r.fetch_size_ = fetch_size;
  BOOST_OUTCOME_TRY(c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  if (!snapshot_name.empty()) {
    BOOST_OUTCOME_TRY(c.query("SET TRANSACTION SNAPSHOT " + quote_literal(snapshot_name)));
  }
  BOOST_OUTCOME_TRY(auto x, c.query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text"));
  if (!x.empty() && x[0][0]) {
    std::from_chars(x[0][0]->data(), x[0][0]->data() + x[0][0]->size(), r.xmin_);
  }
  BOOST_OUTCOME_TRY(auto refs, list_tables(c));
  for (const auto& t : refs) {
    if (!filter.admits(t.schema, t.name)) {
      continue;
    }
    BOOST_OUTCOME_TRY(auto rel, read_relation(c, t.oid));
    r.tables_.push_back(std::move(rel));
  }
  return r;
}

result<std::vector<tuple>> snapshot_reader::fetch() {
  BOOST_OUTCOME_TRY(auto rows, c_->query("FETCH " + std::to_string(fetch_size_) + " FROM " +
                                         std::string(cursor_name)));
  std::vector<tuple> out;
  out.reserve(rows.size());
  for (auto& row : rows) {
    tuple t;
    t.reserve(row.size());
    for (auto& v : row) {
      if (v) {
        t.push_back(value{value::kind::text, std::move(*v)});
      } else {
        t.push_back(value{value::kind::null, {}});
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

result<std::optional<snapshot_reader::chunk>> snapshot_reader::next() {
  if (done_) {
    return std::optional<chunk>{};
  }
  if (table_ >= tables_.size()) {
    BOOST_OUTCOME_TRY(c_->query("COMMIT"));
    done_ = true;
    return std::optional<chunk>{};
  }
  const auto& rel = tables_[table_];
  chunk out;
  out.table = table_;
  if (!cursor_open_) {
    std::string cols;
    for (const auto& col : rel.columns) {
      cols += (cols.empty() ? "" : ", ") + quote_identifier(col.name);
    }
    if (cols.empty()) {
      cols = "NULL";  // a table without columns still has rows to count
    }
    BOOST_OUTCOME_TRY(c_->query("DECLARE " + std::string(cursor_name) + " NO SCROLL CURSOR FOR " +
                                "SELECT " + cols + " FROM " + quote_identifier(rel.schema) + "." +
                                quote_identifier(rel.name)));
    cursor_open_ = true;
    first_ = true;
    BOOST_OUTCOME_TRY(auto rows, fetch());
    ahead_ = std::move(rows);
  }
  out.first_of_table = first_;
  first_ = false;
  out.rows = std::move(*ahead_);
  ahead_.reset();
  bool more = static_cast<std::int64_t>(out.rows.size()) == fetch_size_;
  if (more) {
    BOOST_OUTCOME_TRY(auto rows, fetch());
    more = !rows.empty();
    if (more) {
      ahead_ = std::move(rows);
    }
  }
  if (!more) {
    out.last_of_table = true;
    BOOST_OUTCOME_TRY(c_->query("CLOSE " + std::string(cursor_name)));
    cursor_open_ = false;
    ++table_;
  }
  return std::optional<chunk>(std::move(out));
}

}  // namespace runnel::connect::postgres
