#include "cli/nexmark_gen.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <iterator>
#include <string_view>

#include <fmt/format.h>

namespace runnel::cli::nexmark {

namespace {

// Beam's constants: the id window a new bid or auction may refer to runs
// this far past the newest person/auction, and hot ids are multiples of
// these (every 100th auction, seller, bidder).
constexpr int64_t person_id_lead = 10;
constexpr int64_t auction_id_lead = 10;
constexpr int64_t hot_auction_step = 100;
constexpr int64_t hot_seller_step = 100;
constexpr int64_t hot_bidder_step = 100;
constexpr int64_t min_string_length = 3;
// Flink's nexmark: half the bids come through one of four hot channels, the
// rest through one of 10,000 others.
constexpr int64_t hot_channels_ratio = 2;
constexpr int64_t channels_number = 10000;

constexpr std::array<std::string_view, 11> first_names = {
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
constexpr std::array<std::string_view, 9> last_names = {
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
constexpr std::array<std::string_view, 6> us_states = {"AZ", "CA", "ID", "OR", "WA", "WY"};
constexpr std::array<std::string_view, 10> us_cities = {
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland",
    "Bend",    "Redmond",     "Seattle",       "Kent",  "Cheyenne"};
constexpr std::array<std::string_view, 4> hot_channels = {"Google", "Facebook", "Baidu", "Apple"};

// SplitMix64: tiny, fast, and good enough for synthetic data.
struct rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (n <= 0: 0); the modulo bias is below 2^-40 here.
  int64_t below(int64_t n) { return n <= 0 ? 0 : int64_t(next() % uint64_t(n)); }
  double unit() { return double(next() >> 11) * 0x1.0p-53; }
};

rng stream(uint64_t seed, uint64_t n, uint64_t salt) {
  rng r{seed * 0xd1b54a32d192ed03ULL ^ (n + 1) * 0x9e3779b97f4a7c15ULL ^ salt};
  r.next();
  return r;
}

int64_t last_base0_person_id(int64_t event) {
  int64_t epoch = event / total_proportion;
  int64_t offset = event % total_proportion;
  if (offset >= person_proportion) offset = person_proportion - 1;
  return epoch * person_proportion + offset;
}

int64_t last_base0_auction_id(int64_t event) {
  int64_t epoch = event / total_proportion;
  int64_t offset = event % total_proportion;
  if (offset < person_proportion) {
    --epoch;
    offset = auction_proportion - 1;
  } else if (offset >= person_proportion + auction_proportion) {
    offset = auction_proportion - 1;
  } else {
    offset -= person_proportion;
  }
  return epoch * auction_proportion + offset;
}

// A person among the active ones (or up to person_id_lead not yet joined).
int64_t next_base0_person_id(int64_t event, rng& r, const config& c) {
  int64_t people = last_base0_person_id(event) + 1;
  int64_t active = std::min(people, c.active_people);
  return people - active + r.below(active + person_id_lead);
}

// An auction among those in flight (or up to auction_id_lead not yet opened).
int64_t next_base0_auction_id(int64_t event, rng& r, const config& c) {
  int64_t newest = last_base0_auction_id(event);
  int64_t oldest = std::max<int64_t>(newest - c.in_flight_auctions, 0);
  return oldest + r.below(newest - oldest + 1 + auction_id_lead);
}

// Lowercase letters with a space about one time in 13, 3..max_length-1
// long, trimmed.
std::string next_string(rng& r, int64_t max_length, char special = ' ') {
  int64_t len = min_string_length + r.below(max_length - min_string_length);
  std::string s;
  s.reserve(size_t(len));
  while (len-- > 0) s += r.below(13) == 0 ? special : char('a' + r.below(26));
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

std::string next_exact_string(rng& r, int64_t length) {
  std::string s(size_t(std::max<int64_t>(length, 0)), 'a');
  for (char& ch : s) ch = char('a' + r.below(26));
  return s;
}

// Padding that brings an event of `current` bytes to about `average`
// (±20 %).
std::string next_extra(rng& r, int64_t current, int64_t average) {
  if (current > average) return {};
  average -= current;
  int64_t delta = std::llround(double(average) * 0.2);
  int64_t min_size = average - delta;
  return next_exact_string(r, min_size + (delta == 0 ? 0 : r.below(2 * delta)));
}

// Cents: 10^U(0,6) dollars, so mostly small with a long tail.
int64_t next_price(rng& r) {
  return std::llround(std::pow(10.0, r.unit() * 6.0) * 100.0);
}

// Strings are built one draw after another: the order in which the
// operands of `+` or a call's arguments are evaluated is unspecified, and
// the events must not depend on the compiler.
std::string base_url(rng& r) {
  std::string url = "https://www.nexmark.com/";
  for (int i = 0; i < 3; ++i) {
    url += next_string(r, 5, '_');
    url += '/';
  }
  return url + "item.htm?query=1";
}

// Each channel's URL is the same every time it appears (Flink caches them).
std::string channel_url(uint64_t seed, int64_t channel, bool hot) {
  rng r = stream(seed, uint64_t(channel), hot ? 0x484f54ULL : 0x43484eULL);
  std::string url = base_url(r);
  if (!hot && r.below(10) > 0) {
    // Flink: Math.abs(Integer.reverse(channel)).
    uint32_t v = uint32_t(channel), rev = 0;
    for (int i = 0; i < 32; ++i) rev |= ((v >> i) & 1u) << (31 - i);
    int64_t id = int64_t(int32_t(rev));
    url += "&channel_id=" + std::to_string(id < 0 ? -id : id);
  }
  return url;
}

}  // namespace

void append_timestamp(int64_t ms, std::string& out) {
  int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
  int64_t rest = ms - days * 86400000;
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
                 int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()), rest / 3600000,
                 rest / 60000 % 60, rest / 1000 % 60, rest % 1000);
}

generator::generator(config c) : c_(c) {
  if (!(c_.event_rate > 0)) c_.event_rate = 10000;
}

event_kind generator::kind_of(uint64_t n) {
  auto rem = int64_t(n % total_proportion);
  if (rem < person_proportion) return event_kind::person;
  if (rem < person_proportion + auction_proportion) return event_kind::auction;
  return event_kind::bid;
}

int64_t generator::timestamp_ms(uint64_t n) const {
  return c_.base_time_ms + int64_t(std::floor(double(n) * 1000.0 / c_.event_rate));
}

person generator::make_person(uint64_t n) const {
  rng r = stream(c_.seed, n, 0);
  person p;
  const auto e = int64_t(n);
  p.id = last_base0_person_id(e) + first_person_id;
  p.name = first_names[size_t(r.below(first_names.size()))];
  p.name += ' ';
  p.name += last_names[size_t(r.below(last_names.size()))];
  p.email_address = next_string(r, 7);
  p.email_address += '@';
  p.email_address += next_string(r, 5);
  p.email_address += ".com";
  for (int i = 0; i < 4; ++i) {
    if (i) p.credit_card += ' ';
    fmt::format_to(std::back_inserter(p.credit_card), "{:04}", r.below(10000));
  }
  p.city = us_cities[size_t(r.below(us_cities.size()))];
  p.state = us_states[size_t(r.below(us_states.size()))];
  p.date_time = timestamp_ms(n);
  const auto size = int64_t(8 + p.name.size() + p.email_address.size() + p.credit_card.size() +
                            p.city.size() + p.state.size());
  p.extra = next_extra(r, size, c_.avg_person_bytes);
  return p;
}

auction generator::make_auction(uint64_t n) const {
  rng r = stream(c_.seed, n, 0);
  auction a;
  const auto e = int64_t(n);
  a.id = last_base0_auction_id(e) + first_auction_id;
  if (r.below(c_.hot_sellers_ratio) > 0)
    a.seller = last_base0_person_id(e) / hot_seller_step * hot_seller_step;
  else
    a.seller = next_base0_person_id(e, r, c_);
  a.seller += first_person_id;
  a.category = first_category_id + r.below(num_categories);
  a.initial_bid = next_price(r);
  a.date_time = timestamp_ms(n);
  // Open until about when the next in_flight_auctions auctions will have
  // opened, times U(0, 2).
  const int64_t events_for_auctions = c_.in_flight_auctions * total_proportion / auction_proportion;
  const int64_t horizon = timestamp_ms(n + uint64_t(events_for_auctions)) - a.date_time;
  a.expires = a.date_time + 1 + r.below(std::max<int64_t>(horizon * 2, 1));
  a.item_name = next_string(r, 20);
  a.description = next_string(r, 100);
  a.reserve = a.initial_bid + next_price(r);
  a.extra = next_extra(r, 8 + 20 + 100 + 8 + 8 + 8 + 8 + 8, c_.avg_auction_bytes);
  return a;
}

bid generator::make_bid(uint64_t n) const {
  rng r = stream(c_.seed, n, 0);
  bid b;
  const auto e = int64_t(n);
  if (r.below(c_.hot_auction_ratio) > 0)
    b.auction = last_base0_auction_id(e) / hot_auction_step * hot_auction_step;
  else
    b.auction = next_base0_auction_id(e, r, c_);
  b.auction += first_auction_id;
  if (r.below(c_.hot_bidders_ratio) > 0)
    b.bidder = last_base0_person_id(e) / hot_bidder_step * hot_bidder_step + 1;
  else
    b.bidder = next_base0_person_id(e, r, c_);
  b.bidder += first_person_id;
  b.price = next_price(r);
  if (r.below(hot_channels_ratio) > 0) {
    const int64_t i = r.below(hot_channels.size());
    b.channel = hot_channels[size_t(i)];
    b.url = channel_url(c_.seed, i, true);
  } else {
    const int64_t ch = r.below(channels_number);
    b.channel = "channel-" + std::to_string(ch);
    b.url = channel_url(c_.seed, ch, false);
  }
  b.date_time = timestamp_ms(n);
  b.extra = next_extra(r, 32, c_.avg_bid_bytes);
  return b;
}

// Every string made above is letters, digits, spaces and URL punctuation:
// nothing JSON needs escaped.
event_kind generator::append_json(uint64_t n, std::string& out, bool event_type) const {
  auto o = std::back_inserter(out);
  const event_kind k = kind_of(n);
  out += '{';
  if (event_type) fmt::format_to(o, "\"event_type\":{},", int(k));
  switch (k) {
    case event_kind::person: {
      person p = make_person(n);
      fmt::format_to(o,
                     "\"id\":{},\"name\":\"{}\",\"email_address\":\"{}\",\"credit_card\":\"{}\","
                     "\"city\":\"{}\",\"state\":\"{}\",\"date_time\":\"",
                     p.id, p.name, p.email_address, p.credit_card, p.city, p.state);
      append_timestamp(p.date_time, out);
      fmt::format_to(o, "\",\"extra\":\"{}\"}}", p.extra);
      break;
    }
    case event_kind::auction: {
      auction a = make_auction(n);
      fmt::format_to(o,
                     "\"id\":{},\"item_name\":\"{}\",\"description\":\"{}\",\"initial_bid\":{},"
                     "\"reserve\":{},\"date_time\":\"",
                     a.id, a.item_name, a.description, a.initial_bid, a.reserve);
      append_timestamp(a.date_time, out);
      out += "\",\"expires\":\"";
      append_timestamp(a.expires, out);
      fmt::format_to(o, "\",\"seller\":{},\"category\":{},\"extra\":\"{}\"}}", a.seller, a.category,
                     a.extra);
      break;
    }
    case event_kind::bid: {
      bid b = make_bid(n);
      fmt::format_to(o,
                     "\"auction\":{},\"bidder\":{},\"price\":{},\"channel\":\"{}\",\"url\":\"{}\","
                     "\"date_time\":\"",
                     b.auction, b.bidder, b.price, b.channel, b.url);
      append_timestamp(b.date_time, out);
      fmt::format_to(o, "\",\"extra\":\"{}\"}}", b.extra);
      break;
    }
  }
  return k;
}

}  // namespace runnel::cli::nexmark
