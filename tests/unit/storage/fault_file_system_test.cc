#include "storage/fault_file_system.h"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "storage/errc.h"

namespace runnel::storage {
namespace {

std::vector<std::byte> bytes(std::string_view s) {
  std::vector<std::byte> v;
  for (char c : s) v.push_back(static_cast<std::byte>(c));
  return v;
}

std::string text(const std::vector<std::byte>& v) {
  std::string s;
  for (auto b : v) s.push_back(static_cast<char>(b));
  return s;
}

const std::error_code eio = std::make_error_code(std::errc::io_error);
const std::error_code enospc = std::make_error_code(std::errc::no_space_on_device);
const std::error_code enoent = std::make_error_code(std::errc::no_such_file_or_directory);

class fault_file_system_test : public ::testing::Test {
 protected:
  // "d" is durable in the root, so only what a test does inside it is at risk.
  void SetUp() override {
    ASSERT_TRUE(fs.create_directories("d"));
    ASSERT_TRUE(fs.sync_directory("/"));
  }

  // value() throws on error, which gtest reports as a failure of the test.
  std::shared_ptr<file> open(const std::string& p, open_mode m = open_mode::create) {
    return fs.open(p, m).value();
  }

  void write(file& f, uint64_t pos, std::string_view s) {
    auto r = f.write_at(pos, bytes(s));
    ASSERT_TRUE(r) << r.error().message();
  }

  // A file whose contents and directory entry are both durable.
  std::shared_ptr<file> durable_file(const std::string& p, std::string_view s) {
    auto f = open(p, open_mode::create_new);
    write(*f, 0, s);
    EXPECT_TRUE(f->sync());
    EXPECT_TRUE(fs.sync_directory("d"));
    return f;
  }

  bool exists(const std::string& p) { return fs.exists(p).value(); }

  fault_file_system fs;
};

TEST_F(fault_file_system_test, unsynced_writes_vanish_on_power_loss) {
  auto f = durable_file("d/a", "hello");
  write(*f, 5, " world");
  ASSERT_TRUE(f->truncate(3));
  ASSERT_EQ(text(fs.contents("d/a")), "hel");
  fs.power_loss();
  EXPECT_EQ(text(fs.contents("d/a")), "hello");
}

TEST_F(fault_file_system_test, synced_writes_survive_power_loss) {
  auto f = durable_file("d/a", "hello");
  write(*f, 5, " world");
  ASSERT_TRUE(f->sync());
  fs.power_loss();
  EXPECT_EQ(text(fs.contents("d/a")), "hello world");
}

TEST_F(fault_file_system_test, created_file_disappears_without_directory_sync) {
  auto f = open("d/a", open_mode::create_new);
  write(*f, 0, "hello");
  ASSERT_TRUE(f->sync());  // contents durable, the name is not
  fs.power_loss();
  EXPECT_FALSE(exists("d/a"));
  EXPECT_EQ(fs.open("d/a", open_mode::read_only).error(), enoent);
}

TEST_F(fault_file_system_test, created_directory_needs_its_parent_synced) {
  ASSERT_TRUE(fs.create_directories("d/sub"));
  auto f = open("d/sub/a");
  write(*f, 0, "x");
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(fs.sync_directory("d/sub"));
  fs.power_loss();
  EXPECT_FALSE(exists("d/sub"));

  ASSERT_TRUE(fs.create_directories("d/sub"));
  f = open("d/sub/a");
  write(*f, 0, "x");
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(fs.sync_directory("d/sub"));
  ASSERT_TRUE(fs.sync_directory("d"));
  fs.power_loss();
  EXPECT_EQ(text(fs.contents("d/sub/a")), "x");
}

TEST_F(fault_file_system_test, rename_is_durable_only_after_directory_sync) {
  durable_file("d/tmp", "new");
  ASSERT_TRUE(fs.rename("d/tmp", "d/final"));
  fs.power_loss();
  EXPECT_TRUE(exists("d/tmp"));
  EXPECT_FALSE(exists("d/final"));

  ASSERT_TRUE(fs.rename("d/tmp", "d/final"));
  ASSERT_TRUE(fs.sync_directory("d"));
  fs.power_loss();
  EXPECT_FALSE(exists("d/tmp"));
  EXPECT_EQ(text(fs.contents("d/final")), "new");
}

TEST_F(fault_file_system_test, rename_over_existing_file_keeps_old_target_until_synced) {
  durable_file("d/final", "old");
  durable_file("d/tmp", "new");
  ASSERT_TRUE(fs.rename("d/tmp", "d/final"));
  EXPECT_EQ(text(fs.contents("d/final")), "new");
  fs.power_loss();
  EXPECT_EQ(text(fs.contents("d/final")), "old");
  EXPECT_EQ(text(fs.contents("d/tmp")), "new");
}

TEST_F(fault_file_system_test, removed_file_comes_back_without_directory_sync) {
  auto f = durable_file("d/a", "hello");
  write(*f, 5, "!");  // not synced: the file comes back as last synced
  ASSERT_TRUE(fs.remove("d/a"));
  EXPECT_FALSE(exists("d/a"));
  fs.power_loss();
  EXPECT_EQ(text(fs.contents("d/a")), "hello");

  ASSERT_TRUE(fs.remove("d/a"));
  ASSERT_TRUE(fs.sync_directory("d"));
  fs.power_loss();
  EXPECT_FALSE(exists("d/a"));
}

TEST_F(fault_file_system_test, removed_directory_comes_back_without_parent_sync) {
  ASSERT_TRUE(fs.create_directories("d/sub"));
  ASSERT_TRUE(fs.sync_directory("d"));
  auto f = open("d/sub/a");
  write(*f, 0, "x");
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(fs.sync_directory("d/sub"));

  ASSERT_TRUE(fs.remove_all("d/sub"));
  EXPECT_FALSE(exists("d/sub/a"));
  fs.power_loss();
  EXPECT_EQ(text(fs.contents("d/sub/a")), "x");

  ASSERT_TRUE(fs.remove_all("d/sub"));
  ASSERT_TRUE(fs.sync_directory("d"));
  fs.power_loss();
  EXPECT_FALSE(exists("d/sub"));
}

TEST_F(fault_file_system_test, open_file_keeps_working_after_remove) {
  auto f = open("d/a");
  write(*f, 0, "hello");
  ASSERT_TRUE(fs.remove("d/a"));
  write(*f, 5, "!");
  std::vector<std::byte> out(6);
  ASSERT_EQ(f->read_at(0, out).value(), 6u);
  EXPECT_EQ(text(out), "hello!");
  EXPECT_FALSE(exists("d/a"));
  EXPECT_TRUE(fs.contents("d/a").empty());
}

TEST_F(fault_file_system_test, fail_write_fails_kth_write_after_partial_bytes) {
  auto f = open("d/a");
  fs.fail_write(2, eio, 2);
  write(*f, 0, "abc");
  auto r = f->write_at(3, bytes("defg"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), eio);
  EXPECT_EQ(text(fs.contents("d/a")), "abcde");
  write(*f, 5, "fg");  // the fault fires once
  EXPECT_EQ(text(fs.contents("d/a")), "abcdefg");
}

TEST_F(fault_file_system_test, fail_write_counts_from_the_time_it_is_armed) {
  auto f = open("d/a");
  write(*f, 0, "a");
  write(*f, 1, "b");
  fs.fail_write(1, eio);
  auto r = f->write_at(2, bytes("c"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), eio);
  EXPECT_EQ(text(fs.contents("d/a")), "ab");
}

TEST_F(fault_file_system_test, fail_writes_from_fails_every_later_write) {
  auto f = open("d/a");
  fs.fail_writes_from(2, enospc);
  write(*f, 0, "a");
  for (int i = 0; i < 3; ++i) {
    auto r = f->write_at(1, bytes("bcd"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), enospc);
  }
  EXPECT_EQ(text(fs.contents("d/a")), "a");
  fs.clear_faults();
  write(*f, 1, "b");
  EXPECT_EQ(text(fs.contents("d/a")), "ab");
}

TEST_F(fault_file_system_test, failed_file_sync_makes_nothing_durable) {
  auto f = durable_file("d/a", "hello");
  write(*f, 5, " world");
  fs.fail_sync(1, eio);
  auto r = f->sync();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), eio);
  fs.power_loss();
  EXPECT_EQ(text(fs.contents("d/a")), "hello");
}

TEST_F(fault_file_system_test, failed_directory_sync_makes_nothing_durable) {
  auto f = open("d/a", open_mode::create_new);
  write(*f, 0, "hello");
  ASSERT_TRUE(f->sync());
  fs.fail_sync(1, eio);
  auto r = fs.sync_directory("d");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), eio);
  fs.power_loss();
  EXPECT_FALSE(exists("d/a"));
}

TEST_F(fault_file_system_test, fail_sync_counts_file_and_directory_syncs) {
  auto f = open("d/a");
  fs.fail_sync(3, eio);
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(fs.sync_directory("d"));
  EXPECT_EQ(f->sync().error(), eio);
  EXPECT_TRUE(f->sync());
}

TEST_F(fault_file_system_test, clear_faults_disarms_pending_faults) {
  auto f = open("d/a");
  fs.fail_write(1, eio);
  fs.fail_sync(1, eio);
  fs.clear_faults();
  write(*f, 0, "a");
  EXPECT_TRUE(f->sync());
}

TEST_F(fault_file_system_test, counters_count_writes_and_syncs) {
  EXPECT_EQ(fs.writes(), 0u);
  EXPECT_EQ(fs.syncs(), 1u);  // SetUp's sync_directory
  auto f = open("d/a");
  fs.fail_write(2, eio);
  write(*f, 0, "a");
  EXPECT_FALSE(f->write_at(1, bytes("b")));  // failed writes count too
  write(*f, 1, "b");
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(fs.sync_directory("d"));
  EXPECT_EQ(fs.writes(), 3u);
  EXPECT_EQ(fs.syncs(), 3u);
}

TEST_F(fault_file_system_test, stale_handles_fail_after_power_loss) {
  auto f = durable_file("d/a", "hello");
  fs.power_loss();
  const std::error_code injected = storage_errc::injected_fault;
  std::vector<std::byte> out(5);
  EXPECT_EQ(f->write_at(0, bytes("x")).error(), injected);
  EXPECT_EQ(f->read_at(0, out).error(), injected);
  EXPECT_EQ(f->sync().error(), injected);
  EXPECT_EQ(f->truncate(0).error(), injected);
  EXPECT_EQ(f->size().error(), injected);

  auto g = open("d/a", open_mode::read_write);
  ASSERT_EQ(g->read_at(0, out).value(), 5u);
  EXPECT_EQ(text(out), "hello");
}

TEST_F(fault_file_system_test, list_returns_direct_children) {
  ASSERT_TRUE(fs.create_directories("d/sub/deeper"));
  open("d/a");
  open("d/b");
  open("d/sub/c");
  auto names = fs.list("d");
  ASSERT_TRUE(names);
  EXPECT_EQ(names.value(), (std::vector<std::string>{"a", "b", "sub"}));
  EXPECT_EQ(fs.list("d/sub").value(), (std::vector<std::string>{"c", "deeper"}));
  EXPECT_TRUE(fs.list("d/sub/deeper").value().empty());
  EXPECT_EQ(fs.list("missing").error(), enoent);
  EXPECT_EQ(fs.list("d/a").error(), std::make_error_code(std::errc::not_a_directory));
}

TEST_F(fault_file_system_test, open_modes_follow_posix) {
  open("d/a", open_mode::create_new);
  EXPECT_EQ(fs.open("d/a", open_mode::create_new).error(),
            std::make_error_code(std::errc::file_exists));
  EXPECT_TRUE(fs.open("d/a", open_mode::create));
  EXPECT_TRUE(fs.open("d/a", open_mode::read_write));
  EXPECT_EQ(fs.open("d/b", open_mode::read_only).error(), enoent);
  EXPECT_EQ(fs.open("d/b", open_mode::read_write).error(), enoent);
  EXPECT_EQ(fs.open("missing/a", open_mode::create).error(), enoent);
  EXPECT_EQ(fs.open("d", open_mode::create).error(),
            std::make_error_code(std::errc::is_a_directory));
}

TEST_F(fault_file_system_test, read_only_handle_cannot_write) {
  durable_file("d/a", "hello");
  auto f = open("d/a", open_mode::read_only);
  EXPECT_EQ(f->write_at(0, bytes("x")).error(),
            std::make_error_code(std::errc::bad_file_descriptor));
  EXPECT_EQ(text(fs.contents("d/a")), "hello");
}

TEST_F(fault_file_system_test, paths_are_normalised) {
  open("d/./a");
  write(*open("/d/../d/a"), 0, "x");
  EXPECT_EQ(text(fs.contents("d//a")), "x");
  EXPECT_EQ(fs.list("d/").value(), std::vector<std::string>{"a"});
}

TEST_F(fault_file_system_test, write_past_end_zero_fills_and_read_is_short_only_at_eof) {
  auto f = open("d/a");
  write(*f, 3, "ab");
  EXPECT_EQ(fs.contents("d/a"), (std::vector<std::byte>{std::byte{0}, std::byte{0}, std::byte{0},
                                                        std::byte{'a'}, std::byte{'b'}}));
  EXPECT_EQ(f->size().value(), 5u);
  std::vector<std::byte> out(4);
  EXPECT_EQ(f->read_at(0, out).value(), 4u);
  EXPECT_EQ(f->read_at(3, out).value(), 2u);
  EXPECT_EQ(f->read_at(9, out).value(), 0u);
}

TEST_F(fault_file_system_test, truncate_shrinks_and_zero_extends) {
  auto f = open("d/a");
  write(*f, 0, "hello");
  ASSERT_TRUE(f->truncate(2));
  EXPECT_EQ(text(fs.contents("d/a")), "he");
  ASSERT_TRUE(f->truncate(4));
  EXPECT_EQ(fs.contents("d/a"),
            (std::vector<std::byte>{std::byte{'h'}, std::byte{'e'}, std::byte{0}, std::byte{0}}));
  EXPECT_EQ(f->size().value(), 4u);
}

TEST_F(fault_file_system_test, rename_errors) {
  EXPECT_EQ(fs.rename("d/missing", "d/b").error(), enoent);
  open("d/a");
  EXPECT_EQ(fs.rename("d/a", "missing/b").error(), enoent);
  ASSERT_TRUE(fs.create_directories("d/sub"));
  EXPECT_EQ(fs.rename("d/a", "d/sub").error(), std::make_error_code(std::errc::is_a_directory));
  EXPECT_EQ(fs.rename("d", "d/sub/d").error(), std::make_error_code(std::errc::invalid_argument));
}

TEST_F(fault_file_system_test, set_contents_is_durable_everywhere_on_its_path) {
  fs.set_contents("x/y/z", bytes("abc"));
  EXPECT_EQ(text(fs.contents("x/y/z")), "abc");
  fs.power_loss();
  EXPECT_EQ(text(fs.contents("x/y/z")), "abc");
  EXPECT_TRUE(fs.contents("x/y/missing").empty());
}

TEST_F(fault_file_system_test, set_contents_is_seen_by_open_handles) {
  auto f = durable_file("d/a", "hello");
  fs.set_contents("d/a", bytes("jello"));
  std::vector<std::byte> out(5);
  ASSERT_EQ(f->read_at(0, out).value(), 5u);
  EXPECT_EQ(text(out), "jello");
}

TEST_F(fault_file_system_test, open_locked_excludes_a_second_holder_until_released) {
  const auto busy = std::make_error_code(std::errc::resource_unavailable_try_again);
  auto first = fs.open_locked("d/.lock");
  ASSERT_TRUE(first);
  auto second = fs.open_locked("d/.lock");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), busy);
  first.value().reset();
  EXPECT_TRUE(fs.open_locked("d/.lock"));
}

TEST_F(fault_file_system_test, power_loss_releases_locks) {
  auto held = fs.open_locked("d/.lock");
  ASSERT_TRUE(held);
  fs.power_loss();
  EXPECT_TRUE(fs.open_locked("d/.lock"));
}

TEST_F(fault_file_system_test, create_directories_durably_survives_power_loss) {
  ASSERT_TRUE(create_directories_durably(fs, "d/x/y/z"));
  fs.power_loss();
  EXPECT_TRUE(fs.exists("d/x/y/z").value());
}

// The POSIX lock is flock(2): per open file description, so it excludes a
// second opener in the same process as well as another process
// (tests/integration/test_data_dir.py).
TEST(posix_file_system_test, open_locked_excludes_a_second_holder_until_released) {
  auto dir =
      std::filesystem::temp_directory_path() / ("runnel-lock-test-" + std::to_string(::getpid()));
  auto& fs = posix_file_system();
  ASSERT_TRUE(create_directories_durably(fs, dir));
  {
    auto first = fs.open_locked(dir / ".lock");
    ASSERT_TRUE(first);
    auto second = fs.open_locked(dir / ".lock");
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), std::make_error_code(std::errc::resource_unavailable_try_again));
  }
  EXPECT_TRUE(fs.open_locked(dir / ".lock"));
  std::filesystem::remove_all(dir);
}

TEST(storage_errc_test, category_names_and_messages) {
  std::error_code ec = storage_errc::injected_fault;
  EXPECT_STREQ(ec.category().name(), "runnel.storage");
  EXPECT_EQ(ec.message(), "injected fault");
  EXPECT_NE(std::error_code(storage_errc::corrupt_file).message(),
            std::error_code(storage_errc::closed).message());
}

}  // namespace
}  // namespace runnel::storage
