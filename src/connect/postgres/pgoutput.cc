#include "connect/postgres/pgoutput.h"

#include <charconv>
#include <cstdio>
#include <cstring>

namespace runnel::connect::postgres {

namespace {

// 2000-01-01 in Unix seconds: PostgreSQL's timestamps count from there.
constexpr std::int64_t pg_epoch_unix_seconds = 946'684'800;

// Big-endian reads over one message, each failing on a short message with a
// sentence that names the field.
class cursor {
 public:
  explicit cursor(std::span<const std::byte> b) : b_(b) {}

  bool at_end() const { return pos_ == b_.size(); }

  result<std::uint64_t> be(std::size_t n, const char* what) {
    if (b_.size() - pos_ < n) {
      return short_read(what);
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      v = (v << 8) | std::to_integer<std::uint8_t>(b_[pos_ + i]);
    }
    pos_ += n;
    return v;
  }
  result<std::uint8_t> u8(const char* what) {
    BOOST_OUTCOME_TRY(auto v, be(1, what));
    return static_cast<std::uint8_t>(v);
  }
  result<std::uint16_t> u16(const char* what) {
    BOOST_OUTCOME_TRY(auto v, be(2, what));
    return static_cast<std::uint16_t>(v);
  }
  result<std::uint32_t> u32(const char* what) {
    BOOST_OUTCOME_TRY(auto v, be(4, what));
    return static_cast<std::uint32_t>(v);
  }
  result<std::uint64_t> u64(const char* what) { return be(8, what); }

  // A NUL-terminated string.
  result<std::string> cstring(const char* what) {
    const auto* start = reinterpret_cast<const char*>(b_.data()) + pos_;
    const auto* nul = static_cast<const char*>(std::memchr(start, 0, b_.size() - pos_));
    if (nul == nullptr) {
      return short_read(what);
    }
    std::string s(start, nul);
    pos_ += s.size() + 1;
    return s;
  }

  result<std::string> bytes(std::size_t n, const char* what) {
    if (b_.size() - pos_ < n) {
      return short_read(what);
    }
    std::string s(reinterpret_cast<const char*>(b_.data()) + pos_, n);
    pos_ += n;
    return s;
  }

  error short_read(const char* what) const {
    return make_error(errc::data, "pgoutput: message ends inside " + std::string(what) + " (byte " +
                                      std::to_string(pos_) + " of " + std::to_string(b_.size()) +
                                      ")");
  }

 private:
  std::span<const std::byte> b_;
  std::size_t pos_ = 0;
};

result<tuple> read_tuple(cursor& c) {
  BOOST_OUTCOME_TRY(auto n, c.u16("the tuple's column count"));
  tuple t;
  t.reserve(n);
  for (std::uint16_t i = 0; i < n; ++i) {
    BOOST_OUTCOME_TRY(auto kind, c.u8("a column's kind"));
    value v;
    switch (kind) {
      case 'n':
        v.what = value::kind::null;
        break;
      case 'u':
        v.what = value::kind::unchanged_toast;
        break;
      case 't':
      case 'b': {
        v.what = kind == 't' ? value::kind::text : value::kind::binary;
        BOOST_OUTCOME_TRY(auto len, c.u32("a column's length"));
        BOOST_OUTCOME_TRY(v.data, c.bytes(len, "a column's value"));
        break;
      }
      default:
        return make_error(errc::data, "pgoutput: unknown column kind '" +
                                          std::string(1, static_cast<char>(kind)) + "'");
    }
    t.push_back(std::move(v));
  }
  return t;
}

result<message> decode_relation(cursor& c) {
  relation r;
  BOOST_OUTCOME_TRY(r.oid, c.u32("Relation: oid"));
  BOOST_OUTCOME_TRY(r.schema, c.cstring("Relation: namespace"));
  BOOST_OUTCOME_TRY(r.name, c.cstring("Relation: name"));
  BOOST_OUTCOME_TRY(auto identity, c.u8("Relation: replica identity"));
  switch (identity) {
    case 'd':
    case 'n':
    case 'f':
    case 'i':
      r.identity = static_cast<replica_identity>(identity);
      break;
    default:
      return make_error(errc::data, "pgoutput: unknown replica identity '" +
                                        std::string(1, static_cast<char>(identity)) + "'");
  }
  BOOST_OUTCOME_TRY(auto n, c.u16("Relation: column count"));
  r.columns.reserve(n);
  for (std::uint16_t i = 0; i < n; ++i) {
    column_def col;
    BOOST_OUTCOME_TRY(auto flags, c.u8("Relation: column flags"));
    col.part_of_key = (flags & 1) != 0;
    BOOST_OUTCOME_TRY(col.name, c.cstring("Relation: column name"));
    BOOST_OUTCOME_TRY(col.type_oid, c.u32("Relation: column type"));
    BOOST_OUTCOME_TRY(auto mod, c.u32("Relation: column type modifier"));
    col.type_modifier = static_cast<std::int32_t>(mod);
    r.columns.push_back(std::move(col));
  }
  return r;
}

result<message> decode_update(cursor& c) {
  update_msg u;
  BOOST_OUTCOME_TRY(u.relation_oid, c.u32("Update: relation oid"));
  BOOST_OUTCOME_TRY(auto tag, c.u8("Update: tuple tag"));
  if (tag == 'K' || tag == 'O') {
    u.old_kind = static_cast<char>(tag);
    BOOST_OUTCOME_TRY(auto old, read_tuple(c));
    u.old_tuple = std::move(old);
    BOOST_OUTCOME_TRY(tag, c.u8("Update: new tuple tag"));
  }
  if (tag != 'N') {
    return make_error(errc::data, "pgoutput: Update without its new tuple");
  }
  BOOST_OUTCOME_TRY(u.new_tuple, read_tuple(c));
  return u;
}

result<message> decode_one(cursor& c, std::uint8_t type) {
  switch (type) {
    case 'B': {
      begin_msg m;
      BOOST_OUTCOME_TRY(m.final_lsn.value, c.u64("Begin: final lsn"));
      BOOST_OUTCOME_TRY(auto ts, c.u64("Begin: commit time"));
      m.commit_time.micros_since_2000 = static_cast<std::int64_t>(ts);
      BOOST_OUTCOME_TRY(m.xid, c.u32("Begin: xid"));
      return m;
    }
    case 'C': {
      commit_msg m;
      BOOST_OUTCOME_TRY(m.flags, c.u8("Commit: flags"));
      BOOST_OUTCOME_TRY(m.commit_lsn.value, c.u64("Commit: commit lsn"));
      BOOST_OUTCOME_TRY(m.end_lsn.value, c.u64("Commit: end lsn"));
      BOOST_OUTCOME_TRY(auto ts, c.u64("Commit: commit time"));
      m.commit_time.micros_since_2000 = static_cast<std::int64_t>(ts);
      return m;
    }
    case 'O': {
      origin_msg m;
      BOOST_OUTCOME_TRY(m.origin_lsn.value, c.u64("Origin: lsn"));
      BOOST_OUTCOME_TRY(m.name, c.cstring("Origin: name"));
      return m;
    }
    case 'R':
      return decode_relation(c);
    case 'Y': {
      type_msg m;
      BOOST_OUTCOME_TRY(m.oid, c.u32("Type: oid"));
      BOOST_OUTCOME_TRY(m.schema, c.cstring("Type: namespace"));
      BOOST_OUTCOME_TRY(m.name, c.cstring("Type: name"));
      return m;
    }
    case 'I': {
      insert_msg m;
      BOOST_OUTCOME_TRY(m.relation_oid, c.u32("Insert: relation oid"));
      BOOST_OUTCOME_TRY(auto tag, c.u8("Insert: tuple tag"));
      if (tag != 'N') {
        return make_error(errc::data, "pgoutput: Insert without its new tuple");
      }
      BOOST_OUTCOME_TRY(m.new_tuple, read_tuple(c));
      return m;
    }
    case 'U':
      return decode_update(c);
    case 'D': {
      delete_msg m;
      BOOST_OUTCOME_TRY(m.relation_oid, c.u32("Delete: relation oid"));
      BOOST_OUTCOME_TRY(auto tag, c.u8("Delete: tuple tag"));
      if (tag != 'K' && tag != 'O') {
        return make_error(errc::data, "pgoutput: Delete without its old key or row");
      }
      m.old_kind = static_cast<char>(tag);
      BOOST_OUTCOME_TRY(m.old_tuple, read_tuple(c));
      return m;
    }
    case 'T': {
      truncate_msg m;
      BOOST_OUTCOME_TRY(auto n, c.u32("Truncate: relation count"));
      BOOST_OUTCOME_TRY(auto options, c.u8("Truncate: options"));
      m.cascade = (options & 1) != 0;
      m.restart_identity = (options & 2) != 0;
      for (std::uint32_t i = 0; i < n; ++i) {
        BOOST_OUTCOME_TRY(auto oid, c.u32("Truncate: relation oid"));
        m.relation_oids.push_back(oid);
      }
      return m;
    }
    case 'M': {
      logical_msg m;
      BOOST_OUTCOME_TRY(auto flags, c.u8("Message: flags"));
      m.transactional = (flags & 1) != 0;
      BOOST_OUTCOME_TRY(m.message_lsn.value, c.u64("Message: lsn"));
      BOOST_OUTCOME_TRY(m.prefix, c.cstring("Message: prefix"));
      BOOST_OUTCOME_TRY(auto len, c.u32("Message: length"));
      BOOST_OUTCOME_TRY(m.content, c.bytes(len, "Message: content"));
      return m;
    }
    default:
      return make_error(errc::data, "pgoutput: unknown message type '" +
                                        std::string(1, static_cast<char>(type)) +
                                        "' (streamed transactions and protocol versions above 1 "
                                        "are not requested)");
  }
}

}  // namespace

std::string lsn::to_string() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(value >> 32),
                static_cast<unsigned>(value & 0xffffffffu));
  return buf;
}

std::optional<lsn> lsn::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) {
    return std::nullopt;
  }
  std::uint32_t hi = 0;
  std::uint32_t lo = 0;
  auto h = std::from_chars(text.data(), text.data() + slash, hi, 16);
  auto l = std::from_chars(text.data() + slash + 1, text.data() + text.size(), lo, 16);
  if (h.ec != std::errc{} || h.ptr != text.data() + slash || l.ec != std::errc{} ||
      l.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return lsn{(static_cast<std::uint64_t>(hi) << 32) | lo};
}

std::int64_t pg_timestamp::unix_micros() const {
  return micros_since_2000 + pg_epoch_unix_seconds * 1'000'000;
}

std::int64_t pg_timestamp::unix_millis() const {
  // Floor division, so that instants before 1970 round down as Java's do.
  auto us = unix_micros();
  return us >= 0 ? us / 1000 : -((-us + 999) / 1000);
}

result<message> decode(std::span<const std::byte> bytes) {
  cursor c(bytes);
  BOOST_OUTCOME_TRY(auto type, c.u8("the message type"));
  BOOST_OUTCOME_TRY(auto m, decode_one(c, type));
  if (!c.at_end()) {
    return make_error(errc::data, "pgoutput: '" + std::string(1, static_cast<char>(type)) +
                                      "' message has bytes after its last field");
  }
  return m;
}

void relation_cache::put(relation r) {
  auto oid = r.oid;
  by_oid_.insert_or_assign(oid, std::move(r));
}

const relation* relation_cache::find(std::uint32_t oid) const {
  auto it = by_oid_.find(oid);
  return it == by_oid_.end() ? nullptr : &it->second;
}

}  // namespace runnel::connect::postgres
