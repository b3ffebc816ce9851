// rename: ALTER ... RENAME TO as PostgreSQL does it for dependants — the
// stored CREATE statements are rewritten so that every reference to the old
// name names the new one, and a restart that replays them (catalog/) binds
// the same relations. PostgreSQL stores views as parse trees bound to oids,
// so a rename never breaks them; runnel stores the statement text, and this
// rewrite keeps it true.
#pragma once

#include <string>
#include <string_view>

#include "sql/error.h"
#include "sql/parse/statement.h"

namespace runnel::sql {

// `sql` (one CREATE statement) with each reference to relation `from`
// spelled `to`: the name it creates, a sink's FROM, every table reference
// of its query (also TUMBLE/HOP/SESSION's first argument) and every column
// qualified by the relation's name (`from.col`, unless an alias or a CTE of
// that name shadows it). Positions come from the parse, so strings,
// comments and other identifiers are never touched. `to` is quoted when it
// is not a plain lower-case identifier or is a keyword. Returns `sql`
// unchanged when it does not mention `from`.
result<std::string> rename_relation_in(std::string_view sql, std::string_view from,
                                       std::string_view to);

// `sql` (a plain CREATE TABLE) with column `from` spelled `to`: its
// definition and the keys of a table constraint (PRIMARY KEY (a, b)).
result<std::string> rename_column_in(std::string_view sql, std::string_view from,
                                     std::string_view to);

// `sql` (a CREATE SOURCE, or CREATE TABLE over a topic) with column `from`
// spelled `to` while it goes on reading the field it read: the column gets
// PostgreSQL's foreign-table column option `OPTIONS (column_name 'field')`
// (postgres_fdw's spelling) unless it has one. Its watermark, INCLUDE and
// key clauses are the caller's to refuse.
result<std::string> rename_source_column_in(std::string_view sql, std::string_view from,
                                            std::string_view to);

// The field a source's ColumnDef reads: its OPTIONS (column_name '…'), or
// its name.
std::string source_field_name(const json& column_def);

// `name` as an identifier in SQL text: bare if it reads back as itself, else
// double-quoted.
std::string quote_identifier(std::string_view name);

}  // namespace runnel::sql
