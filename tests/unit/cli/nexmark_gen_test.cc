#include "cli/nexmark_gen.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace runnel::cli::nexmark {
namespace {

TEST(nexmark_gen, mix_is_one_person_three_auctions_forty_six_bids) {
  std::map<event_kind, int> n;
  for (uint64_t i = 0; i < 5000; ++i) ++n[generator::kind_of(i)];
  EXPECT_EQ(n[event_kind::person], 100);
  EXPECT_EQ(n[event_kind::auction], 300);
  EXPECT_EQ(n[event_kind::bid], 4600);
  EXPECT_EQ(generator::kind_of(0), event_kind::person);
  EXPECT_EQ(generator::kind_of(1), event_kind::auction);
  EXPECT_EQ(generator::kind_of(3), event_kind::auction);
  EXPECT_EQ(generator::kind_of(4), event_kind::bid);
  EXPECT_EQ(generator::kind_of(50), event_kind::person);
}

TEST(nexmark_gen, ids_count_up_from_1000) {
  generator g(config{});
  EXPECT_EQ(g.make_person(0).id, 1000);
  EXPECT_EQ(g.make_person(50).id, 1001);
  EXPECT_EQ(g.make_person(100).id, 1002);
  EXPECT_EQ(g.make_auction(1).id, 1000);
  EXPECT_EQ(g.make_auction(2).id, 1001);
  EXPECT_EQ(g.make_auction(3).id, 1002);
  EXPECT_EQ(g.make_auction(51).id, 1003);
}

TEST(nexmark_gen, same_seed_same_events_other_seed_other_events) {
  config c;
  c.seed = 42;
  generator a(c), b(c);
  c.seed = 43;
  generator other(c);
  int differ = 0;
  for (uint64_t i = 0; i < 500; ++i) {
    std::string x, y, z;
    a.append_json(i, x);
    b.append_json(i, y);
    other.append_json(i, z);
    EXPECT_EQ(x, y);
    differ += x != z;
  }
  EXPECT_GT(differ, 450);
}

TEST(nexmark_gen, fields_keep_nexmark_semantics) {
  config c;
  c.seed = 7;
  c.event_rate = 1000;
  generator g(c);
  std::set<int64_t> categories;
  std::set<std::string> channels;
  int64_t last_person = 0, last_auction = 0;
  for (uint64_t i = 0; i < 20000; ++i) {
    const int64_t ts = g.timestamp_ms(i);
    EXPECT_EQ(ts, c.base_time_ms + int64_t(i));  // 1000 events/s: one per ms
    switch (generator::kind_of(i)) {
      case event_kind::person: {
        person p = g.make_person(i);
        last_person = p.id;
        EXPECT_EQ(p.date_time, ts);
        EXPECT_EQ(p.credit_card.size(), 19u);
        EXPECT_NE(p.email_address.find('@'), std::string::npos);
        EXPECT_EQ(p.state.size(), 2u);
        break;
      }
      case event_kind::auction: {
        auction a = g.make_auction(i);
        last_auction = a.id;
        categories.insert(a.category);
        EXPECT_GT(a.reserve, a.initial_bid);
        EXPECT_GT(a.expires, a.date_time);
        EXPECT_GE(a.seller, 1000);
        EXPECT_LE(a.seller, last_person + 10);  // an active person, or one about to join
        break;
      }
      case event_kind::bid: {
        bid b = g.make_bid(i);
        channels.insert(b.channel);
        EXPECT_GE(b.auction, 1000);
        EXPECT_LE(b.auction, last_auction + 10);
        EXPECT_GE(b.auction, last_auction - 100 - 10);  // in flight, or a hot one
        EXPECT_GE(b.price, 100);                        // cents: 10^U(0,6) dollars
        EXPECT_LE(b.price, 100'000'000);
        EXPECT_EQ(b.url.rfind("https://www.nexmark.com/", 0), 0u);
        break;
      }
    }
  }
  EXPECT_EQ(categories, (std::set<int64_t>{10, 11, 12, 13, 14}));
  EXPECT_TRUE(channels.count("Google"));
  EXPECT_GT(channels.size(), 100u);
}

TEST(nexmark_gen, json_has_risingwave_column_names) {
  config c;
  c.base_time_ms = 0;
  generator g(c);
  std::string p, a, b;
  EXPECT_EQ(g.append_json(0, p, true), event_kind::person);
  EXPECT_EQ(p.rfind("{\"event_type\":0,\"id\":1000,\"name\":\"", 0), 0u) << p;
  EXPECT_NE(p.find("\"date_time\":\"1970-01-01 00:00:00.000\""), std::string::npos) << p;
  g.append_json(1, a);
  for (const char* f :
       {"\"id\":1000,", "\"item_name\":", "\"description\":", "\"initial_bid\":", "\"reserve\":",
        "\"expires\":", "\"seller\":", "\"category\":", "\"extra\":"})
    EXPECT_NE(a.find(f), std::string::npos) << f << " in " << a;
  g.append_json(4, b);
  for (const char* f : {"\"auction\":", "\"bidder\":", "\"price\":", "\"channel\":", "\"url\":",
                        "\"date_time\":\"1970-01-01 00:00:00.000\"", "\"extra\":"})
    EXPECT_NE(b.find(f), std::string::npos) << f << " in " << b;
}

TEST(nexmark_gen, timestamps_as_postgresql_text) {
  std::string s;
  append_timestamp(1704067200000 + 86400000LL * 59 + 3723456, s);  // 2024-02-29 01:02:03.456
  EXPECT_EQ(s, "2024-02-29 01:02:03.456");
  s.clear();
  append_timestamp(-1, s);
  EXPECT_EQ(s, "1969-12-31 23:59:59.999");
}

}  // namespace
}  // namespace runnel::cli::nexmark
