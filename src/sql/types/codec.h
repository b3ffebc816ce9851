// Byte encodings of rows for the state store (docs/format/sql-state.md).
//
// Keys are memcomparable: comparing encoded keys byte by byte orders them as
// SQL orders the values (ASC NULLS LAST; DESC NULLS FIRST, PostgreSQL's
// defaults), so RocksDB's ordered iteration gives min/max, Top-N and range
// scans for free. Text orders by bytes (the C collation). Values are compact
// (a null bitmap, varints) and read back into datums whose strings are
// copied into an arena.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sql/types/arena.h"
#include "sql/types/datum.h"
#include "sql/types/type.h"

namespace runnel::sql::codec {

// Appends the key encoding of one value; `descending` inverts its bytes.
void append_key(const sql_type& t, const datum& d, std::string& out, bool descending = false);
// Reads one key-encoded value at `pos`, advancing it; false if malformed.
bool read_key(const sql_type& t, std::string_view in, size_t& pos, datum& out, arena& a,
              bool descending = false);

void append_value(const sql_type& t, const datum& d, std::string& out);
bool read_value(const sql_type& t, std::string_view in, size_t& pos, datum& out, arena& a);

// A whole row: a null bitmap then each non-null value.
void append_row(std::span<const sql_type> types, const datum* row, std::string& out);
bool read_row(std::span<const sql_type> types, std::string_view in, size_t& pos, datum* row,
              arena& a);

// Varints (LEB128) and zigzag, used by the formats above and the state layout.
void append_varint(uint64_t v, std::string& out);
bool read_varint(std::string_view in, size_t& pos, uint64_t& v);
void append_svarint(int64_t v, std::string& out);
bool read_svarint(std::string_view in, size_t& pos, int64_t& v);
// Big-endian fixed widths, memcomparable for unsigned values.
void append_u32_be(uint32_t v, std::string& out);
uint32_t read_u32_be(const char* p);
void append_u64_be(uint64_t v, std::string& out);
uint64_t read_u64_be(const char* p);

}  // namespace runnel::sql::codec
