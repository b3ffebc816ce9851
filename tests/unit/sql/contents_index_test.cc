// A relation's contents under random batches of inserts and deletes
// (engine/contents_index.h): always the multiset of the changes' sum, its
// strings its own once the batches that carried them are gone, and a
// batch's cost independent of the relation (no whole consolidation).
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "sql/engine/contents_index.h"

namespace runnel::sql {
namespace {

using bag = std::map<std::pair<int64_t, std::string>, int64_t>;

bag contents_bag(const row_batch& b) {
  bag out;
  for (size_t i = 0; i < b.size(); ++i) {
    EXPECT_NE(b.weight(i), 0) << "an entry of weight 0 stayed";
    out[{b.row(i)[0].as_int(), std::string(b.row(i)[1].as_text())}] += b.weight(i);
  }
  return out;
}

TEST(ContentsIndex, RandomBatchesKeepTheSumOfTheChanges) {
  const schema_types types{type_id::int64, type_id::text};
  std::mt19937_64 rng(42);
  for (int round = 0; round < 3; ++round) {
    row_batch contents(2);
    contents_index index;
    bag expected;
    for (int batch = 0; batch < 300; ++batch) {
      // The first batches insert only (appended, unindexed), later ones
      // mix in deletes of rows that are there, and rows that come back.
      row_batch changes(2);
      const bool deletes = batch >= 20 + round * 10;
      const int n = static_cast<int>(rng() % 200);
      for (int k = 0; k < n; ++k) {
        if (deletes && !expected.empty() && rng() % 2 == 0) {
          auto it = expected.begin();
          std::advance(it, static_cast<long>(rng() % expected.size()));
          datum* r = changes.add(-1);
          r[0] = datum::of_int(it->first.first);
          r[1] = datum::of_text(changes.strings().copy(it->first.second));
          if (--it->second == 0) expected.erase(it);
          continue;
        }
        int64_t v = static_cast<int64_t>(rng() % 500);
        std::string s = "row " + std::to_string(v) + std::string(v % 7, 'x');
        datum* r = changes.add(1);
        r[0] = datum::of_int(v);
        r[1] = datum::of_text(changes.strings().copy(s));
        ++expected[{v, s}];
      }
      index.apply(contents, changes, types);
      changes = row_batch(2);  // its strings are gone: the contents must own theirs
      if (batch % 25 == 0 || batch == 299) {
        ASSERT_EQ(contents_bag(contents), expected) << batch;
      }
    }
    // Replaced contents start over unindexed.
    index.reset();
    contents = row_batch(2);
    row_batch one(2);
    datum* r = one.add(1);
    r[0] = datum::of_int(1);
    r[1] = datum::of_text(one.strings().copy("one"));
    index.apply(contents, one, types);
    one.set_weight(0, -1);
    index.apply(contents, one, types);
    EXPECT_TRUE(contents.empty());
  }
}

}  // namespace
}  // namespace runnel::sql
