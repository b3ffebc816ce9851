#include "sql/connector/json_row.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <unordered_map>

#include "sql/types/jsonb.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace ondemand = simdjson::ondemand;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

struct json_row_decoder::impl {
  std::vector<plan_column> columns;
  std::unordered_map<std::string, size_t> by_name;  // lower-case name -> column
  // Keys as they appear in records -> column (-1: none): records repeat the
  // same few keys, so most are found without lower-casing or allocating.
  // Bounded, so that records with ever new keys cannot grow it.
  struct key_hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int, key_hash, std::equal_to<>> by_key;
  static constexpr size_t max_keys = 1024;
  ondemand::parser parser;
  std::string buffer;  // the record and simdjson's padding, reused

  int column_of(std::string_view key) {
    auto it = by_key.find(key);
    if (it != by_key.end()) return it->second;
    auto named = by_name.find(lower(key));
    int col = named == by_name.end() ? -1 : static_cast<int>(named->second);
    if (by_key.size() < max_keys) by_key.emplace(std::string(key), col);
    return col;
  }

  result<void> field(size_t col, ondemand::value v, datum* row, arena& a) {
    const sql_type& t = columns[col].type;
    const std::string& name = columns[col].name;
    auto bad = [&](std::string_view why) {
      return make_error(errc::invalid_text_representation, -1, "field \"{}\": {}", name, why);
    };
    ondemand::json_type jt;
    if (v.type().get(jt)) return bad("not JSON");
    // The value as JSON text (for jsonb and for text columns given a
    // non-string) or as the text form of the column's type.
    std::string_view raw;
    std::string_view str;
    bool is_string = false;
    switch (jt) {
      case ondemand::json_type::null:
        row[col] = datum::null_value();
        return outcome::success();
      case ondemand::json_type::string:
        if (v.get_string().get(str)) return bad("a malformed string");
        is_string = true;
        break;
      case ondemand::json_type::object: {
        ondemand::object o;
        if (v.get_object().get(o) || o.raw_json().get(raw)) return bad("a malformed object");
        break;
      }
      case ondemand::json_type::array: {
        ondemand::array arr;
        if (v.get_array().get(arr) || arr.raw_json().get(raw)) return bad("a malformed array");
        break;
      }
      case ondemand::json_type::number:
      case ondemand::json_type::boolean:
        raw = trim_right(v.raw_json_token());
        break;
    }
    if (t.id == type_id::jsonb) {
      std::string doc = is_string ? jsonb::quote(str) : std::string(raw);
      auto norm = jsonb::normalize(doc);
      if (!norm) return bad("not JSON");
      row[col] = datum::of_text(a.copy(*norm));
      return outcome::success();
    }
    if (!is_string && (jt == ondemand::json_type::object || jt == ondemand::json_type::array) &&
        !is_string_like(t.id))
      return bad(fmt::format("a JSON {} cannot be {}",
                             jt == ondemand::json_type::object ? "object" : "array", type_name(t)));
    auto d = from_text(t, is_string ? str : raw, a);
    if (!d) return bad(d.error().message);
    row[col] = d.value();
    return outcome::success();
  }
};

json_row_decoder::json_row_decoder(std::vector<plan_column> columns)
    : impl_(std::make_unique<impl>()) {
  impl_->columns = std::move(columns);
  for (size_t i = 0; i < impl_->columns.size(); ++i)
    impl_->by_name.emplace(lower(impl_->columns[i].name), i);
}
json_row_decoder::~json_row_decoder() = default;
json_row_decoder::json_row_decoder(json_row_decoder&&) noexcept = default;
json_row_decoder& json_row_decoder::operator=(json_row_decoder&&) noexcept = default;

result<void> json_row_decoder::decode(std::string_view text, datum* row, arena& a) {
  auto& m = *impl_;
  for (size_t i = 0; i < m.columns.size(); ++i) row[i] = datum::null_value();
  if (m.buffer.size() < text.size() + simdjson::SIMDJSON_PADDING)
    m.buffer.resize(text.size() + simdjson::SIMDJSON_PADDING);
  std::copy(text.begin(), text.end(), m.buffer.begin());
  ondemand::document doc;
  if (m.parser.iterate(m.buffer.data(), text.size(), m.buffer.size()).get(doc))
    return make_error(errc::invalid_text_representation, -1, "the value is not JSON");
  ondemand::object obj;
  std::string_view whole;
  if (doc.get_object().get(obj) || obj.raw_json().get(whole))
    return make_error(errc::invalid_text_representation, -1, "the value is not a JSON object");
  // A document with more after the object ({..} {..}) is not one record.
  const char* end = m.buffer.data() + text.size();
  for (const char* p = whole.data() + whole.size(); p < end; ++p)
    if (!std::isspace(static_cast<unsigned char>(*p)))
      return make_error(errc::invalid_text_representation, -1,
                        "the value is more than one JSON object");
  doc.rewind();
  if (doc.get_object().get(obj))
    return make_error(errc::invalid_text_representation, -1, "the value is not a JSON object");
  for (auto f : obj) {
    std::string_view k;
    if (f.unescaped_key().get(k))
      return make_error(errc::invalid_text_representation, -1, "the value is not JSON");
    const int col = m.column_of(k);
    ondemand::value v;
    if (f.value().get(v))
      return make_error(errc::invalid_text_representation, -1, "the value is not JSON");
    if (col < 0) continue;  // simdjson skips the unread value
    BOOST_OUTCOME_TRY(m.field(static_cast<size_t>(col), v, row, a));
  }
  return outcome::success();
}

void append_json_row(const std::vector<plan_column>& columns, const datum* row,
                     const std::vector<int>& which, std::string& out) {
  out += '{';
  bool first = true;
  for (int c : which) {
    const plan_column& col = columns[static_cast<size_t>(c)];
    const datum& d = row[c];
    if (!first) out += ',';
    first = false;
    out += jsonb::quote(col.name);
    out += ':';
    if (d.is_null()) {
      out += "null";
      continue;
    }
    switch (col.type.id) {
      case type_id::boolean:
        out += d.as_bool() ? "true" : "false";
        break;
      case type_id::int16:
      case type_id::int32:
      case type_id::int64:
      case type_id::oid:
      case type_id::numeric:
        append_text(col.type, d, out);
        break;
      case type_id::float32:
      case type_id::float64: {
        std::string s = to_text(col.type, d);
        // NaN and the infinities have no JSON number: strings, as PostgreSQL's to_json.
        bool finite = !s.empty() && (std::isdigit(static_cast<unsigned char>(s.back())) != 0);
        out += finite ? s : jsonb::quote(s);
        break;
      }
      case type_id::jsonb:
        out += d.as_text();
        break;
      default:
        out += jsonb::quote(to_text(col.type, d));
        break;
    }
  }
  out += '}';
}

}  // namespace runnel::sql
