// test_catalog: relations for the SQL unit tests, held in memory the way
// the durable catalog will hold them, and the binding of a statement
// against them.
#pragma once

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "sql/parse/statement.h"
#include "sql/plan/binder.h"
#include "sql/plan/relation.h"

namespace runnel::sql::testing {

class test_catalog : public catalog_reader {
 public:
  // A relation with these columns; a source is append-only.
  const relation_info& add(std::string name, relation_kind kind,
                           std::vector<std::pair<std::string, sql_type>> cols,
                           std::vector<int> primary_key = {}, std::vector<int> watermarks = {}) {
    relation_info r;
    r.id = rels_.size() + 1;
    r.name = std::move(name);
    r.kind = kind;
    for (auto& [n, t] : cols) r.columns.push_back(plan_column{n, t, r.name, false});
    r.primary_key = std::move(primary_key);
    r.append_only = kind == relation_kind::source;
    r.watermarks = std::move(watermarks);
    rels_.push_back(std::move(r));
    return rels_.back();
  }
  const relation_info* find(std::string_view name) const override {
    for (const auto& r : rels_)
      if (r.name == name) return &r;
    return nullptr;
  }
  const relation_info* by_id(uint64_t id) const override {
    for (const auto& r : rels_)
      if (r.id == id) return &r;
    return nullptr;
  }
  const relation_info* system_table(std::string_view, std::string_view) const override {
    return nullptr;
  }

  // The rewritten logical plan of one SELECT.
  result<plan_ptr> plan(std::string_view sql, bool streaming) const {
    BOOST_OUTCOME_TRY(auto stmts, parse_sql(sql));
    if (stmts.size() != 1) return make_error(errc::internal, -1, "one statement expected");
    bind_options opt;
    opt.catalog = this;
    opt.streaming = streaming;
    opt.temporal_joins = stmts[0].temporal_joins;
    BOOST_OUTCOME_TRY(auto q, bind_query(stmts[0].node, opt));
    return rewrite(q.root, streaming);
  }

 private:
  std::deque<relation_info> rels_;  // a deque: relation_info pointers stay valid
};

}  // namespace runnel::sql::testing
