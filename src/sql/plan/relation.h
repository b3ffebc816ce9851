// relation_info: what the binder needs to know about a named relation —
// its columns, keys and watermarks, and for a plain view its query. The
// catalog (catalog/) owns these; the binder only reads them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sql/parse/statement.h"
#include "sql/plan/logical.h"

namespace runnel::sql {

enum class relation_kind { source, table, materialized_view, view, sink, system };

std::string_view relation_kind_name(relation_kind k);

struct relation_info {
  uint64_t id = 0;  // stable across renames and restarts
  std::string name;
  relation_kind kind = relation_kind::table;
  std::vector<plan_column> columns;
  std::vector<int> primary_key;  // empty: none declared or derived
  bool append_only = false;      // a plain source, an EMIT ON WINDOW CLOSE view
  std::vector<int> watermarks;   // columns with a watermark
  std::string definition;        // the CREATE statement
  // view: its query and the relation ids its names resolved to at creation
  std::shared_ptr<const json> query;
  std::map<std::string, uint64_t> deps;
  std::vector<int> temporal_joins;
  // system tables (pg_catalog, information_schema): the schema they are in
  std::string schema = "public";
};

// The oid a user relation has in pg_class (and 'name'::regclass):
// PostgreSQL's first user oid, 16384, plus its id.
inline int64_t relation_oid(const relation_info& r) {
  return 16384 + static_cast<int64_t>(r.id);
}

class catalog_reader {
 public:
  virtual ~catalog_reader() = default;
  // A user relation by name (schema public), or nullptr.
  virtual const relation_info* find(std::string_view name) const = 0;
  virtual const relation_info* by_id(uint64_t id) const = 0;
  // A system table (pg_catalog.pg_class, information_schema.tables, ...).
  virtual const relation_info* system_table(std::string_view schema,
                                            std::string_view name) const = 0;
};

}  // namespace runnel::sql
