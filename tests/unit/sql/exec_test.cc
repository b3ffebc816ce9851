// The operators, run two ways over the same rows and compared with what
// PostgreSQL 15 returns for the same query: as one-off queries (every row
// inserted once), and as maintained views fed the rows in small batches
// mixed with rows that are inserted and later deleted — so a view equals
// the batch query under retractions, which is the promise of incremental
// view maintenance.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "sql/exec/dataflow.h"
#include "sql/exec/rows.h"
#include "sql/types/datetime.h"
#include "sql/types/text_format.h"
#include "test_catalog.h"

namespace runnel::sql {
namespace {

struct query_case {
  const char* sql;
  // Rows, columns joined by '|', NULL as "NULL"; sorted unless the query
  // ends in ORDER BY (then in PostgreSQL's order).
  std::vector<std::string> expected;
};

// The rows of t(k int, g text, v bigint, x numeric(10,2), ts timestamp) and
// u(id int, g text, w int), and each query's result as PostgreSQL 15.18 printed it (psql -At -F'|'
// -P null=NULL) over them. PostgreSQL has no TUMBLE or HOP: their cases were run there as
// date_bin() and generate_series() over the same windows.
const char* const t_rows[][5] = {
    {"1", "c", "13", "-1.09", "2024-03-15 10:52:34"},
    {"2", "a", "40", "469.27", "2024-03-15 10:02:05"},
    {"3", "d", "47", nullptr, "2024-03-15 10:05:35"},
    {"4", "d", "1", "76.28", "2024-03-15 10:40:40"},
    {"5", nullptr, "1", "356.06", "2024-03-15 10:14:02"},
    {"6", nullptr, "11", "97.69", "2024-03-15 10:07:36"},
    {"7", "c", "65", "135.13", "2024-03-15 10:37:36"},
    {"8", "b", "41", nullptr, "2024-03-15 10:45:04"},
    {"9", nullptr, "1", "458.87", "2024-03-15 10:34:27"},
    {"10", "c", "53", "414.46", "2024-03-15 10:19:15"},
    {"11", "b", "83", "33.73", "2024-03-15 10:19:33"},
    {"12", "d", "37", "244.77", "2024-03-15 10:04:07"},
    {"13", nullptr, "47", "300.19", "2024-03-15 10:59:31"},
    {"14", "d", "-1", "29.97", "2024-03-15 10:35:36"},
    {"15", "c", "37", "458.74", "2024-03-15 10:51:29"},
    {"16", "a", "5", "435.89", "2024-03-15 10:42:04"},
    {"17", "a", "87", "406.36", "2024-03-15 10:45:24"},
    {"18", "c", "-4", "313.21", "2024-03-15 10:39:07"},
    {"19", "d", "1", "244.16", "2024-03-15 10:47:15"},
    {"20", "d", "44", "458.10", "2024-03-15 10:10:28"},
    {"21", "d", "64", "90.55", "2024-03-15 10:55:35"},
    {"22", "c", "84", "317.87", "2024-03-15 10:56:24"},
    {"23", "b", "13", nullptr, "2024-03-15 10:09:14"},
    {"24", "b", "-5", "136.33", "2024-03-15 10:18:00"},
    {"25", "b", "47", "276.16", "2024-03-15 10:44:54"},
    {"26", nullptr, "73", "5.58", "2024-03-15 10:57:55"},
    {"27", nullptr, "44", "353.13", "2024-03-15 10:30:40"},
    {"28", "d", "1", "163.56", "2024-03-15 10:10:07"},
    {"29", "c", "70", nullptr, "2024-03-15 10:00:36"},
    {"30", "b", "62", "322.78", "2024-03-15 10:01:04"},
    {"31", "b", "72", "208.44", "2024-03-15 10:38:23"},
    {"32", "d", "9", "449.59", "2024-03-15 10:30:30"},
    {"33", "c", "4", "300.94", "2024-03-15 10:16:30"},
    {"34", "b", "60", nullptr, "2024-03-15 10:33:23"},
    {"35", "b", "82", "-23.97", "2024-03-15 10:33:19"},
    {"36", "a", "83", "480.46", "2024-03-15 10:58:10"},
    {"37", "c", "92", "464.42", "2024-03-15 10:40:14"},
    {"38", nullptr, "97", "149.30", "2024-03-15 10:52:25"},
    {"39", "b", "19", "314.93", "2024-03-15 10:01:01"},
    {"40", "c", "54", "302.57", "2024-03-15 10:51:59"},
    {"41", "c", "40", nullptr, "2024-03-15 10:06:14"},
    {"42", "d", "19", "444.79", "2024-03-15 10:57:39"},
    {"43", "a", "55", "302.82", "2024-03-15 10:05:53"},
    {"44", "a", "43", "154.61", "2024-03-15 10:56:11"},
    {"45", "d", "95", "38.92", "2024-03-15 10:25:29"},
    {"46", "d", "89", "112.21", "2024-03-15 10:08:01"},
    {"47", "b", "69", "99.78", "2024-03-15 10:52:38"},
    {"48", "d", "78", "109.70", "2024-03-15 10:35:08"},
    {"49", "a", "-5", "55.67", "2024-03-15 10:47:59"},
    {"50", "b", "49", "149.27", "2024-03-15 10:01:16"},
    {"51", "b", "31", "283.33", "2024-03-15 10:34:26"},
    {"52", "b", "1", "312.58", "2024-03-15 10:42:37"},
    {"53", nullptr, "47", "463.16", "2024-03-15 10:34:09"},
    {"54", nullptr, "59", nullptr, "2024-03-15 10:28:49"},
    {"55", "b", "71", nullptr, "2024-03-15 10:51:09"},
    {"56", "b", "12", "73.71", "2024-03-15 10:03:20"},
    {"57", nullptr, "61", "58.71", "2024-03-15 10:03:15"},
    {"58", "b", "29", nullptr, "2024-03-15 10:06:32"},
    {"59", "d", "65", nullptr, "2024-03-15 10:57:58"},
    {"60", "a", "50", "467.77", "2024-03-15 10:32:12"},
};

const char* const u_rows[][3] = {
    {"36", "d", "12"},    {"62", nullptr, "11"}, {"67", "c", "3"}, {"58", "b", "6"},
    {"57", "c", nullptr}, {"31", "d", nullptr},  {"39", "a", "2"}, {"47", "b", "2"},
    {"60", "b", "1"},     {"51", "d", "10"},     {"29", "b", "8"}, {"52", "c", "5"},
    {"41", "a", "0"},     {"44", nullptr, "11"}, {"3", "d", "9"},
};

const query_case query_cases[] = {
    {"SELECT g, count(*), sum(v), avg(v), min(v), max(v), count(DISTINCT v % 3), sum(x), max(x) "
     "FROM t GROUP BY g",
     {"NULL|10|441|44.1000000000000000|1|97|2|2242.69|463.16",
      "a|8|358|44.7500000000000000|-5|87|4|2772.85|480.46",
      "b|17|736|43.2941176470588235|-5|83|4|2187.07|322.78",
      "c|11|508|46.1818181818181818|-4|92|4|2706.25|464.42",
      "d|14|549|39.2142857142857143|-1|95|4|2462.60|458.10"}},
    {"SELECT count(*), count(v), sum(x), min(g), max(ts) FROM t",
     {"60|60|12371.46|a|2024-03-15 10:59:31"}},
    {"SELECT g, sum(x) AS s FROM t WHERE v > 10 GROUP BY g HAVING count(*) > 1",
     {"NULL|1427.76", "a|2281.29", "b|1738.16", "c|2092.10", "d|1499.04"}},
    {"SELECT k, upper(g) || '!', CASE WHEN v > 50 THEN 'big' WHEN v IS NULL THEN 'none' ELSE "
     "'small' END, x * 2 FROM t WHERE x IS NOT NULL AND k % 4 = 1",
     {"13|NULL|small|600.38", "17|A!|big|812.72", "1|C!|small|-2.18", "21|D!|big|181.10",
      "25|B!|small|552.32", "33|C!|small|601.88", "37|C!|big|928.84", "45|D!|big|77.84",
      "49|A!|small|111.34", "53|NULL|small|926.32", "57|NULL|big|117.42", "5|NULL|small|712.12",
      "9|NULL|small|917.74"}},
    {"SELECT g FROM t WHERE v < 5 UNION ALL SELECT g FROM t WHERE v > 90",
     {"NULL", "NULL", "NULL", "a", "b", "b", "c", "c", "c", "d", "d", "d", "d", "d"}},
    {"SELECT window_start, window_end, g, count(*), sum(v) FROM TUMBLE(t, ts, INTERVAL '10' "
     "MINUTE) GROUP BY window_start, window_end, g",
     {"2024-03-15 10:00:00|2024-03-15 10:10:00|NULL|2|72",
      "2024-03-15 10:00:00|2024-03-15 10:10:00|a|2|95",
      "2024-03-15 10:00:00|2024-03-15 10:10:00|b|6|184",
      "2024-03-15 10:00:00|2024-03-15 10:10:00|c|2|110",
      "2024-03-15 10:00:00|2024-03-15 10:10:00|d|3|173",
      "2024-03-15 10:10:00|2024-03-15 10:20:00|NULL|1|1",
      "2024-03-15 10:10:00|2024-03-15 10:20:00|b|2|78",
      "2024-03-15 10:10:00|2024-03-15 10:20:00|c|2|57",
      "2024-03-15 10:10:00|2024-03-15 10:20:00|d|2|45",
      "2024-03-15 10:20:00|2024-03-15 10:30:00|NULL|1|59",
      "2024-03-15 10:20:00|2024-03-15 10:30:00|d|1|95",
      "2024-03-15 10:30:00|2024-03-15 10:40:00|NULL|3|92",
      "2024-03-15 10:30:00|2024-03-15 10:40:00|a|1|50",
      "2024-03-15 10:30:00|2024-03-15 10:40:00|b|4|245",
      "2024-03-15 10:30:00|2024-03-15 10:40:00|c|2|61",
      "2024-03-15 10:30:00|2024-03-15 10:40:00|d|3|86",
      "2024-03-15 10:40:00|2024-03-15 10:50:00|a|3|87",
      "2024-03-15 10:40:00|2024-03-15 10:50:00|b|3|89",
      "2024-03-15 10:40:00|2024-03-15 10:50:00|c|1|92",
      "2024-03-15 10:40:00|2024-03-15 10:50:00|d|2|2",
      "2024-03-15 10:50:00|2024-03-15 11:00:00|NULL|3|217",
      "2024-03-15 10:50:00|2024-03-15 11:00:00|a|2|126",
      "2024-03-15 10:50:00|2024-03-15 11:00:00|b|2|140",
      "2024-03-15 10:50:00|2024-03-15 11:00:00|c|4|188",
      "2024-03-15 10:50:00|2024-03-15 11:00:00|d|3|148"}},
    {"SELECT window_start, count(*), max(k) FROM HOP(t, ts, INTERVAL '5' MINUTE, INTERVAL '15' "
     "MINUTE) GROUP BY window_start",
     {"2024-03-15 09:50:00|8|57", "2024-03-15 09:55:00|15|58", "2024-03-15 10:00:00|18|58",
      "2024-03-15 10:05:00|14|58", "2024-03-15 10:10:00|7|33", "2024-03-15 10:15:00|6|54",
      "2024-03-15 10:20:00|10|60", "2024-03-15 10:25:00|15|60", "2024-03-15 10:30:00|18|60",
      "2024-03-15 10:35:00|14|52", "2024-03-15 10:40:00|15|55", "2024-03-15 10:45:00|18|59",
      "2024-03-15 10:50:00|14|59", "2024-03-15 10:55:00|8|59"}},
    {"SELECT count(*) FROM (SELECT g, count(*) AS n FROM t GROUP BY g) s WHERE n > 10", {"3"}},
    {"SELECT a, b FROM (VALUES (1, 'x'), (2, NULL)) AS v(a, b)", {"1|x", "2|NULL"}},
    {"SELECT t.k, u.id, u.w FROM t JOIN u ON t.g = u.g WHERE t.v > 80",
     {"11|29|8",    "11|47|2",    "11|58|6",    "11|60|1", "17|39|2",    "17|41|0",  "22|52|5",
      "22|57|NULL", "22|67|3",    "35|29|8",    "35|47|2", "35|58|6",    "35|60|1",  "36|39|2",
      "36|41|0",    "37|52|5",    "37|57|NULL", "37|67|3", "45|31|NULL", "45|36|12", "45|3|9",
      "45|51|10",   "46|31|NULL", "46|36|12",   "46|3|9",  "46|51|10"}},
    {"SELECT t.k, u.id FROM t LEFT JOIN u ON t.g = u.g AND u.w > t.v % 10",
     {"10|52",  "11|29",   "11|58",   "12|3",    "12|36",   "12|51", "13|NULL", "14|3",
      "14|36",  "14|51",   "15|NULL", "16|NULL", "17|NULL", "18|52", "18|67",   "19|3",
      "19|36",  "19|51",   "1|52",    "20|3",    "20|36",   "20|51", "21|3",    "21|36",
      "21|51",  "22|52",   "23|29",   "23|58",   "24|29",   "24|47", "24|58",   "24|60",
      "25|29",  "26|NULL", "27|NULL", "28|3",    "28|36",   "28|51", "29|52",   "29|67",
      "2|39",   "30|29",   "30|58",   "31|29",   "31|58",   "32|36", "32|51",   "33|52",
      "34|29",  "34|47",   "34|58",   "34|60",   "35|29",   "35|58", "36|NULL", "37|52",
      "37|67",  "38|NULL", "39|NULL", "3|3",     "3|36",    "3|51",  "40|52",   "41|52",
      "41|67",  "42|36",   "42|51",   "43|NULL", "44|NULL", "45|3",  "45|36",   "45|51",
      "46|36",  "46|51",   "47|NULL", "48|3",    "48|36",   "48|51", "49|39",   "49|41",
      "4|3",    "4|36",    "4|51",    "50|NULL", "51|29",   "51|47", "51|58",   "52|29",
      "52|47",  "52|58",   "53|NULL", "54|NULL", "55|29",   "55|47", "55|58",   "56|29",
      "56|58",  "57|NULL", "58|NULL", "59|3",    "59|36",   "59|51", "5|NULL",  "60|39",
      "6|NULL", "7|NULL",  "8|29",    "8|47",    "8|58",    "9|NULL"}},
    {"SELECT t.k, u.id, u.g FROM t FULL JOIN u ON t.k = u.id",
     {"10|NULL|NULL", "11|NULL|NULL", "12|NULL|NULL", "13|NULL|NULL", "14|NULL|NULL",
      "15|NULL|NULL", "16|NULL|NULL", "17|NULL|NULL", "18|NULL|NULL", "19|NULL|NULL",
      "1|NULL|NULL",  "20|NULL|NULL", "21|NULL|NULL", "22|NULL|NULL", "23|NULL|NULL",
      "24|NULL|NULL", "25|NULL|NULL", "26|NULL|NULL", "27|NULL|NULL", "28|NULL|NULL",
      "29|29|b",      "2|NULL|NULL",  "30|NULL|NULL", "31|31|d",      "32|NULL|NULL",
      "33|NULL|NULL", "34|NULL|NULL", "35|NULL|NULL", "36|36|d",      "37|NULL|NULL",
      "38|NULL|NULL", "39|39|a",      "3|3|d",        "40|NULL|NULL", "41|41|a",
      "42|NULL|NULL", "43|NULL|NULL", "44|44|NULL",   "45|NULL|NULL", "46|NULL|NULL",
      "47|47|b",      "48|NULL|NULL", "49|NULL|NULL", "4|NULL|NULL",  "50|NULL|NULL",
      "51|51|d",      "52|52|c",      "53|NULL|NULL", "54|NULL|NULL", "55|NULL|NULL",
      "56|NULL|NULL", "57|57|c",      "58|58|b",      "59|NULL|NULL", "5|NULL|NULL",
      "60|60|b",      "6|NULL|NULL",  "7|NULL|NULL",  "8|NULL|NULL",  "9|NULL|NULL",
      "NULL|62|NULL", "NULL|67|c"}},
    {"SELECT u.g, count(*), sum(t.v), max(u.w) FROM t JOIN u ON t.g = u.g GROUP BY u.g",
     {"a|16|716|2", "b|68|2944|8", "c|33|1524|5", "d|56|2196|12"}},
    {"SELECT a.k, b.k FROM t a JOIN t b ON a.v = b.v AND a.k < b.k",
     {"11|36", "12|15", "13|25", "13|53", "19|28", "19|52", "1|23", "20|27", "24|49", "25|53",
      "28|52", "2|41",  "39|42", "3|13",  "3|25",  "3|53",  "4|19", "4|28",  "4|5",   "4|52",
      "4|9",   "5|19",  "5|28",  "5|52",  "5|9",   "7|59",  "9|19", "9|28",  "9|52"}},
    {"SELECT count(*) FROM t, u WHERE t.k < u.id AND u.w > 10", {"138"}},
    {"SELECT u.id, count(t.k) FROM u LEFT JOIN t ON t.g = u.g AND t.v > 90 GROUP BY u.id",
     {"29|0", "31|1", "36|1", "39|0", "3|1", "41|0", "44|0", "47|0", "51|1", "52|1", "57|1", "58|0",
      "60|0", "62|0", "67|1"}},
    {"SELECT * FROM (SELECT g, k, v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v DESC, k) AS rn "
     "FROM t) s WHERE rn <= 2",
     {"NULL|26|73|2", "NULL|38|97|1", "a|17|87|1", "a|36|83|2", "b|11|83|1", "b|35|82|2",
      "c|22|84|2", "c|37|92|1", "d|45|95|1", "d|46|89|2"}},
    {"SELECT g, k, ROW_NUMBER() OVER (PARTITION BY g ORDER BY ts, k) FROM t",
     {"NULL|13|10", "NULL|26|9", "NULL|27|5", "NULL|38|8", "NULL|53|6", "NULL|54|4", "NULL|57|1",
      "NULL|5|3",   "NULL|6|2",  "NULL|9|7",  "a|16|4",    "a|17|5",    "a|2|1",     "a|36|8",
      "a|43|2",     "a|44|7",    "a|49|6",    "a|60|3",    "b|11|8",    "b|23|6",    "b|24|7",
      "b|25|14",    "b|30|2",    "b|31|12",   "b|34|10",   "b|35|9",    "b|39|1",    "b|47|17",
      "b|50|3",     "b|51|11",   "b|52|13",   "b|55|16",   "b|56|4",    "b|58|5",    "b|8|15",
      "c|10|4",     "c|15|8",    "c|18|6",    "c|1|10",    "c|22|11",   "c|29|1",    "c|33|3",
      "c|37|7",     "c|40|9",    "c|41|2",    "c|7|5",     "d|12|1",    "d|14|9",    "d|19|11",
      "d|20|5",     "d|21|12",   "d|28|4",    "d|32|7",    "d|3|2",     "d|42|13",   "d|45|6",
      "d|46|3",     "d|48|8",    "d|4|10",    "d|59|14"}},
    {"SELECT k, v FROM t ORDER BY v DESC NULLS LAST, k LIMIT 5",
     {"38|97", "45|95", "37|92", "46|89", "17|87"}},
    {"SELECT k, x FROM t ORDER BY x NULLS FIRST, k LIMIT 4 OFFSET 2",
     {"23|NULL", "29|NULL", "34|NULL", "41|NULL"}},
    {"SELECT g, count(*) AS n FROM t GROUP BY g ORDER BY n DESC, g LIMIT 3",
     {"b|17", "d|14", "c|11"}},
};

struct table {
  const relation_info* rel = nullptr;
  schema_types types;
  row_batch rows;
};

struct fixture {
  testing::test_catalog catalog;
  table t, u;

  fixture() {
    load(t,
         catalog.add("t", relation_kind::table,
                     {{"k", type_id::int32},
                      {"g", type_id::text},
                      {"v", type_id::int64},
                      {"x", sql_type(type_id::numeric, 10, 2)},
                      {"ts", type_id::timestamp}}),
         t_rows);
    load(u,
         catalog.add("u", relation_kind::table,
                     {{"id", type_id::int32}, {"g", type_id::text}, {"w", type_id::int32}}),
         u_rows);
  }

  template <size_t N, size_t W>
  static void load(table& into, const relation_info& rel, const char* const (&text)[N][W]) {
    into.rel = &rel;
    for (const auto& c : rel.columns) into.types.push_back(c.type);
    into.rows = row_batch(W);
    for (const auto& r : text) {
      into.rows.add(1);
      for (size_t c = 0; c < W; ++c) {
        if (!r[c]) continue;
        auto v = from_text(into.types[c], r[c], into.rows.strings());
        ASSERT_TRUE(v) << r[c];
        into.rows.row(into.rows.size() - 1)[c] = v.value();
      }
    }
  }
  std::vector<table*> tables() { return {&t, &u}; }
};

std::vector<std::string> as_text(const plan_node& root, const row_batch& b,
                                 bool keep_order = false) {
  std::vector<std::string> out;
  for (size_t i = 0; i < b.size(); ++i) {
    std::string line;
    for (size_t c = 0; c < b.width(); ++c) {
      if (c) line += '|';
      const datum& d = b.row(i)[c];
      line += d.is_null() ? "NULL" : to_text(root.columns[c].type, d);
    }
    for (int64_t n = 0; n < b.weight(i); ++n) out.push_back(line);
  }
  if (!keep_order) std::sort(out.begin(), out.end());
  return out;
}

// Feeds every table's rows into `flow` in random batches: each table's
// rows in a random order, the tables interleaved at random; transient rows
// (copies of real ones) are inserted and deleted again at random later
// points, so that what remains is each table's rows once.
void feed_randomly(fixture& f, dataflow& flow, std::mt19937& rng) {
  struct feed {
    table* from;
    std::vector<size_t> order;
    size_t next = 0;
    std::vector<size_t> pending;
  };
  std::vector<feed> feeds;
  for (table* tb : f.tables()) {
    feed fd{tb, {}, 0, {}};
    for (size_t i = 0; i < tb->rows.size(); ++i) fd.order.push_back(i);
    std::shuffle(fd.order.begin(), fd.order.end(), rng);
    feeds.push_back(std::move(fd));
  }
  auto busy = [](const feed& fd) { return fd.next < fd.order.size() || !fd.pending.empty(); };
  while (std::any_of(feeds.begin(), feeds.end(), busy)) {
    feed& fd = feeds[rng() % feeds.size()];
    if (!busy(fd)) continue;
    const row_batch& src = fd.from->rows;
    row_batch batch(src.width());
    batch.keep_alive(src);
    size_t n = 1 + rng() % 7;
    for (size_t i = 0; i < n && fd.next < fd.order.size(); ++i) {
      batch.add(src.row(fd.order[fd.next]), 1);
      if (rng() % 3 == 0) {
        size_t other = rng() % src.size();
        batch.add(src.row(other), 1);
        fd.pending.push_back(other);
      }
      ++fd.next;
    }
    if (!fd.pending.empty() && (rng() % 2 == 0 || fd.next == fd.order.size())) {
      size_t k = rng() % fd.pending.size();
      batch.add(src.row(fd.pending[k]), -1);
      fd.pending.erase(fd.pending.begin() + static_cast<std::ptrdiff_t>(k));
    }
    flow.push(fd.from->rel->id, batch);
  }
}

TEST(Exec, OneOffQueriesMatchPostgres) {
  fixture f;
  for (const auto& q : query_cases) {
    auto p = f.catalog.plan(q.sql, false);
    ASSERT_TRUE(p) << q.sql << ": " << p.error().message;
    auto r = run_query(*p.value(), {{f.t.rel->id, &f.t.rows}, {f.u.rel->id, &f.u.rows}});
    ASSERT_TRUE(r) << q.sql << ": " << r.error().message;
    bool ordered = std::string_view(q.sql).find("ORDER BY") != std::string_view::npos &&
                   std::string_view(q.sql).find("OVER") == std::string_view::npos;
    EXPECT_EQ(as_text(*p.value(), r.value(), ordered), q.expected) << q.sql;
  }
}

// Feeds the rows in random batches, with rows that come and go (and
// updates as a delete and an insert) mixed in; the view is the sum of
// every change the dataflow emitted.
TEST(Exec, MaintainedViewsEqualTheBatchQueryUnderRetractions) {
  fixture f;
  std::mt19937 rng(42);
  for (const auto& q : query_cases) {
    auto p = f.catalog.plan(q.sql, true);
    ASSERT_TRUE(p) << q.sql << ": " << p.error().message;
    for (int round = 0; round < 3; ++round) {
      exec_env env;
      env.streaming = true;
      env.name = "test";
      env.new_table = [] { return make_memory_table(); };
      auto flow = dataflow::build(*p.value(), env);
      ASSERT_TRUE(flow) << flow.error().message;
      collector view(env, static_cast<uint32_t>(p.value()->columns.size()));
      flow.value()->add_output(&view, 0);
      flow.value()->on_create();

      feed_randomly(f, *flow.value(), rng);
      row_batch result = view.rows();
      schema_types out_types;
      for (const auto& c : p.value()->columns) out_types.push_back(c.type);
      consolidate(result, out_types);
      for (size_t i = 0; i < result.size(); ++i) ASSERT_GT(result.weight(i), 0) << q.sql;
      // A view is a set: its rows in any order.
      auto expected = q.expected;
      std::sort(expected.begin(), expected.end());
      EXPECT_EQ(as_text(*p.value(), result), expected) << q.sql << " (round " << round << ")";
      EXPECT_EQ(env.row_errors, 0u);
    }
  }
}

// Several window functions in one SELECT (each its own ranking node),
// maintained under inserts and deletes in random batches: the view equals
// the one-off query over the rows that remain (whose answers queries.slt
// checks against PostgreSQL).
TEST(Exec, SeveralWindowFunctionsMaintainedEqualTheBatchQuery) {
  const char* queries[] = {
      "SELECT k, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v, k), RANK() OVER (PARTITION BY g "
      "ORDER BY v), DENSE_RANK() OVER (PARTITION BY g ORDER BY v) FROM t",
      "SELECT k, ROW_NUMBER() OVER (PARTITION BY g ORDER BY ts, k) AS a, RANK() OVER (ORDER BY v "
      "DESC) AS b FROM t",
      "SELECT k, a, b FROM (SELECT k, ROW_NUMBER() OVER (PARTITION BY g ORDER BY k) AS a, "
      "DENSE_RANK() OVER (ORDER BY x NULLS FIRST) AS b FROM t) s WHERE b <= 3",
      "SELECT g, n, RANK() OVER (ORDER BY n DESC), ROW_NUMBER() OVER (ORDER BY g NULLS LAST) FROM "
      "(SELECT g, count(*) AS n FROM t GROUP BY g) c",
  };
  for (const char* sql : queries) {
    for (int round = 0; round < 3; ++round) {
      fixture f;
      auto p = f.catalog.plan(sql, true);
      ASSERT_TRUE(p) << sql << ": " << p.error().message;
      auto once = f.catalog.plan(sql, false);
      ASSERT_TRUE(once) << sql << ": " << once.error().message;
      auto want = run_query(*once.value(), {{f.t.rel->id, &f.t.rows}});
      ASSERT_TRUE(want) << want.error().message;
      exec_env env;
      env.streaming = true;
      env.new_table = [] { return make_memory_table(); };
      auto flow = dataflow::build(*p.value(), env);
      ASSERT_TRUE(flow) << flow.error().message;
      collector view(env, static_cast<uint32_t>(p.value()->columns.size()));
      flow.value()->add_output(&view, 0);
      std::mt19937 rng(static_cast<uint32_t>(round * 31 + 5));
      feed_randomly(f, *flow.value(), rng);
      row_batch got = view.rows();
      schema_types out_types;
      for (const auto& c : p.value()->columns) out_types.push_back(c.type);
      consolidate(got, out_types);
      EXPECT_GT(want.value().size(), 3u) << sql;
      EXPECT_EQ(as_text(*p.value(), got), as_text(*once.value(), want.value()))
          << sql << " (round " << round << ")";
    }
  }
}

// SESSION windows over t, as one-off queries and as views fed inserts and
// deletes in random batches (which extend, bridge, shrink and split
// sessions), against sessions computed here: per partition, rows sorted by
// time, a new session after a gap of more than the interval.
TEST(Exec, SessionWindowsEqualSessionsComputedByHand) {
  fixture f;
  constexpr int64_t minute = 60'000'000;
  struct query {
    const char* sql;
    bool partitioned;
    int64_t gap;
    int shape;  // 0: rows with their windows, 1: count and sum per session, 2: count per session
  };
  const query queries[] = {
      {"SELECT k, g, window_start, window_end FROM SESSION(TABLE t PARTITION BY g, DESCRIPTOR(ts), "
       "INTERVAL '5' MINUTES)",
       true, 5 * minute, 0},
      {"SELECT g, window_start, window_end, count(*), sum(v) FROM SESSION(TABLE t PARTITION BY g, "
       "DESCRIPTOR(ts), INTERVAL '4' MINUTE) GROUP BY g, window_start, window_end",
       true, 4 * minute, 1},
      {"SELECT s.window_start, s.window_end, count(*) FROM SESSION(TABLE t, DESCRIPTOR(ts), "
       "INTERVAL '90' SECONDS) AS s GROUP BY s.window_start, s.window_end",
       false, 90'000'000, 2},
  };
  for (const auto& q : queries) {
    // The sessions by hand.
    const row_batch& rows = f.t.rows;
    std::map<std::string, std::vector<size_t>> parts;
    for (size_t i = 0; i < rows.size(); ++i) {
      const datum& g = rows.row(i)[1];
      parts[!q.partitioned ? "" : g.is_null() ? "NULL" : std::string(g.as_text())].push_back(i);
    }
    std::vector<std::pair<int64_t, int64_t>> window(rows.size());
    for (auto& [g, idx] : parts) {
      std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
        return rows.row(a)[4].as_int() < rows.row(b)[4].as_int();
      });
      for (size_t a = 0; a < idx.size();) {
        size_t b = a + 1;
        while (b < idx.size() &&
               rows.row(idx[b])[4].as_int() - rows.row(idx[b - 1])[4].as_int() <= q.gap)
          ++b;
        for (size_t k = a; k < b; ++k)
          window[idx[k]] = {rows.row(idx[a])[4].as_int(), rows.row(idx[b - 1])[4].as_int() + q.gap};
        a = b;
      }
    }
    auto ts = [](int64_t v) { return to_text(type_id::timestamp, datum::of_int(v)); };
    std::vector<std::string> expected;
    std::map<std::tuple<std::string, int64_t, int64_t>, std::pair<int64_t, int64_t>> agg;
    for (size_t i = 0; i < rows.size(); ++i) {
      const datum* r = rows.row(i);
      std::string g = r[1].is_null() ? "NULL" : std::string(r[1].as_text());
      if (q.shape == 0)
        expected.push_back(std::to_string(r[0].as_int()) + "|" + g + "|" + ts(window[i].first) +
                           "|" + ts(window[i].second));
      auto& a = agg[{q.partitioned ? g : "", window[i].first, window[i].second}];
      a.first += 1;
      a.second += r[2].as_int();
    }
    for (const auto& [k, a] : agg) {
      if (q.shape == 1)
        expected.push_back(std::get<0>(k) + "|" + ts(std::get<1>(k)) + "|" + ts(std::get<2>(k)) +
                           "|" + std::to_string(a.first) + "|" + std::to_string(a.second));
      if (q.shape == 2)
        expected.push_back(ts(std::get<1>(k)) + "|" + ts(std::get<2>(k)) + "|" +
                           std::to_string(a.first));
    }
    std::sort(expected.begin(), expected.end());
    ASSERT_GT(agg.size(), 3u);
    ASSERT_LT(agg.size(), rows.size() / 2) << "sessions should merge rows";

    auto once = f.catalog.plan(q.sql, false);
    ASSERT_TRUE(once) << q.sql << ": " << once.error().message;
    auto r = run_query(*once.value(), {{f.t.rel->id, &f.t.rows}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(as_text(*once.value(), r.value()), expected) << q.sql;

    auto p = f.catalog.plan(q.sql, true);
    ASSERT_TRUE(p) << q.sql << ": " << p.error().message;
    std::mt19937 rng(11);
    for (int round = 0; round < 3; ++round) {
      exec_env env;
      env.streaming = true;
      env.new_table = [] { return make_memory_table(); };
      auto flow = dataflow::build(*p.value(), env);
      ASSERT_TRUE(flow) << flow.error().message;
      collector view(env, static_cast<uint32_t>(p.value()->columns.size()));
      flow.value()->add_output(&view, 0);
      flow.value()->on_create();
      feed_randomly(f, *flow.value(), rng);
      row_batch result = view.rows();
      schema_types out_types;
      for (const auto& c : p.value()->columns) out_types.push_back(c.type);
      consolidate(result, out_types);
      for (size_t i = 0; i < result.size(); ++i) ASSERT_GT(result.weight(i), 0) << q.sql;
      EXPECT_EQ(as_text(*p.value(), result), expected) << q.sql << " (round " << round << ")";
    }
  }
}

// RANK() and DENSE_RANK() with a rank filter (a Top-N that keeps ties),
// one-off and maintained, against ranks counted by hand over t (v has ties).
TEST(Exec, RankAndDenseRankKeepTies) {
  fixture f;
  for (bool dense : {false, true}) {
    std::string sql = std::string("SELECT g, k, r FROM (SELECT g, k, ") +
                      (dense ? "DENSE_RANK()" : "RANK()") +
                      " OVER (PARTITION BY g ORDER BY v) AS r FROM t) s WHERE r <= 3";
    const row_batch& rows = f.t.rows;
    std::vector<std::string> expected;
    for (size_t i = 0; i < rows.size(); ++i) {
      const datum* a = rows.row(i);
      std::set<int64_t> below;
      int64_t n = 0;
      for (size_t j = 0; j < rows.size(); ++j) {
        const datum* b = rows.row(j);
        if (a[1].is_null() != b[1].is_null() ||
            (!a[1].is_null() && a[1].as_text() != b[1].as_text()))
          continue;
        if (b[2].as_int() < a[2].as_int()) {
          ++n;
          below.insert(b[2].as_int());
        }
      }
      int64_t rank = 1 + (dense ? static_cast<int64_t>(below.size()) : n);
      if (rank <= 3)
        expected.push_back((a[1].is_null() ? std::string("NULL") : std::string(a[1].as_text())) +
                           "|" + std::to_string(a[0].as_int()) + "|" + std::to_string(rank));
    }
    std::sort(expected.begin(), expected.end());
    auto once = f.catalog.plan(sql, false);
    ASSERT_TRUE(once) << sql << ": " << once.error().message;
    auto r = run_query(*once.value(), {{f.t.rel->id, &f.t.rows}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(as_text(*once.value(), r.value()), expected) << sql;
    auto p = f.catalog.plan(sql, true);
    ASSERT_TRUE(p) << sql << ": " << p.error().message;
    EXPECT_NE(explain(*p.value()).find(dense ? "TopN dense_rank" : "TopN rank"), std::string::npos);
    std::mt19937 rng(5);
    exec_env env;
    env.streaming = true;
    env.new_table = [] { return make_memory_table(); };
    auto flow = dataflow::build(*p.value(), env);
    ASSERT_TRUE(flow) << flow.error().message;
    collector view(env, 3);
    flow.value()->add_output(&view, 0);
    feed_randomly(f, *flow.value(), rng);
    row_batch result = view.rows();
    consolidate(result, {type_id::text, type_id::int32, type_id::int64});
    EXPECT_EQ(as_text(*p.value(), result), expected) << sql;
  }
}

// SESSION over a source with a watermark: an out-of-order row (not behind
// the watermark) bridges two sessions and their rows are retracted and
// inserted again with the merged window; EMIT ON WINDOW CLOSE gives each
// session once, when the watermark passes its end; closed sessions leave
// no state, and a row behind the watermark is late.
TEST(Exec, SessionWindowsMergeAndCloseByWatermark) {
  testing::test_catalog catalog;
  const auto& s = catalog.add("s", relation_kind::source,
                              {{"k", type_id::int32}, {"ts", type_id::timestamp}}, {}, {1});
  const char* rows_sql =
      "SELECT k, window_start, window_end FROM SESSION(TABLE s PARTITION BY k, DESCRIPTOR(ts), "
      "INTERVAL '5' SECOND)";
  const char* eowc_sql =
      "SELECT k, window_start, window_end, count(*) FROM SESSION(TABLE s PARTITION BY k, "
      "DESCRIPTOR(ts), INTERVAL '5' SECOND) GROUP BY k, window_start, window_end";
  auto p = catalog.plan(rows_sql, true);
  ASSERT_TRUE(p) << p.error().message;
  auto pe = catalog.plan(eowc_sql, true);
  ASSERT_TRUE(pe) << pe.error().message;
  ASSERT_TRUE(set_emit_on_window_close(*pe.value()));
  exec_env env, env_e;
  env.streaming = env_e.streaming = true;
  env.new_table = env_e.new_table = [] { return make_memory_table(); };
  auto flow = dataflow::build(*p.value(), env);
  ASSERT_TRUE(flow) << flow.error().message;
  auto flow_e = dataflow::build(*pe.value(), env_e);
  ASSERT_TRUE(flow_e) << flow_e.error().message;
  collector view(env, 3), closed(env_e, 4);
  flow.value()->add_output(&view, 0);
  flow_e.value()->add_output(&closed, 0);
  constexpr int64_t second = 1'000'000;
  int64_t top = 0;
  auto push = [&](int32_t k, int64_t ts_seconds) {
    row_batch b(2);
    datum* r = b.add(1);
    r[0] = datum::of_int(k);
    r[1] = datum::of_int(ts_seconds * second);
    top = std::max(top, ts_seconds);
    for (auto* fl : {flow.value().get(), flow_e.value().get()}) {
      fl->push(s.id, b);
      fl->watermark(s.id, 1, (top - 10) * second);  // 10 s of disorder allowed
    }
  };
  auto now = [&]() {
    row_batch r = view.rows();
    consolidate(r, {type_id::int32, type_id::timestamp, type_id::timestamp});
    return as_text(*p.value(), r);
  };
  push(1, 0);
  push(1, 3);
  push(1, 12);
  push(2, 4);
  EXPECT_EQ(now(), (std::vector<std::string>{
                       "1|1970-01-01 00:00:00|1970-01-01 00:00:08",
                       "1|1970-01-01 00:00:00|1970-01-01 00:00:08",
                       "1|1970-01-01 00:00:12|1970-01-01 00:00:17",
                       "2|1970-01-01 00:00:04|1970-01-01 00:00:09",
                   }));
  size_t changes = view.rows().size();
  push(1, 7);  // 4 s after 3 and 5 s before 12: one session from 0 to 17
  EXPECT_EQ(now(), (std::vector<std::string>{
                       "1|1970-01-01 00:00:00|1970-01-01 00:00:17",
                       "1|1970-01-01 00:00:00|1970-01-01 00:00:17",
                       "1|1970-01-01 00:00:00|1970-01-01 00:00:17",
                       "1|1970-01-01 00:00:00|1970-01-01 00:00:17",
                       "2|1970-01-01 00:00:04|1970-01-01 00:00:09",
                   }));
  // Three rows retracted, four inserted; k = 2 untouched.
  EXPECT_EQ(view.rows().size() - changes, 7u);
  EXPECT_EQ(closed.rows().size(), 0u);  // nothing has closed yet (watermark 2 s)
  push(3, 20);                          // watermark 10 s: k = 2's session [4, 9) closes
  EXPECT_EQ(as_text(*pe.value(), closed.rows()),
            (std::vector<std::string>{"2|1970-01-01 00:00:04|1970-01-01 00:00:09|1"}));
  push(1, 9);  // late: behind the watermark (10 s)
  EXPECT_EQ(env.late_rows, 1u);
  EXPECT_EQ(env_e.late_rows, 1u);
  push(3, 40);  // watermark 30 s: everything closes
  EXPECT_EQ(as_text(*pe.value(), closed.rows()),
            (std::vector<std::string>{"1|1970-01-01 00:00:00|1970-01-01 00:00:17|4",
                                      "2|1970-01-01 00:00:04|1970-01-01 00:00:09|1",
                                      "3|1970-01-01 00:00:20|1970-01-01 00:00:25|1"}));
  EXPECT_GT(flow.value()->state_bytes(), 0);  // k = 3's session at 40 s is open
  push(3, 100);
  // Only the session of the row at 100 s is left.
  EXPECT_EQ(flow.value()->state_bytes(), [&] {
    exec_env e;
    e.streaming = true;
    e.new_table = [] { return make_memory_table(); };
    auto fresh = dataflow::build(*p.value(), e);
    row_batch b(2);
    datum* r = b.add(1);
    r[0] = datum::of_int(3);
    r[1] = datum::of_int(100 * second);
    fresh.value()->push(s.id, b);
    return fresh.value()->state_bytes();
  }());
}

// An aggregate over SESSION: when a session grows, its rows move to the new
// window inside the dataflow, but what the view emits is the changed
// session's row alone — its old row retracted, its new row inserted — and
// a row that bridges two sessions retracts both and inserts the merged one.
TEST(Exec, SessionAggregatesEmitOnlyTheChangedSession) {
  testing::test_catalog catalog;
  const auto& s =
      catalog.add("s", relation_kind::table, {{"k", type_id::int32}, {"ts", type_id::timestamp}});
  auto p = catalog.plan(
      "SELECT k, window_start, window_end, count(*) FROM SESSION(TABLE s PARTITION BY k, "
      "DESCRIPTOR(ts), INTERVAL '5' SECOND) GROUP BY k, window_start, window_end",
      true);
  ASSERT_TRUE(p) << p.error().message;
  exec_env env;
  env.streaming = true;
  env.new_table = [] { return make_memory_table(); };
  auto flow = dataflow::build(*p.value(), env);
  ASSERT_TRUE(flow) << flow.error().message;
  collector view(env, 4);
  flow.value()->add_output(&view, 0);
  constexpr int64_t second = 1'000'000;
  auto push = [&](int32_t k, int64_t ts_seconds) {
    row_batch b(2);
    datum* r = b.add(1);
    r[0] = datum::of_int(k);
    r[1] = datum::of_int(ts_seconds * second);
    size_t before = view.rows().size();
    flow.value()->push(s.id, b);
    std::vector<std::string> changes;
    for (size_t i = before; i < view.rows().size(); ++i) {
      row_batch one(4);
      one.add(view.rows().row(i), 1);
      changes.push_back((view.rows().weight(i) > 0 ? "+" : "-") + as_text(*p.value(), one)[0]);
    }
    std::sort(changes.begin(), changes.end());
    return changes;
  };
  for (int t = 0; t < 20; t += 2) push(1, t);  // one session of 10 rows, 0 s to 23 s
  push(2, 0);
  EXPECT_EQ(push(1, 21),
            (std::vector<std::string>{"+1|1970-01-01 00:00:00|1970-01-01 00:00:26|11",
                                      "-1|1970-01-01 00:00:00|1970-01-01 00:00:23|10"}));
  EXPECT_EQ(push(1, 30),
            (std::vector<std::string>{"+1|1970-01-01 00:00:30|1970-01-01 00:00:35|1"}));
  EXPECT_EQ(push(1, 25),  // 4 s after 21, 5 s before 30: one session
            (std::vector<std::string>{"+1|1970-01-01 00:00:00|1970-01-01 00:00:35|13",
                                      "-1|1970-01-01 00:00:00|1970-01-01 00:00:26|11",
                                      "-1|1970-01-01 00:00:30|1970-01-01 00:00:35|1"}));
}

// Windows over a source with a watermark: with EMIT ON WINDOW CLOSE a
// window's one final row comes when the watermark passes its end, never
// before, and the window's state goes with it; late rows are dropped and
// counted.
TEST(Exec, EmitOnWindowCloseEmitsFinalRowsAndDropsTheirState) {
  testing::test_catalog catalog;
  const auto& s = catalog.add("s", relation_kind::source,
                              {{"k", type_id::int32}, {"ts", type_id::timestamp}}, {}, {1});
  auto p = catalog.plan(
      "SELECT window_start, count(*), max(k) FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY "
      "window_start",
      true);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE(set_emit_on_window_close(*p.value()));
  exec_env env;
  env.streaming = true;
  env.new_table = [] { return make_memory_table(); };
  auto flow = dataflow::build(*p.value(), env);
  ASSERT_TRUE(flow) << flow.error().message;
  collector view(env, 3);
  flow.value()->add_output(&view, 0);
  flow.value()->on_create();
  constexpr int64_t second = 1'000'000;
  auto push = [&](int32_t k, int64_t ts_seconds) {
    row_batch b(2);
    datum* r = b.add(1);
    r[0] = datum::of_int(k);
    r[1] = datum::of_int(ts_seconds * second);
    flow.value()->push(s.id, b);
  };
  push(1, 1);
  push(2, 5);
  push(3, 12);
  EXPECT_EQ(view.rows().size(), 0u);  // nothing is final yet
  EXPECT_GT(flow.value()->state_bytes(), 0);
  flow.value()->watermark(s.id, 1, 10 * second);  // [0s, 10s) closes
  auto got = as_text(*p.value(), view.rows());
  EXPECT_EQ(got, (std::vector<std::string>{"1970-01-01 00:00:00|2|2"}));
  push(4, 3);  // late: its window has closed
  EXPECT_EQ(env.late_rows, 1u);
  flow.value()->watermark(s.id, 1, 25 * second);
  got = as_text(*p.value(), view.rows());
  EXPECT_EQ(got, (std::vector<std::string>{"1970-01-01 00:00:00|2|2", "1970-01-01 00:00:10|1|3"}));
  EXPECT_EQ(flow.value()->state_bytes(), 0);  // every window closed: no state left
}

// Interval joins over two sources with watermarks, fed rows out of order
// (but never behind the watermark) with deletes mixed in: the view equals
// the batch query over the rows that remain, while the state the join
// keeps stays a small part of what it keeps without watermarks. A row
// behind its side's watermark is late: dropped and counted.
TEST(Exec, IntervalJoinsDropStateBehindTheWatermarks) {
  const char* queries[] = {
      "SELECT a.id, a.k, b.id FROM a JOIN b ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + "
      "INTERVAL '2' SECOND",
      "SELECT a.id, b.id FROM a LEFT JOIN b ON a.k = b.k AND b.ts >= a.ts - INTERVAL '1' SECOND "
      "AND b.ts < a.ts + INTERVAL '1' SECOND",
      "SELECT a.id, b.id FROM a FULL JOIN b ON a.k = b.k AND a.ts <= b.ts AND b.ts <= a.ts + "
      "INTERVAL '3' SECOND",
      "SELECT x.id, y.id, x.window_start FROM TUMBLE(a, ts, INTERVAL '2' SECOND) x JOIN TUMBLE(b, "
      "ts, INTERVAL '2' SECOND) y ON x.k = y.k AND x.window_start = y.window_start",
  };
  constexpr int64_t second = 1'000'000;
  for (const char* sql : queries) {
    int64_t peak[2] = {0, 0};
    for (bool with_watermarks : {false, true}) {
      testing::test_catalog catalog;
      std::vector<int> wm;
      if (with_watermarks) wm = {2};
      const auto& a = catalog.add(
          "a", relation_kind::source,
          {{"id", type_id::int32}, {"k", type_id::int32}, {"ts", type_id::timestamp}}, {}, wm);
      const auto& b = catalog.add(
          "b", relation_kind::source,
          {{"id", type_id::int32}, {"k", type_id::int32}, {"ts", type_id::timestamp}}, {}, wm);
      auto p = catalog.plan(sql, true);
      ASSERT_TRUE(p) << sql << ": " << p.error().message;
      exec_env env;
      env.streaming = true;
      env.new_table = [] { return make_memory_table(); };
      auto flow = dataflow::build(*p.value(), env);
      ASSERT_TRUE(flow) << flow.error().message;
      collector view(env, static_cast<uint32_t>(p.value()->columns.size()));
      flow.value()->add_output(&view, 0);
      flow.value()->on_create();
      std::mt19937 rng(7);
      struct live_row {
        int32_t id, k;
        int64_t ts;
      };
      std::vector<live_row> live[2];
      int64_t top[2] = {0, 0};
      int32_t next_id = 1;
      for (int step = 0; step < 600; ++step) {
        int s = static_cast<int>(rng() % 2);
        const relation_info& rel = s == 0 ? a : b;
        row_batch batch(3);
        for (int n = 1 + static_cast<int>(rng() % 3); n > 0; --n) {
          // Up to 2 s out of order; the watermark trails the newest by 2 s.
          int64_t ts = step * second / 10 - static_cast<int64_t>(rng() % 20) * second / 10;
          live_row r{next_id++, static_cast<int32_t>(rng() % 4), std::max<int64_t>(ts, 0)};
          datum* d = batch.add(1);
          d[0] = datum::of_int(r.id);
          d[1] = datum::of_int(r.k);
          d[2] = datum::of_int(r.ts);
          live[s].push_back(r);
          top[s] = std::max(top[s], r.ts);
        }
        if (rng() % 4 == 0) {  // delete a row that is not behind the watermark
          for (size_t i = live[s].size(); i-- > 0;) {
            if (live[s][i].ts < top[s] - 2 * second) continue;
            datum* d = batch.add(-1);
            d[0] = datum::of_int(live[s][i].id);
            d[1] = datum::of_int(live[s][i].k);
            d[2] = datum::of_int(live[s][i].ts);
            live[s].erase(live[s].begin() + static_cast<std::ptrdiff_t>(i));
            break;
          }
        }
        flow.value()->push(rel.id, batch);
        if (with_watermarks) flow.value()->watermark(rel.id, 2, top[s] - 2 * second);
        peak[with_watermarks] = std::max(peak[with_watermarks], flow.value()->state_bytes());
      }
      EXPECT_EQ(env.late_rows, 0u) << sql;
      // The batch query over the rows that remain.
      row_batch rows[2] = {row_batch(3), row_batch(3)};
      for (int s = 0; s < 2; ++s)
        for (const auto& r : live[s]) {
          datum* d = rows[s].add(1);
          d[0] = datum::of_int(r.id);
          d[1] = datum::of_int(r.k);
          d[2] = datum::of_int(r.ts);
        }
      auto want = run_query(*p.value(), {{a.id, &rows[0]}, {b.id, &rows[1]}});
      ASSERT_TRUE(want) << want.error().message;
      row_batch got = view.rows();
      schema_types out_types;
      for (const auto& c : p.value()->columns) out_types.push_back(c.type);
      consolidate(got, out_types);
      EXPECT_GT(want.value().size(), 50u) << sql;
      EXPECT_EQ(as_text(*p.value(), got), as_text(*p.value(), want.value()))
          << sql << (with_watermarks ? " (watermarks)" : "");
      if (with_watermarks) {
        // A row behind the watermark is late: no output, counted.
        size_t before = view.rows().size();
        row_batch late(3);
        datum* d = late.add(1);
        d[0] = datum::of_int(next_id);
        d[1] = datum::of_int(1);
        d[2] = datum::of_int(0);
        flow.value()->push(a.id, late);
        EXPECT_EQ(env.late_rows, 1u) << sql;
        EXPECT_EQ(view.rows().size(), before) << sql;
        // Both watermarks past every row: nothing can match any more.
        flow.value()->watermark(a.id, 2, 3600 * second);
        flow.value()->watermark(b.id, 2, 3600 * second);
        EXPECT_EQ(flow.value()->state_bytes(), 0) << sql;
      }
    }
    EXPECT_LT(peak[1] * 5, peak[0])
        << sql << ": with watermarks " << peak[1] << " bytes, without " << peak[0];
  }
}

// A join passes a watermark downstream (plan/time_bounds.h): windows with
// EMIT ON WINDOW CLOSE over an interval join (inner and LEFT, on either
// side's time) and over a join of two windowed aggregates on equal
// window_start (Nexmark q8's shape) close as both inputs' watermarks pass
// them, never too early: fed rows out of order (never behind a watermark),
// each closed window's one row equals the batch query's, none is late, and
// once both watermarks pass every row no state is left anywhere.
TEST(Exec, WindowsOverIntervalJoinsCloseByTheJoinsWatermark) {
  struct shape {
    const char* sql;
    std::vector<int> join_watermarks;  // the join's output columns with a watermark
  };
  const shape shapes[] = {
      {"WITH j AS (SELECT a.id AS aid, b.id AS bid, b.ts AS ts FROM a JOIN b ON a.k = b.k AND "
       "b.ts BETWEEN a.ts AND a.ts + INTERVAL '2' SECOND) SELECT window_start, count(*), max(aid), "
       "min(bid) FROM TUMBLE(j, ts, INTERVAL '3' SECOND) GROUP BY window_start",
       {2, 5}},
      {"WITH j AS (SELECT a.id AS aid, b.id AS bid, a.ts AS ts FROM a JOIN b ON a.k = b.k AND "
       "b.ts BETWEEN a.ts AND a.ts + INTERVAL '2' SECOND) SELECT window_start, count(*), max(aid), "
       "min(bid) FROM TUMBLE(j, ts, INTERVAL '3' SECOND) GROUP BY window_start",
       {2, 5}},
      {"WITH j AS (SELECT a.id AS aid, b.id AS bid, a.ts AS ts FROM a LEFT JOIN b ON a.k = b.k "
       "AND b.ts >= a.ts - INTERVAL '1' SECOND AND b.ts < a.ts + INTERVAL '1' SECOND) SELECT "
       "window_start, count(*), count(bid), max(aid) FROM TUMBLE(j, ts, INTERVAL '3' SECOND) "
       "GROUP BY window_start",
       {2, 5}},
      {"WITH x AS (SELECT k, window_start FROM TUMBLE(a, ts, INTERVAL '2' SECOND) GROUP BY k, "
       "window_start), y AS (SELECT k, window_start, count(*) AS n FROM TUMBLE(b, ts, INTERVAL "
       "'2' SECOND) GROUP BY k, window_start) SELECT x.window_start, count(*), sum(y.n) FROM x "
       "JOIN y ON x.k = y.k AND x.window_start = y.window_start GROUP BY x.window_start",
       {1, 3}},
  };
  constexpr int64_t second = 1'000'000;
  for (const auto& sh : shapes) {
    const char* sql = sh.sql;
    testing::test_catalog catalog;
    const auto& a = catalog.add(
        "a", relation_kind::source,
        {{"id", type_id::int32}, {"k", type_id::int32}, {"ts", type_id::timestamp}}, {}, {2});
    const auto& b = catalog.add(
        "b", relation_kind::source,
        {{"id", type_id::int32}, {"k", type_id::int32}, {"ts", type_id::timestamp}}, {}, {2});
    auto batch_plan = catalog.plan(sql, false);
    ASSERT_TRUE(batch_plan) << sql << ": " << batch_plan.error().message;
    auto p = catalog.plan(sql, true);
    ASSERT_TRUE(p) << sql << ": " << p.error().message;
    const plan_node* j = p.value().get();
    while (j && j->kind != plan_kind::join) j = j->inputs.empty() ? nullptr : j->inputs[0].get();
    ASSERT_NE(j, nullptr) << sql;
    EXPECT_EQ(j->watermarks, sh.join_watermarks) << sql;
    ASSERT_TRUE(set_emit_on_window_close(*p.value())) << sql;
    exec_env env;
    env.streaming = true;
    env.new_table = [] { return make_memory_table(); };
    auto flow = dataflow::build(*p.value(), env);
    ASSERT_TRUE(flow) << sql << ": " << flow.error().message;
    const auto width = static_cast<uint32_t>(p.value()->columns.size());
    collector view(env, width);
    flow.value()->add_output(&view, 0);
    flow.value()->on_create();
    std::mt19937 rng(11);
    row_batch all[2] = {row_batch(3), row_batch(3)};
    int64_t top[2] = {0, 0};
    int32_t next_id = 1;
    size_t closed_midway = 0;
    int64_t peak = 0;
    for (int step = 0; step < 600; ++step) {
      int s = static_cast<int>(rng() % 2);
      const relation_info& rel = s == 0 ? a : b;
      row_batch batch(3);
      for (int n = 1 + static_cast<int>(rng() % 3); n > 0; --n) {
        // Up to 2 s out of order; the watermark trails the newest by 2 s.
        int64_t ts = std::max<int64_t>(
            step * second / 10 - static_cast<int64_t>(rng() % 20) * second / 10, 0);
        const auto k = static_cast<int32_t>(rng() % 3);
        for (row_batch* into : {&batch, &all[s]}) {
          datum* d = into->add(1);
          d[0] = datum::of_int(next_id);
          d[1] = datum::of_int(k);
          d[2] = datum::of_int(ts);
        }
        ++next_id;
        top[s] = std::max(top[s], ts);
      }
      flow.value()->push(rel.id, batch);
      flow.value()->watermark(rel.id, 2, top[s] - 2 * second);
      peak = std::max(peak, flow.value()->state_bytes());
      if (step == 300) closed_midway = view.rows().size();
    }
    // Windows closed while rows still came (60 s of event time by then).
    EXPECT_GT(closed_midway, 5u) << sql;
    flow.value()->watermark(a.id, 2, 3600 * second);
    flow.value()->watermark(b.id, 2, 3600 * second);
    EXPECT_EQ(env.late_rows, 0u) << sql;
    // Every window emitted once, final: the batch query's rows.
    for (size_t i = 0; i < view.rows().size(); ++i) EXPECT_EQ(view.rows().weight(i), 1) << sql;
    auto want = run_query(*batch_plan.value(), {{a.id, &all[0]}, {b.id, &all[1]}});
    ASSERT_TRUE(want) << want.error().message;
    EXPECT_GE(want.value().size(), 15u) << sql;
    row_batch got = view.rows();
    schema_types out_types;
    for (const auto& c : p.value()->columns) out_types.push_back(c.type);
    consolidate(got, out_types);
    EXPECT_EQ(as_text(*p.value(), got), as_text(*p.value(), want.value())) << sql;
    // Nothing left in the join or the windows.
    EXPECT_GT(peak, 0) << sql;
    EXPECT_EQ(flow.value()->state_bytes(), 0) << sql;
  }
}

// A join stores only the columns some operator above it reads
// (plan/prune.cc): the others are NULL in its state. The results are the
// same: every join of query_cases runs so against PostgreSQL's answers.
TEST(Exec, JoinsLeaveOutTheColumnsNothingAboveReads) {
  fixture f;
  auto join_of = [](const plan_node* n) {
    while (n && n->kind != plan_kind::join) n = n->inputs.empty() ? nullptr : n->inputs[0].get();
    return n;
  };
  auto state_after_load = [&](const plan_node& plan) {
    exec_env env;
    env.streaming = true;
    env.new_table = [] { return make_memory_table(); };
    auto flow = dataflow::build(plan, env);
    EXPECT_TRUE(flow);
    flow.value()->push(f.t.rel->id, f.t.rows);
    flow.value()->push(f.u.rel->id, f.u.rows);
    return flow.value()->state_bytes();
  };
  auto narrow = f.catalog.plan("SELECT t.k, u.w FROM t JOIN u ON t.g = u.g", true);
  ASSERT_TRUE(narrow) << narrow.error().message;
  const plan_node* j = join_of(narrow.value().get());
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->unread, (std::vector<int>{2, 3, 4, 5}));  // t.v, t.x, t.ts, u.id
  // Every column read: nothing left out, and more state.
  auto wide =
      f.catalog.plan("SELECT t.k, u.w, t.v, t.x, t.ts, u.id FROM t JOIN u ON t.g = u.g", true);
  ASSERT_TRUE(wide) << wide.error().message;
  EXPECT_TRUE(join_of(wide.value().get())->unread.empty());
  EXPECT_LT(state_after_load(*narrow.value()), state_after_load(*wide.value()));
  // ROW_NUMBER breaks ties by whole rows: a join right under it keeps all.
  auto ranked = f.catalog.plan(
      "SELECT k FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY t.g ORDER BY t.v) AS rn FROM t "
      "JOIN u ON t.g = u.g) s WHERE rn <= 1",
      true);
  ASSERT_TRUE(ranked) << ranked.error().message;
  const plan_node* n = ranked.value().get();
  while (n && n->kind != plan_kind::row_number)
    n = n->inputs.empty() ? nullptr : n->inputs[0].get();
  ASSERT_NE(n, nullptr);
  ASSERT_NE(join_of(n), nullptr);
  EXPECT_TRUE(join_of(n)->unread.empty());
}

// A temporal join looks each new left row up in the right side as it is
// then; later changes on the right do not touch earlier output.
TEST(Exec, TemporalJoinLooksUpTheTableAsItIsNow) {
  testing::test_catalog catalog;
  const auto& orders = catalog.add("orders", relation_kind::source,
                                   {{"id", type_id::int32}, {"cust", type_id::int32}});
  const auto& custs = catalog.add("custs", relation_kind::table,
                                  {{"id", type_id::int32}, {"name", type_id::text}}, {0});
  auto p = catalog.plan(
      "SELECT o.id, c.name FROM orders o LEFT JOIN custs FOR SYSTEM_TIME AS OF PROCTIME() c ON "
      "o.cust = c.id",
      true);
  ASSERT_TRUE(p) << p.error().message;
  exec_env env;
  env.streaming = true;
  env.new_table = [] { return make_memory_table(); };
  auto flow = dataflow::build(*p.value(), env);
  ASSERT_TRUE(flow) << flow.error().message;
  collector view(env, 2);
  flow.value()->add_output(&view, 0);
  auto order = [&](int32_t id, int32_t cust) {
    row_batch b(2);
    datum* r = b.add(1);
    r[0] = datum::of_int(id);
    r[1] = datum::of_int(cust);
    flow.value()->push(orders.id, b);
  };
  auto customer = [&](int32_t id, const char* name, int64_t w) {
    row_batch b(2);
    datum* r = b.add(w);
    r[0] = datum::of_int(id);
    r[1] = datum::of_text(name);
    flow.value()->push(custs.id, b);
  };
  order(1, 7);  // no customer 7 yet
  customer(7, "ann", 1);
  order(2, 7);
  customer(7, "ann", -1);  // updated to "bob"
  customer(7, "bob", 1);
  order(3, 7);
  row_batch result = view.rows();
  consolidate(result, {type_id::int32, type_id::text});
  EXPECT_EQ(as_text(*p.value(), result), (std::vector<std::string>{"1|NULL", "2|ann", "3|bob"}));

  // A left side that can retract cannot be joined this way.
  auto bad = catalog.plan(
      "SELECT c.id FROM custs c JOIN custs FOR SYSTEM_TIME AS OF PROCTIME() d ON c.id = d.id",
      true);
  ASSERT_TRUE(bad) << bad.error().message;
  auto built = dataflow::build(*bad.value(), env);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code, errc::feature_not_supported);
}

// A view with now() in its WHERE: rows enter and leave as processing time
// passes, and at every moment the view equals the one-off query run with
// now() at that moment.
TEST(Exec, TemporalFiltersFollowTheClock) {
  fixture f;
  const char* where[] = {
      "ts > now() - INTERVAL '10' MINUTE",
      "ts >= now() - INTERVAL '10' MINUTE AND ts < now() + INTERVAL '5' MINUTE",
      "ts + INTERVAL '1' MINUTE <= now() AND v > 20",
  };
  auto at = [](int minute, int second) {
    return *dt::parse_timestamp(fmt::format("2024-03-15 10:{:02}:{:02}", minute, second), false);
  };
  for (const char* w : where) {
    std::string sql = std::string("SELECT k, g, ts FROM t WHERE ") + w;
    auto view_plan = f.catalog.plan(sql, true);
    ASSERT_TRUE(view_plan) << sql << ": " << view_plan.error().message;
    ASSERT_NE(explain(*view_plan.value()).find("TemporalFilter"), std::string::npos)
        << explain(*view_plan.value());
    auto once_plan = f.catalog.plan(sql, false);
    ASSERT_TRUE(once_plan) << once_plan.error().message;
    exec_env env;
    env.streaming = true;
    env.now = at(5, 0);
    env.new_table = [] { return make_memory_table(); };
    auto flow = dataflow::build(*view_plan.value(), env);
    ASSERT_TRUE(flow) << flow.error().message;
    collector view(env, 3);
    flow.value()->add_output(&view, 0);
    flow.value()->push(f.t.rel->id, f.t.rows);
    for (int minute = 5; minute <= 75; minute += 7) {
      int64_t now = at(0, 0) + int64_t{minute} * 60'000'000 + 17'000'000;
      flow.value()->tick(now);
      row_batch maintained = view.rows();
      consolidate(maintained, {type_id::int32, type_id::text, type_id::timestamp});
      auto once = run_query(*once_plan.value(), {{f.t.rel->id, &f.t.rows}}, now);
      ASSERT_TRUE(once) << once.error().message;
      EXPECT_EQ(as_text(*view_plan.value(), maintained), as_text(*once_plan.value(), once.value()))
          << sql << " at minute " << minute;
    }
    EXPECT_EQ(flow.value()->state_bytes(), 0) << sql;  // every row has left or never will enter
  }
}

TEST(Exec, OneOffQueryFailsOnTheFirstBadRow) {
  fixture f;
  auto p = f.catalog.plan("SELECT k / (v - v) FROM t", false);
  ASSERT_TRUE(p) << p.error().message;
  auto r = run_query(*p.value(), {{f.t.rel->id, &f.t.rows}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::division_by_zero);
}

}  // namespace
}  // namespace runnel::sql
