// Opening state-store directories that are not what they should be: every
// case is an error value, never a crash.
#include <gtest/gtest.h>

#include <fstream>

#include "state_temp_dir.h"
#include "stream/state/errc.h"
#include "stream/state/kv_store.h"
#include "stream/state/session_store.h"
#include "stream/state/window_store.h"

namespace runnel::stream::state {
namespace {

using testing::temp_dir;

void write_file(const std::filesystem::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST(state_open, creates_missing_parent_directories) {
  temp_dir tmp;
  auto s = open_kv_store(tmp.path() / "app" / "0_1" / "counts", {});
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "app" / "0_1" / "counts" / "CURRENT"));
}

TEST(state_open, corrupt_current_file_is_an_error) {
  temp_dir tmp;
  {
    auto s = open_kv_store(tmp / "kv", {});
    ASSERT_TRUE(s);
    s.value()->put("a", "1");
    ASSERT_TRUE(s.value()->close());
  }
  write_file(tmp / "kv" / "CURRENT", "garbage that names no manifest\n");
  auto r = open_kv_store(tmp / "kv", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), state_errc::corrupt_store);
}

TEST(state_open, truncated_manifest_is_an_error) {
  temp_dir tmp;
  {
    auto s = open_window_store(tmp / "w", {});
    ASSERT_TRUE(s);
    s.value()->put("a", 1, "1");
    ASSERT_TRUE(s.value()->close());
  }
  for (const auto& f : std::filesystem::directory_iterator(tmp / "w"))
    if (f.path().filename().string().starts_with("MANIFEST-")) write_file(f.path(), "\x01\x02");
  // The MANIFEST also lists the column families: a damaged one must read as
  // corrupt, not as a store of another kind.
  auto r = open_window_store(tmp / "w", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), state_errc::corrupt_store);
}

TEST(state_open, a_regular_file_is_not_a_store) {
  temp_dir tmp;
  write_file(tmp / "file", "not a directory");
  auto r = open_session_store(tmp / "file", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), state_errc::io_error);
}

TEST(state_open, another_kind_of_store_is_wrong_kind) {
  temp_dir tmp;
  ASSERT_TRUE(open_window_store(tmp / "w", {}));  // opened and closed again
  ASSERT_TRUE(open_kv_store(tmp / "kv", {}));
  auto as_kv = open_kv_store(tmp / "w", {});
  ASSERT_FALSE(as_kv);
  EXPECT_EQ(as_kv.error(), state_errc::wrong_kind);
  auto as_session = open_session_store(tmp / "w", {});
  ASSERT_FALSE(as_session);
  EXPECT_EQ(as_session.error(), state_errc::wrong_kind);
  auto as_window = open_window_store(tmp / "kv", {});
  ASSERT_FALSE(as_window);
  EXPECT_EQ(as_window.error(), state_errc::wrong_kind);
  EXPECT_TRUE(open_window_store(tmp / "w", {}));  // still fine as what it is
}

TEST(state_open, a_store_open_elsewhere_is_an_error) {
  temp_dir tmp;
  auto first = open_kv_store(tmp / "kv", {});
  ASSERT_TRUE(first);
  auto second = open_kv_store(tmp / "kv", {});  // RocksDB's LOCK file is held
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), state_errc::io_error);
}

}  // namespace
}  // namespace runnel::stream::state
