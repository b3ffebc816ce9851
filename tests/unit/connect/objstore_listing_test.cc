// Discovery by listing (listing_discovery.h) on a directory store, with the
// clock passed in: the incremental cursor trails by the grace window, so a
// late file whose key sorts before newer keys is still found; the full
// listing finds what is later than that; young files wait and hold the
// cursor back; done versions are not listed again (dedup).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "connect/objstore/directory_store.h"
#include "connect/objstore/listing_discovery.h"

namespace runnel::connect::objstore {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class listing_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "runnel-objstore-list-XXXXXX").string();
    ASSERT_NE(::mkdtemp(t.data()), nullptr);
    root_ = t;
    store_ = directory_store::open(root_).value();
  }
  void TearDown() override { fs::remove_all(root_); }

  // Scans and marks what it found done, as a source does once read.
  std::vector<std::string> scan(listing_discovery& l, std::chrono::system_clock::time_point now) {
    auto found = l.scan(*store_, dedup_, now);
    EXPECT_TRUE(found) << found.error().message;
    std::vector<std::string> keys;
    for (auto& o : found.value()) {
      keys.push_back(o.key);
      dedup_.update(o.key, {o.etag, o.size, 1, true});
    }
    return keys;
  }

  fs::path root_;
  std::unique_ptr<directory_store> store_;
  dedup_store dedup_{"dir", nullptr};
};

TEST_F(listing_test, a_late_file_before_the_cursor_is_found_within_the_grace_window) {
  listing_options o;
  o.grace = 60s;
  o.full_every = 1h;
  listing_discovery l(o);
  auto t0 = std::chrono::system_clock::now();
  ASSERT_TRUE(store_->write("k01", "x"));
  ASSERT_TRUE(store_->write("k03", "x"));
  EXPECT_EQ(scan(l, t0), (std::vector<std::string>{"k01", "k03"}));
  EXPECT_TRUE(l.last_scan_was_full());
  // Within the grace window the cursor stays before k01 and k03...
  EXPECT_EQ(scan(l, t0 + 10s), std::vector<std::string>{});
  EXPECT_EQ(l.cursor(), "");
  // ... so k02, a slow upload that sorts before k03, is still found.
  ASSERT_TRUE(store_->write("k02", "x"));
  EXPECT_EQ(scan(l, t0 + 30s), std::vector<std::string>{"k02"});
  // Once the grace window passed, the cursor moves past all three and an
  // incremental listing starts after it.
  EXPECT_EQ(scan(l, t0 + 100s), std::vector<std::string>{});
  EXPECT_EQ(l.cursor(), "k03");
  ASSERT_TRUE(store_->write("k04", "x"));
  EXPECT_EQ(scan(l, t0 + 101s), std::vector<std::string>{"k04"});
  EXPECT_FALSE(l.last_scan_was_full());
  // A file later than the grace window before the cursor is left to the
  // full listing.
  ASSERT_TRUE(store_->write("k00", "x"));
  EXPECT_EQ(scan(l, t0 + 200s), std::vector<std::string>{});
  EXPECT_EQ(scan(l, t0 + 2h), std::vector<std::string>{"k00"});
  EXPECT_TRUE(l.last_scan_was_full());
}

TEST_F(listing_test, young_files_wait_and_hold_the_cursor_back) {
  listing_options o;
  o.grace = 0s;
  o.min_age = 1h;
  listing_discovery l(o);
  auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(store_->write("a", "x"));
  ASSERT_TRUE(store_->write("b", "x"));
  EXPECT_EQ(scan(l, now), std::vector<std::string>{});  // both too young
  EXPECT_EQ(l.cursor(), "");
  EXPECT_EQ(scan(l, now + 2h), (std::vector<std::string>{"a", "b"}));
}

TEST_F(listing_test, done_versions_are_not_listed_again_but_a_new_version_is) {
  listing_options o;
  o.full_every = 0s;  // always full
  listing_discovery l(o);
  auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(store_->write("p/a", "1"));
  ASSERT_TRUE(store_->write("q/b", "1"));
  EXPECT_EQ(scan(l, now), (std::vector<std::string>{"p/a", "q/b"}));
  EXPECT_EQ(scan(l, now + 1s), std::vector<std::string>{});
  ASSERT_TRUE(store_->write("p/a", "22"));
  EXPECT_EQ(scan(l, now + 2s), std::vector<std::string>{"p/a"});
  listing_options only_p;
  only_p.prefix = "q/";
  listing_discovery lq(only_p);
  ASSERT_TRUE(store_->write("q/c", "1"));
  EXPECT_EQ(scan(lq, now), std::vector<std::string>{"q/c"});
}

}  // namespace
}  // namespace runnel::connect::objstore
