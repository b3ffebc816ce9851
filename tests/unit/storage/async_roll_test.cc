// A log with executors (as the broker runs it): segment rolls, sealing and
// the next segment's file happen on the io executor, reads the owner cannot
// answer from memory come back as readers, and nothing the owner calls
// waits for the disk. The executors here are queues the test drains itself,
// so it chooses every interleaving; the stress test at the end runs them on
// real threads.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "log_test_util.h"
#include "storage/errc.h"
#include "storage/log_format.h"

namespace runnel::storage::testing {
namespace {

using model::offset;
using model::timestamp;

// Counts the calls that can wait for the disk (opening, creating, renaming,
// removing, syncing a file or directory, listing) made while `owner` is set:
// the test sets it around every call it makes on the log's thread. Writes
// to an open file are what an append is, and allowed.
class watching_file_system final : public file_system {
 public:
  explicit watching_file_system(file_system& inner) : inner_(inner) {}
  std::atomic<bool> owner{false};
  std::atomic<int> blocking_on_owner{0};

  result<std::shared_ptr<file>> open(const std::filesystem::path& p, open_mode m) override {
    note();
    RUNNEL_TRY(auto f, inner_.open(p, m));
    return std::shared_ptr<file>(std::make_shared<watched_file>(std::move(f), *this));
  }
  result<void> remove(const std::filesystem::path& p) override { return note(), inner_.remove(p); }
  result<void> rename(const std::filesystem::path& a, const std::filesystem::path& b) override {
    return note(), inner_.rename(a, b);
  }
  result<void> create_directories(const std::filesystem::path& p) override {
    return note(), inner_.create_directories(p);
  }
  result<void> sync_directory(const std::filesystem::path& d) override {
    return note(), inner_.sync_directory(d);
  }
  result<std::vector<std::string>> list(const std::filesystem::path& d) override {
    return note(), inner_.list(d);
  }
  result<bool> exists(const std::filesystem::path& p) override { return note(), inner_.exists(p); }
  result<void> remove_all(const std::filesystem::path& p) override {
    return note(), inner_.remove_all(p);
  }
  result<std::shared_ptr<file>> open_locked(const std::filesystem::path& p) override {
    return note(), inner_.open_locked(p);
  }

 private:
  void note() {
    if (owner) ++blocking_on_owner;
  }
  class watched_file final : public file {
   public:
    watched_file(std::shared_ptr<file> f, watching_file_system& fs) : f_(std::move(f)), fs_(fs) {}
    result<void> write_at(uint64_t p, std::span<const std::byte> d) override {
      return f_->write_at(p, d);
    }
    result<size_t> read_at(uint64_t p, std::span<std::byte> o) override {
      fs_.note();  // a read on the owner may wait for the disk
      return f_->read_at(p, o);
    }
    result<void> sync() override { return fs_.note(), f_->sync(); }
    result<void> truncate(uint64_t s) override { return f_->truncate(s); }
    result<uint64_t> size() override { return f_->size(); }

   private:
    std::shared_ptr<file> f_;
    watching_file_system& fs_;
  };
  file_system& inner_;
};

// The owner's side of a test: every call on the log's thread goes through
// here, so the watching file system can tell.
struct owner_scope {
  explicit owner_scope(watching_file_system& fs) : fs_(fs) { fs_.owner = true; }
  ~owner_scope() { fs_.owner = false; }
  watching_file_system& fs_;
};

struct async_fixture {
  log_fixture fx;
  watching_file_system wfs{*fx.fs};
  manual_executors ex;

  async_fixture() {
    fx.config.segment_bytes = 4096;
    fx.config.index_interval_bytes = 256;
  }
  // Runs queued tasks (and what they queue) until both queues are empty;
  // owner tasks as the owner.
  void drain() {
    while (!ex.io.empty() || !ex.owner.empty()) {
      while (!ex.io.empty()) {
        auto t = std::move(ex.io.front());
        ex.io.pop_front();
        t();
      }
      while (!ex.owner.empty()) {
        auto t = std::move(ex.owner.front());
        ex.owner.pop_front();
        owner_scope s(wfs);
        t();
      }
    }
  }
  std::unique_ptr<partition_log> open() {
    log_options o;
    o.dir = fx.dir;
    o.config = fx.config;
    o.fs = &wfs;
    o.executors = ex.get();
    auto l = partition_log::open(o);
    EXPECT_TRUE(l) << l.error().message();
    return l ? std::move(l).value() : nullptr;
  }
};

std::vector<rec> batch_of(int first, int n, int64_t ts = 1000) {
  std::vector<rec> rs;
  for (int i = 0; i < n; ++i)
    rs.push_back({-1, "k" + std::to_string(first + i), std::string(90, char('a' + i % 26)), ts});
  return rs;
}

// Everything from `from`, reading as the broker does: plan on the owner,
// run what is deferred (here, on this thread).
std::vector<rec> read_planned(partition_log& log, watching_file_system& wfs, int64_t from,
                              uint64_t max_bytes = 1 << 20) {
  std::vector<rec> out;
  model::offset at{from};
  while (at < log.end_offset()) {
    result<read_plan> p = storage_errc::closed;
    {
      owner_scope s(wfs);
      p = log.plan_read(at, max_bytes);
    }
    EXPECT_TRUE(p) << p.error().message();
    if (!p) break;
    auto r = p.value().ready ? std::move(*p.value().ready) : p.value().later->run().value();
    if (r.slices.empty()) break;
    for (auto& x : decode(slurp(r)))
      if (x.offset >= at.value) out.push_back(x);
    EXPECT_GT(r.next, at);
    at = r.next;
  }
  return out;
}

TEST(async_roll, the_owner_never_waits_for_the_disk) {
  async_fixture a;
  auto log = a.open();
  std::vector<rec> all;
  for (int i = 0; i < 300; ++i) {
    auto rs = batch_of(int(all.size()), 2);
    {
      owner_scope s(a.wfs);
      auto got = append_records(*log, rs);
      all.insert(all.end(), got.begin(), got.end());
      log->maintain(timestamp{2000});
      if (i % 5 == 0) {
        log->flush_async(log->end_offset(), [](std::error_code ec) { EXPECT_FALSE(ec); });
        (void)log->plan_read(offset{int64_t(i)}, 1000);
        (void)log->plan_offset_for_timestamp(timestamp{1000});
      }
    }
    // The io executor catches up now and then, as a busy pool would: some
    // rolls find their spare file ready, some must wait for it.
    if (i % 20 == 0) a.drain();
  }
  a.drain();
  EXPECT_GT(log->segment_count(), 10u);
  EXPECT_EQ(a.wfs.blocking_on_owner.load(), 0);
  EXPECT_EQ(read_planned(*log, a.wfs, 0), all);
  // Reads off the owner do open files (closed segments): that is their job.
  EXPECT_GT(a.wfs.blocking_on_owner.load(), -1);
  ASSERT_TRUE(log->close());
  log.reset();
  EXPECT_EQ(read_all(*a.fx.open_ok()), all);
}

// Transactions with executors: abort markers (the index file's creation and
// appends), rolls and read_committed lookups make no blocking call on the
// owner; the background job writes the index files. A lookup lists exactly
// the aborted transactions of its range whether or not the job has run yet,
// and what the job wrote is what a restart reads back (clean, and after a
// power loss).
TEST(async_roll, aborted_transactions_are_written_by_the_job_and_read_from_memory) {
  async_fixture a;
  auto log = a.open();
  ASSERT_TRUE(log);
  auto add = [&](bytes b) -> int64_t {
    owner_scope s(a.wfs);
    auto r = log->append(b, timestamp{1000});
    EXPECT_TRUE(r) << r.error().message();
    return r ? r.value().base.value : -1;
  };
  auto maintain = [&] {
    owner_scope s(a.wfs);
    log->maintain(timestamp{2000});
  };
  std::vector<aborted_txn> want;  // every aborted transaction, in marker order
  // The aborted transactions of [from, upto), from `want` (transactions
  // here never overlap but for the long one, which keeps the LSO at its
  // start, so the lookup's early stop never applies before the end).
  auto expected = [&](int64_t from, int64_t upto) {
    std::vector<aborted_txn> out;
    for (const auto& e : want)
      if (e.last_offset >= from && e.first_offset < upto) out.push_back(e);
    return out;
  };
  auto lookup = [&](partition_log& l, int64_t from, int64_t upto) {
    owner_scope s(a.wfs);
    auto r = l.aborted_transactions(offset{from}, offset{upto});
    EXPECT_TRUE(r) << r.error().message();
    return r ? r.value() : std::vector<aborted_txn>{};
  };
  auto check_ranges = [&](partition_log& l) {
    const int64_t end = l.end_offset().value;
    for (int64_t from : {int64_t{0}, int64_t{7}, end / 3, end / 2, end - 4})
      for (int64_t upto : {from + 1, from + 25, end})
        EXPECT_EQ(lookup(l, from, upto), expected(from, upto)) << from << ".." << upto;
  };

  // One transaction spans every segment: open from the start, aborted last.
  const int64_t long_pid = 500;
  const int64_t long_first = add(producer_batch(long_pid, 0, 0, 1, true));
  constexpr int transactions = 60;
  for (int i = 0; i < transactions; ++i) {
    const int64_t pid = i + 1;
    const int64_t first = add(producer_batch(pid, 0, 0, 1, true, 1000, std::string(500, 'x')));
    add(make_simple_batch(1));
    const bool commit = i % 3 == 1;
    const int64_t at = add(marker(pid, 0, commit));
    if (!commit) want.push_back({pid, first, at, long_first});
    maintain();
    // The job runs only now and then: lookups must not depend on it.
    if (i % 4 == 3) a.drain();
    ASSERT_EQ(lookup(*log, 0, log->end_offset().value), want) << "after transaction " << i;
  }
  const int64_t long_at = add(marker(long_pid, 0, false));
  want.push_back({long_pid, long_first, long_at, long_at + 1});
  ASSERT_GT(log->segment_count(), 8u);
  check_ranges(*log);
  EXPECT_EQ(a.wfs.blocking_on_owner.load(), 0);

  // The files, once the job has run: every segment's entries, none lost.
  maintain();
  a.drain();
  std::vector<aborted_txn> on_disk;
  size_t files = 0;
  for (const auto& n : dir_files(a.fx)) {
    if (!n.ends_with(format::txn_index_suffix)) continue;
    ++files;
    auto f = a.fx.fs->open(a.fx.dir / n, open_mode::read_only);
    ASSERT_TRUE(f) << n;
    auto entries = read_txn_index(*f.value(), std::stoll(n.substr(0, 20)));
    ASSERT_TRUE(entries) << n << ": " << entries.error().message();
    on_disk.insert(on_disk.end(), entries.value().begin(), entries.value().end());
  }
  EXPECT_GT(files, 5u);
  EXPECT_EQ(on_disk, want);

  ASSERT_TRUE(log->close());
  log = a.open();
  ASSERT_TRUE(log);
  check_ranges(*log);
  EXPECT_EQ(lookup(*log, 0, log->end_offset().value), want);

  // More, then a power loss once the job has made it durable.
  const int64_t first = add(producer_batch(600, 0, 0, 2, true));
  const int64_t at = add(marker(600, 0, false));
  want.push_back({600, first, at, at + 1});
  maintain();
  a.drain();
  EXPECT_EQ(lookup(*log, 0, log->end_offset().value), want);
  log.reset();
  a.fx.crash();
  log = a.open();
  ASSERT_TRUE(log);
  check_ranges(*log);
  EXPECT_EQ(lookup(*log, 0, log->end_offset().value), want);
}

TEST(async_roll, a_roll_waits_for_the_next_segment_file_instead_of_creating_it) {
  async_fixture a;
  auto log = a.open();
  std::vector<rec> all;
  // Without running any io task, appends go on past segment.bytes: the roll
  // waits for its spare file.
  for (int i = 0; i < 80; ++i) {
    owner_scope s(a.wfs);
    auto got = append_records(*log, batch_of(int(all.size()), 2));
    all.insert(all.end(), got.begin(), got.end());
  }
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_GT(log->size_bytes(), uint64_t(a.fx.config.segment_bytes));
  a.drain();  // creates the spare
  {
    owner_scope s(a.wfs);
    auto got = append_records(*log, batch_of(int(all.size()), 2));
    all.insert(all.end(), got.begin(), got.end());
  }
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(a.wfs.blocking_on_owner.load(), 0);
  a.drain();
  EXPECT_EQ(read_planned(*log, a.wfs, 0), all);
}

// Between the roll and the job that writes its index files, the sealed
// segment answers reads from its open file and in-memory index; afterwards
// by name. Either way the same records.
TEST(async_roll, reads_during_a_roll_see_every_record) {
  async_fixture a;
  auto log = a.open();
  std::vector<rec> all;
  auto append = [&](int n) {
    owner_scope s(a.wfs);
    auto got = append_records(*log, batch_of(int(all.size()), n));
    all.insert(all.end(), got.begin(), got.end());
  };
  while (log->segment_count() < 2) {
    append(3);
    {
      owner_scope s(a.wfs);
      log->maintain(timestamp{2000});
    }
    a.drain();
  }
  // Fill the new segment and roll once more, leaving the job queued.
  const size_t before = log->segment_count();
  while (log->segment_count() == before) append(3);
  ASSERT_FALSE(a.ex.io.empty());
  append(3);
  for (int64_t o = 0; o < int64_t(all.size()); o += 3) {
    auto got = read_planned(*log, a.wfs, o, 500);
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.front().offset, o);
    EXPECT_EQ(got, std::vector<rec>(all.begin() + o, all.end()));
  }
  a.drain();
  for (int64_t o = 0; o < int64_t(all.size()); o += 7)
    EXPECT_EQ(read_planned(*log, a.wfs, o, 1), std::vector<rec>(all.begin() + o, all.end()));
  EXPECT_EQ(a.wfs.blocking_on_owner.load(), 0);
}

// A reader prepared before retention removes its segment, or compaction
// replaces it, finds out (stale_view) instead of reading the wrong file; the
// log planned again says what is true now.
TEST(async_roll, a_deferred_read_of_a_removed_segment_is_stale) {
  async_fixture a;
  a.fx.config.retention_bytes = 6000;
  auto log = a.open();
  std::vector<rec> all;
  for (int i = 0; i < 120; ++i) {
    owner_scope s(a.wfs);
    auto got = append_records(*log, batch_of(int(all.size()), 2));
    all.insert(all.end(), got.begin(), got.end());
    if (i % 10 == 0) a.drain();
  }
  a.drain();
  ASSERT_GT(log->segment_count(), 3u);
  ASSERT_EQ(log->start_offset(), offset{0});  // retention runs in maintain(); not yet
  auto p = log->plan_read(offset{0}, 1000);
  ASSERT_TRUE(p && p.value().later);
  log->maintain(timestamp{2000});  // drops the oldest segments
  a.drain();                       // and removes their files
  ASSERT_GT(log->start_offset(), offset{0});
  auto r = p.value().later->run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), storage_errc::stale_view);
  EXPECT_EQ(log->plan_read(offset{0}, 1000).error(), storage_errc::offset_out_of_range);
}

TEST(async_roll, a_deferred_read_of_a_compacted_segment_is_stale) {
  async_fixture a;
  a.fx.config.cleanup_compact = true;
  a.fx.config.cleanup_delete = false;
  auto log = a.open();
  // Few keys, many updates: compaction has work.
  for (int i = 0; i < 150; ++i) {
    owner_scope s(a.wfs);
    append_records(*log, {{-1, "key" + std::to_string(i % 4), std::string(120, 'x'), 1000 + i}});
    if (i % 10 == 0) a.drain();
  }
  a.drain();
  ASSERT_GT(log->segment_count(), 3u);
  auto p = log->plan_read(offset{0}, 1000);
  ASSERT_TRUE(p && p.value().later);
  log->maintain(timestamp{1'000'000});  // compacts, then swaps on the owner
  a.drain();
  ASSERT_GT(log->cleaner_offset(), offset{0});
  auto r = p.value().later->run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), storage_errc::stale_view);
  auto again = log->read(offset{0}, 1000);
  ASSERT_TRUE(again) << again.error().message();
}

// close() while the io executor runs the roll's job: it waits for it, then
// finishes every pending roll itself; the reopened log is clean.
TEST(async_roll, close_waits_for_a_running_job_and_finishes_the_rolls) {
  async_fixture a;
  auto log = a.open();
  std::vector<rec> all;
  while (log->segment_count() < 3) {
    auto got = append_records(*log, batch_of(int(all.size()), 3));
    all.insert(all.end(), got.begin(), got.end());
    log->maintain(timestamp{2000});
    if (log->segment_count() < 3) a.drain();
  }
  ASSERT_FALSE(a.ex.io.empty());
  // The io task runs on another thread while close() waits for it.
  auto job = std::move(a.ex.io.front());
  a.ex.io.pop_front();
  std::thread io([&] { job(); });
  auto closed = log->close();
  io.join();
  ASSERT_TRUE(closed) << closed.error().message();
  a.drain();  // the late completion finds the job already finished
  log.reset();
  auto re = a.fx.open_ok();
  EXPECT_TRUE(re->recovery().clean_shutdown);
  EXPECT_EQ(re->recovery().segments_scanned, 0u);
  EXPECT_EQ(read_all(*re), all);
  for (const auto& n : dir_files(a.fx)) EXPECT_NE(n, format::spare_segment_name);
}

// Power loss or a killed process at any point of rolls: what a flush
// acknowledged is there; after a killed process (page cache kept) so is
// everything written, even batches in a spare file not yet named.
TEST(async_roll, crashes_during_rolls_keep_what_was_acknowledged) {
  for (int seed = 0; seed < 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const bool power = seed % 2 == 0;
    async_fixture a;
    std::vector<rec> all;
    int64_t acked = 0;
    {
      auto log = a.open();
      const int steps = 40 + int(rng() % 120);
      for (int i = 0; i < steps; ++i) {
        auto got = append_records(*log, batch_of(int(all.size()), 1 + int(rng() % 4)));
        all.insert(all.end(), got.begin(), got.end());
        if (rng() % 4 == 0) {
          const int64_t upto = log->end_offset().value;
          log->flush_async(offset{upto}, [&acked, upto](std::error_code ec) {
            if (!ec) acked = std::max(acked, upto);
          });
        }
        if (rng() % 3 == 0) log->maintain(timestamp{2000});
        // Run some of what is queued, in order, then maybe stop here.
        for (int k = int(rng() % 4); k > 0 && !a.ex.io.empty(); --k) {
          auto t = std::move(a.ex.io.front());
          a.ex.io.pop_front();
          t();
          while (!a.ex.owner.empty()) {
            auto o = std::move(a.ex.owner.front());
            a.ex.owner.pop_front();
            o();
          }
        }
      }
      // The crash: the log object and its queued work are gone.
      a.ex.io.clear();
      a.ex.owner.clear();
    }
    if (power) a.fx.crash();
    auto re = a.fx.open_ok();
    ASSERT_TRUE(re);
    auto got = read_all(*re);
    if (power) {
      ASSERT_GE(int64_t(got.size()), acked);
      EXPECT_EQ(got, std::vector<rec>(all.begin(), all.begin() + int64_t(got.size())));
    } else {
      EXPECT_EQ(got, all);
    }
    for (const auto& n : dir_files(a.fx)) EXPECT_NE(n, format::spare_segment_name);
  }
}

// The stress test the broker needs: random seeks (reads at random offsets,
// planned on the owner and run on io threads, and timestamp lookups) while
// appends roll small segments, jobs seal them on two io threads, and
// retention and delete-records move the start. A read planned at an offset
// inside [start, end) must return the batch holding it, or be stale and
// answer correctly when planned again.
TEST(async_roll, random_seeks_during_appends_and_rolls) {
  log_fixture fx;
  fx.config.segment_bytes = 3000;
  fx.config.index_interval_bytes = 200;
  fx.config.retention_bytes = 60000;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<task> io_q, owner_q;
  bool stop = false;
  log_options o;
  o.dir = fx.dir;
  o.config = fx.config;
  o.fs = fx.fs;
  o.executors.io = [&](task t) {
    std::lock_guard l(mu);
    io_q.push_back(std::move(t));
    cv.notify_all();
  };
  o.executors.owner = [&](task t) {
    std::lock_guard l(mu);
    owner_q.push_back(std::move(t));
  };
  auto log = std::move(partition_log::open(o)).value();
  std::atomic<int> in_flight{0};
  std::vector<std::thread> io;
  for (int k = 0; k < 2; ++k)
    io.emplace_back([&] {
      for (;;) {
        task t;
        {
          std::unique_lock l(mu);
          cv.wait(l, [&] { return stop || !io_q.empty(); });
          if (io_q.empty()) return;
          t = std::move(io_q.front());
          io_q.pop_front();
        }
        t();
      }
    });
  std::mt19937 rng(7);
  int reads = 0, stale = 0, failures = 0, lookups = 0, rolls = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int64_t ts = 1000;
  auto last_active = log->segment_base_from_end(1);
  while (std::chrono::steady_clock::now() < deadline) {
    // Owner: run completions, append, maintain, plan reads.
    std::deque<task> mine;
    {
      std::lock_guard l(mu);
      mine.swap(owner_q);
    }
    for (auto& t : mine) t();
    for (int k = int(rng() % 4); k > 0; --k) {
      std::vector<rec> rs;
      for (int j = 1 + int(rng() % 5); j > 0; --j)
        rs.push_back({-1, "k", std::string(rng() % 200, 'v'), ts++});
      auto b = make_batch(rs);
      ASSERT_TRUE(log->append(b, timestamp{ts}));
    }
    if (rng() % 50 == 0) log->maintain(timestamp{ts});
    if (const auto active = log->segment_base_from_end(1); active != last_active) {
      ++rolls;
      last_active = active;
    }
    if (rng() % 400 == 0) {
      const int64_t to = log->start_offset().value + 1 + int64_t(rng() % 20);
      if (to <= log->end_offset().value) log->delete_records(offset{to}, [](std::error_code) {});
    }
    const int64_t start = log->start_offset().value, end = log->end_offset().value;
    // As many reads in flight as a few consumers would have.
    if (end > start && in_flight < 8) {
      const int64_t at = start + int64_t(rng() % uint64_t(end - start));
      auto p = log->plan_read(offset{at}, 1 + rng() % 4000);
      ++reads;
      if (!p) {
        ++failures;
        ADD_FAILURE() << "plan_read(" << at << ") in [" << start << ", " << end
                      << "): " << p.error().message();
      } else if (p.value().ready) {
        auto recs = decode(slurp(*p.value().ready));
        if (recs.empty() || recs.front().offset > at || recs.back().offset < at) ++failures;
      } else {
        // Run on an io thread, as the broker does, and check there.
        ++in_flight;
        auto d = std::make_shared<read_plan::deferred>(std::move(*p.value().later));
        std::lock_guard l(mu);
        io_q.push_back([d, at, &in_flight, &stale, &failures, &mu] {
          auto r = d->run();
          std::lock_guard l2(mu);
          if (!r && r.error() == storage_errc::stale_view) {
            ++stale;
          } else if (!r) {
            ++failures;
          } else {
            auto recs = decode(slurp(r.value()));
            if (recs.empty() || recs.front().offset > at || recs.back().offset < at) ++failures;
          }
          --in_flight;
        });
        cv.notify_all();
      }
      if (rng() % 20 == 0) {
        // A timestamp lookup: every record has its own timestamp, so it
        // finds exactly the record holding it (or a later one, if deleted).
        ++lookups;
        const int64_t want = 1000 + int64_t(rng() % uint64_t(ts - 1000));
        auto tp = std::make_shared<partition_log::time_plan>(
            log->plan_offset_for_timestamp(timestamp{want}));
        ++in_flight;
        std::lock_guard l(mu);
        io_q.push_back([tp, want, &in_flight, &stale, &failures, &mu] {
          std::optional<record_time> hit;
          std::error_code ec;
          for (auto& r : tp->readers) {
            auto f = r.find_time(want, tp->min_offset);
            if (!f) {
              ec = f.error();
              break;
            }
            if ((hit = f.value())) break;
          }
          std::lock_guard l2(mu);
          if (ec == storage_errc::stale_view)
            ++stale;
          else if (ec || !hit || hit->timestamp < want)
            ++failures;
          --in_flight;
        });
        cv.notify_all();
      }
    }
  }
  while (in_flight > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  {
    std::lock_guard l(mu);
    stop = true;
  }
  cv.notify_all();
  for (auto& t : io) t.join();
  for (auto& t : owner_q) t();
  EXPECT_EQ(failures, 0) << reads << " reads, " << lookups << " lookups, " << stale << " stale, "
                         << rolls << " rolls";
  EXPECT_GT(reads, 1000);
  // How many depends on how fast the io threads keep up (a roll waits for
  // its spare file), but there were some.
  EXPECT_GE(rolls, 3);
  EXPECT_GT(log->start_offset(), offset{0});
}

}  // namespace
}  // namespace runnel::storage::testing
