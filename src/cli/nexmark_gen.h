// nexmark_gen: the events of the Nexmark benchmark (persons, auctions and
// bids of an online auction site), with the field semantics of the
// generator that Beam, Flink's nexmark and RisingWave share: the 1:3:46
// person/auction/bid mix, ids that start at 1000, five categories from 10,
// a window of active people and in-flight auctions that bids and auctions
// refer to, hot auctions/sellers/bidders, prices 10^U(0,6) cents, reserve
// above the initial bid, an auction's expiry up to twice the time the next
// 100 auctions take, channels and URLs, and `extra` padding to the average
// sizes (person 200, auction 500, bid 100 bytes). Event n happens at
// base_time + n / event_rate (event time, in order).
//
// Unlike Beam's, the random numbers are not Java's: event n draws from a
// SplitMix64 stream seeded by (seed, n), so that any event can be made on
// its own and a seed always gives the same events, on any machine.
//
// Pure computation; `runnel nexmark` (nexmark.cc) writes the events to
// topics. Thread-safety: a generator is immutable after construction.
#pragma once

#include <cstdint>
#include <string>

namespace runnel::cli::nexmark {

struct config {
  uint64_t seed = 0;
  // Event time of event 0, ms since the epoch (2024-01-01 00:00:00 UTC).
  int64_t base_time_ms = 1704067200000;
  // Events per second of event time (Beam's firstEventRate).
  double event_rate = 10000;
  // Beam's defaults.
  int64_t active_people = 1000;
  int64_t in_flight_auctions = 100;
  int64_t hot_auction_ratio = 2;
  int64_t hot_sellers_ratio = 4;
  int64_t hot_bidders_ratio = 4;
  int64_t avg_person_bytes = 200;
  int64_t avg_auction_bytes = 500;
  int64_t avg_bid_bytes = 100;
};

// Flink's and RisingWave's event_type numbers.
enum class event_kind : int { person = 0, auction = 1, bid = 2 };

constexpr int64_t person_proportion = 1;
constexpr int64_t auction_proportion = 3;
constexpr int64_t bid_proportion = 46;
constexpr int64_t total_proportion = person_proportion + auction_proportion + bid_proportion;
constexpr int64_t first_person_id = 1000;
constexpr int64_t first_auction_id = 1000;
constexpr int64_t first_category_id = 10;
constexpr int64_t num_categories = 5;

struct person {
  int64_t id = 0;
  std::string name, email_address, credit_card, city, state;
  int64_t date_time = 0;  // ms since the epoch
  std::string extra;
};

struct auction {
  int64_t id = 0;
  std::string item_name, description;
  int64_t initial_bid = 0, reserve = 0;
  int64_t date_time = 0, expires = 0;  // ms since the epoch
  int64_t seller = 0, category = 0;
  std::string extra;
};

struct bid {
  int64_t auction = 0, bidder = 0, price = 0;
  std::string channel, url;
  int64_t date_time = 0;  // ms since the epoch
  std::string extra;
};

class generator {
 public:
  explicit generator(config c);

  // Which kind event n (from 0) is: of every 50, the first a person, the
  // next three auctions, the rest bids.
  static event_kind kind_of(uint64_t n);
  // Event n's event time, ms since the epoch.
  int64_t timestamp_ms(uint64_t n) const;

  person make_person(uint64_t n) const;
  auction make_auction(uint64_t n) const;
  bid make_bid(uint64_t n) const;

  // Appends event n to `out` as one JSON object (RisingWave's column
  // names, date_time and expires as "YYYY-MM-DD HH:MM:SS.mmm" UTC); with
  // `event_type`, its first field is "event_type": 0|1|2. Returns its kind.
  event_kind append_json(uint64_t n, std::string& out, bool event_type = false) const;

  const config& settings() const { return c_; }

 private:
  config c_;
};

// "YYYY-MM-DD HH:MM:SS.mmm" of ms since the epoch, UTC (PostgreSQL's and
// DuckDB's timestamp text).
void append_timestamp(int64_t ms, std::string& out);

}  // namespace runnel::cli::nexmark
