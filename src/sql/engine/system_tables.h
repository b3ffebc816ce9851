// The pg_catalog and information_schema tables that psql's \dt, \dv, \dm
// and drivers and BI tools read to list relations and their columns:
// pg_namespace, pg_class, pg_attribute, pg_type, pg_am, pg_database, and
// information_schema.tables, .columns and .schemata. Their rows are made
// from the engine's relations when a query reads them (nothing is stored).
// User relations get oid 16384 + id, PostgreSQL's first user oid.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sql/exec/row_batch.h"
#include "sql/plan/relation.h"

namespace runnel::sql {

// pg_class.relkind of a user relation ('r', 'v', 'm'; a source is a
// foreign table, 'f'), nullptr for kinds pg_class does not list (sinks).
const char* pg_relkind(relation_kind k);

// Whether psql and pg_class show the relation with an index: the primary
// key a table or an upsert source declares (PostgreSQL makes a unique
// btree index for one), named as PostgreSQL names it (`<name>_pkey`).
bool has_primary_key_index(const relation_info& r);
std::string primary_key_index_name(const relation_info& r);

const relation_info* find_system_table(std::string_view schema, std::string_view name);
const relation_info* system_table_by_id(uint64_t id);

// The rows of system table `id` describing `relations` (the user's).
// pg_catalog.pg_cursors (cursors_table_id) lists a session's cursors,
// which the engine knows: here it has no rows.
row_batch system_rows(uint64_t id, const std::vector<const relation_info*>& relations);
uint64_t cursors_table_id();
// pg_catalog.pg_settings (name, setting, short_desc): the session's
// parameters, which the engine fills (setting_rows).
uint64_t settings_table_id();

}  // namespace runnel::sql
