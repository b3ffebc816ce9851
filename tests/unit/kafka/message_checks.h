// Checks shared by the codec tests: round trips at every version with every
// strict prefix failing, the "all fields of every version" struct decoding
// to the struct of one version, and hand-written golden bytes.
//
// A maker builds a message with a non-default value in every field present
// at version v (or, passed every_version, in every field of every version);
// its version ranges are transcribed from the spec independently of the
// codec, so a field gated at the wrong version fails even though encoder
// and decoder share one serde().
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/api.h"
#include "kafka/header.h"
#include "kafka/wire.h"

namespace runnel::kafka::checks {

inline std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int x : v) out.push_back(std::byte(uint8_t(x)));
  return out;
}

// Concatenates byte pieces so golden vectors can be written field by field.
inline std::vector<std::byte> cat(std::initializer_list<std::vector<std::byte>> parts) {
  std::vector<std::byte> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline std::vector<std::byte> ascii(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(std::byte(uint8_t(c)));
  return out;
}

inline const api_info& api(api_key k) {
  const api_info* a = find_api(int16_t(k));
  EXPECT_NE(a, nullptr);
  return *a;
}

template <class M>
std::vector<std::byte> encode(M m, api_key k, int16_t v) {
  writer w;
  encode_body(w, m, v, api(k).flexible(v));
  return w.buffer();
}

// Encodes `m` at `v` and checks that it decodes back to `m` using every
// byte, that re-encoding reproduces the bytes, and that every strict prefix
// fails (decoding reads the same fields whatever the input, so a prefix
// always runs out of bytes somewhere).
template <class M>
void expect_round_trip(const M& m, api_key k, int16_t v) {
  SCOPED_TRACE(std::string(api(k).name) + " v" + std::to_string(v));
  const bool flexible = api(k).flexible(v);
  const std::vector<std::byte> buf = encode(m, k, v);
  std::vector<std::byte> in = buf;
  reader r(in);
  M got;
  ASSERT_TRUE(decode_body(r, got, v, flexible));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(got == m);
  EXPECT_EQ(encode(got, k, v), buf);
  for (size_t n = 0; n < buf.size(); ++n) {
    // An exact-size copy, so a sanitizer build sees any read past the end.
    std::vector<std::byte> prefix(buf.begin(), buf.begin() + ptrdiff_t(n));
    reader pr(prefix);
    M partial;
    EXPECT_FALSE(decode_body(pr, partial, v, flexible)) << "prefix of " << n << " bytes";
  }
}

// Passed as v, asks a maker for the fields of every version at once.
inline constexpr int16_t every_version = -1;

// Whether a field present in versions [from, to] is there at v.
inline bool has(int16_t v, int from, int to = 0x7fff) {
  return v == every_version || (v >= from && v <= to);
}

// Both checks for one message type at every version api.h advertises.
template <class M>
void expect_all_versions(api_key k, const std::function<M(int16_t)>& make) {
  const api_info& a = api(k);
  const M everything = make(every_version);
  for (int16_t v = a.min_version; v <= a.max_version; ++v) {
    expect_round_trip(make(v), k, v);
    SCOPED_TRACE(std::string(a.name) + " all-fields struct at v" + std::to_string(v));
    std::vector<std::byte> buf = encode(everything, k, v);
    reader r(buf);
    M got;
    ASSERT_TRUE(decode_body(r, got, v, a.flexible(v)));
    EXPECT_TRUE(got == make(v));
  }
}

// `m` encodes to exactly `want` at `v`, and `want` decodes to `m`.
template <class M>
void expect_golden(const M& m, api_key k, int16_t v, std::vector<std::byte> want) {
  SCOPED_TRACE(std::string(api(k).name) + " v" + std::to_string(v));
  EXPECT_EQ(encode(m, k, v), want);
  reader r(want);
  M got;
  ASSERT_TRUE(decode_body(r, got, v, api(k).flexible(v)));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(got == m);
}

}  // namespace runnel::kafka::checks
