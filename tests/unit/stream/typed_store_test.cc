// key_value_store<K, V>, the processor API's typed view of a key-value
// store (over the real RocksDB store): a missing key reads as nullopt, an
// entry whose bytes are not a K or V reads as an error, never as "absent",
// and a scan stops with an error there rather than skipping it.
#include <gtest/gtest.h>

#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "runnel/stream.h"
#include "state_temp_dir.h"
#include "stream/state/kv_store.h"

namespace runnel::stream {
namespace {

using state::testing::temp_dir;

std::unique_ptr<state::kv_store> open(const std::filesystem::path& dir) {
  auto r = state::open_kv_store(dir, {});
  EXPECT_TRUE(r) << r.error().message();
  return r ? std::move(r.value()) : nullptr;
}

TEST(typed_store, absent_is_nullopt_and_present_is_the_value) {
  temp_dir tmp;
  auto bytes = open(tmp / "kv");
  ASSERT_TRUE(bytes);
  key_value_store<std::string, int64_t> s(*bytes);
  auto missing = s.get("nobody");
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_EQ(missing.value(), std::nullopt);
  s.put("ann", 42);
  auto found = s.get("ann");
  ASSERT_TRUE(found);
  EXPECT_EQ(found.value(), std::optional<int64_t>(42));
  s.remove("ann");
  EXPECT_EQ(s.get("ann").value(), std::nullopt);
}

TEST(typed_store, undecodable_value_is_an_error_not_absent) {
  temp_dir tmp;
  auto bytes = open(tmp / "kv");
  ASSERT_TRUE(bytes);
  bytes->put("ann", "abc");  // 3 bytes: not an int64
  key_value_store<std::string, int64_t> s(*bytes);
  auto r = s.get("ann");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, std::make_error_code(std::errc::illegal_byte_sequence));
  EXPECT_NE(r.error().message.find("int64"), std::string::npos) << r.error().message;
}

TEST(typed_store, scan_stops_with_an_error_at_an_undecodable_entry) {
  temp_dir tmp;
  auto bytes = open(tmp / "kv");
  ASSERT_TRUE(bytes);
  key_value_store<std::string, int64_t> s(*bytes);
  s.put("a", 1);
  bytes->put("b", "x");
  s.put("c", 3);
  std::vector<std::pair<std::string, int64_t>> seen;
  auto r = s.for_each([&](const std::string& k, const int64_t& v) {
    seen.emplace_back(k, v);
    return true;
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, std::make_error_code(std::errc::illegal_byte_sequence));
  // "a" came before the bad entry; "c" after it is never reached.
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, int64_t>>{{"a", 1}}));

  bytes->remove("b");
  seen.clear();
  ASSERT_TRUE(s.for_each([&](const std::string& k, const int64_t& v) {
    seen.emplace_back(k, v);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, int64_t>>{{"a", 1}, {"c", 3}}));
}

}  // namespace
}  // namespace runnel::stream
