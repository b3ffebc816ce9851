#include "sql/pgwire/params.h"

#include <bit>
#include <cstring>

#include "sql/parse/lexer.h"
#include "sql/types/datetime.h"
#include "sql/types/decimal.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace {

// The binary formats count from 2000-01-01; ours from 1970-01-01.
constexpr int64_t pg_epoch_days = 10957;
constexpr int64_t pg_epoch_micros = pg_epoch_days * 86400LL * 1000000LL;

uint64_t be(std::string_view b) {
  uint64_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

void put_be(uint64_t v, int bytes, std::string& out) {
  for (int s = (bytes - 1) * 8; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

std::optional<int> param_number(const token& t) {
  if (t.what != token::kind::op || t.text.size() < 2 || t.text[0] != '$') return std::nullopt;
  int n = 0;
  for (size_t i = 1; i < t.text.size(); ++i) {
    if (t.text[i] < '0' || t.text[i] > '9' || n > 100000) return std::nullopt;
    n = n * 10 + (t.text[i] - '0');
  }
  return n;
}

// NUMERIC's binary form: base-10000 digits with a weight, sign and scale.
std::optional<std::string> numeric_text(std::string_view b) {
  if (b.size() < 8) return std::nullopt;
  auto i16 = [&](size_t at) { return static_cast<int16_t>(be(b.substr(at, 2))); };
  int ndigits = i16(0), weight = i16(2);
  uint16_t sign = static_cast<uint16_t>(i16(4));
  int dscale = i16(6);
  if (ndigits < 0 || b.size() != 8 + 2 * static_cast<size_t>(ndigits)) return std::nullopt;
  if (sign == 0xC000) return "NaN";
  std::string intpart, frac;
  for (int k = 0; k < ndigits; ++k) {
    int d = i16(8 + 2 * static_cast<size_t>(k));
    if (d < 0 || d > 9999) return std::nullopt;
    std::string four = fmt::format("{:04d}", d);
    if (k <= weight)
      intpart += four;
    else
      frac += four;
  }
  for (int k = ndigits; k <= weight; ++k) intpart += "0000";
  if (weight < -1) frac = std::string(4 * static_cast<size_t>(-weight - 1), '0') + frac;
  size_t nz = intpart.find_first_not_of('0');
  intpart = nz == std::string::npos ? "0" : intpart.substr(nz);
  frac.resize(static_cast<size_t>(dscale), '0');
  std::string out = (sign == 0x4000 ? "-" : "") + intpart;
  if (dscale > 0) out += "." + frac;
  return out;
}

// A binary parameter as the text form of its type.
result<std::string> binary_text(uint32_t oid, std::string_view b) {
  auto bad = [&] {
    return make_error(errc::protocol_violation, -1,
                      "a binary parameter of type oid {} has {} bytes, which is not its format",
                      oid, b.size());
  };
  auto t = type_of_oid(oid);
  if (!t)
    return make_error(errc::feature_not_supported, -1,
                      "binary parameters of type oid {} are not supported: send it as text", oid);
  switch (t->id) {
    case type_id::boolean:
      if (b.size() != 1) return bad();
      return std::string(b[0] ? "true" : "false");
    case type_id::int16:
      if (b.size() != 2) return bad();
      return std::to_string(static_cast<int16_t>(be(b)));
    case type_id::int32:
      if (b.size() != 4) return bad();
      return std::to_string(static_cast<int32_t>(be(b)));
    case type_id::int64:
      if (b.size() != 8) return bad();
      return std::to_string(static_cast<int64_t>(be(b)));
    case type_id::oid:
      if (b.size() != 4) return bad();
      return std::to_string(static_cast<uint32_t>(be(b)));
    case type_id::float32:
      if (b.size() != 4) return bad();
      return format_double(std::bit_cast<float>(static_cast<uint32_t>(be(b))), true);
    case type_id::float64:
      if (b.size() != 8) return bad();
      return format_double(std::bit_cast<double>(be(b)), false);
    case type_id::text:
      return std::string(b);
    case type_id::jsonb:
      if (b.empty() || b[0] != 1) return bad();  // a version byte, then the text
      return std::string(b.substr(1));
    case type_id::bytea:
      return format_bytea(b);
    case type_id::date:
      if (b.size() != 4) return bad();
      // 'infinity' and '-infinity' are the extremes on the wire too, unshifted.
      if (!dt::finite_date(static_cast<int32_t>(be(b))))
        return dt::format_date(static_cast<int32_t>(be(b)));
      return dt::format_date(static_cast<int32_t>(static_cast<int32_t>(be(b)) + pg_epoch_days));
    case type_id::timestamp:
    case type_id::timestamptz:
      if (b.size() != 8) return bad();
      if (!dt::finite_timestamp(static_cast<int64_t>(be(b))))
        return dt::format_timestamp(static_cast<int64_t>(be(b)), false);
      return dt::format_timestamp(static_cast<int64_t>(be(b)) + pg_epoch_micros,
                                  t->id == type_id::timestamptz);
    case type_id::numeric: {
      auto s = numeric_text(b);
      if (!s) return bad();
      return *s;
    }
    case type_id::time:
      if (b.size() != 8) return bad();
      return dt::format_time(static_cast<int64_t>(be(b)));
    case type_id::interval:
      if (b.size() != 16) return bad();
      return dt::format_interval(interval{static_cast<int32_t>(be(b.substr(12, 4))),
                                          static_cast<int32_t>(be(b.substr(8, 4))),
                                          static_cast<int64_t>(be(b.substr(0, 8)))});
    default:
      return make_error(errc::feature_not_supported, -1,
                        "binary parameters of type {} are not supported: send it as text",
                        type_name(*t));
  }
}

// NUMERIC's binary form of a decimal: |v| in base-10000 digits around the
// point, without leading or trailing zero digits; dscale is the scale.
void append_numeric(const decimal& d, std::string& out) {
  uint128 u = d.v < 0 ? static_cast<uint128>(-d.v) : static_cast<uint128>(d.v);
  std::string all;
  while (u > 0) {
    all.insert(all.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  auto scale = static_cast<size_t>(std::max<int>(d.scale, 0));
  if (all.size() < scale) all.insert(0, scale - all.size(), '0');
  std::string intpart = all.substr(0, all.size() - scale), frac = all.substr(all.size() - scale);
  intpart.insert(0, (4 - intpart.size() % 4) % 4, '0');
  frac.append((4 - frac.size() % 4) % 4, '0');
  std::vector<int> groups;
  for (size_t i = 0; i < intpart.size(); i += 4) groups.push_back(std::stoi(intpart.substr(i, 4)));
  int weight = static_cast<int>(groups.size()) - 1;
  for (size_t i = 0; i < frac.size(); i += 4) groups.push_back(std::stoi(frac.substr(i, 4)));
  size_t first = 0;
  while (first < groups.size() && groups[first] == 0) ++first, --weight;
  size_t last = groups.size();
  while (last > first && groups[last - 1] == 0) --last;
  if (first == last) weight = 0;
  put_be(last - first, 2, out);
  put_be(static_cast<uint16_t>(static_cast<int16_t>(weight)), 2, out);
  put_be(d.v < 0 && first != last ? 0x4000 : 0, 2, out);
  put_be(scale, 2, out);
  for (size_t i = first; i < last; ++i) put_be(static_cast<uint64_t>(groups[i]), 2, out);
}

}  // namespace

int count_params(std::string_view query) {
  int top = 0;
  for (const auto& t : lex(query))
    if (auto n = param_number(t)) top = std::max(top, *n);
  return top;
}

result<std::string> substitute_params(std::string_view query,
                                      const std::vector<bind_param>& params) {
  std::string out;
  size_t copied = 0;
  for (const auto& t : lex(query)) {
    auto n = param_number(t);
    if (!n) continue;
    if (*n < 1 || static_cast<size_t>(*n) > params.size())
      return make_error(errc::protocol_violation, static_cast<int>(t.pos),
                        "there is no parameter ${}", *n);
    const bind_param& p = params[static_cast<size_t>(*n - 1)];
    out.append(query.substr(copied, t.pos - copied));
    copied = t.end;
    std::optional<std::string> text = p.value;
    if (p.value && p.binary) {
      BOOST_OUTCOME_TRY(text, binary_text(p.oid, *p.value));
    }
    // Parenthesised, so that -5 or a cast binds as one value wherever it lands.
    out += '(';
    if (!text) {
      out += "NULL";
    } else {
      if (text->find('\0') != std::string::npos)
        return make_error(errc::invalid_text_representation, -1,
                          "parameter ${} contains a NUL byte", *n);
      out += '\'';
      for (char c : *text) {
        if (c == '\'') out += '\'';
        out += c;
      }
      out += '\'';
    }
    auto type = p.oid ? type_of_oid(p.oid) : std::nullopt;
    if (type && type->id != type_id::unknown) {
      out += "::";
      out += type_name(*type);
    }
    out += ')';
  }
  out.append(query.substr(copied));
  return out;
}

bool append_binary(const sql_type& t, const datum& d, std::string& out) {
  switch (t.id) {
    case type_id::boolean:
      out.push_back(d.as_bool() ? 1 : 0);
      return true;
    case type_id::int16:
      put_be(static_cast<uint64_t>(d.as_int()), 2, out);
      return true;
    case type_id::int32:
    case type_id::oid:
      put_be(static_cast<uint64_t>(d.as_int()), 4, out);
      return true;
    case type_id::int64:
      put_be(static_cast<uint64_t>(d.as_int()), 8, out);
      return true;
    case type_id::float32:
      put_be(std::bit_cast<uint32_t>(static_cast<float>(d.as_double())), 4, out);
      return true;
    case type_id::float64:
      put_be(std::bit_cast<uint64_t>(d.as_double()), 8, out);
      return true;
    case type_id::text:
      append_text(t, d, out);  // char(n) padded, as its text form
      return true;
    case type_id::bytea:
      out.append(d.as_text());
      return true;
    case type_id::jsonb:
      out.push_back(1);
      out.append(d.as_text());
      return true;
    case type_id::date:
      put_be(static_cast<uint64_t>(dt::finite_date(d.as_int()) ? d.as_int() - pg_epoch_days
                                                               : d.as_int()),
             4, out);
      return true;
    case type_id::timestamp:
    case type_id::timestamptz:
      put_be(static_cast<uint64_t>(dt::finite_timestamp(d.as_int()) ? d.as_int() - pg_epoch_micros
                                                                    : d.as_int()),
             8, out);
      return true;
    case type_id::time:  // µs since midnight
      put_be(static_cast<uint64_t>(d.as_int()), 8, out);
      return true;
    case type_id::interval: {  // µs, days, months
      interval iv = d.as_interval();
      put_be(static_cast<uint64_t>(iv.micros), 8, out);
      put_be(static_cast<uint32_t>(iv.days), 4, out);
      put_be(static_cast<uint32_t>(iv.months), 4, out);
      return true;
    }
    case type_id::numeric:
      append_numeric(d.as_decimal(), out);
      return true;
    default:
      return false;
  }
}

}  // namespace runnel::sql
