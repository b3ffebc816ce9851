// Page visits: the number of visits per page in the last 15 minutes,
// updated every minute — a count over hopping windows (15 min long,
// starting every minute) on the event time in each page view.
//
//   input  pageviews   (key: user id, value: PageView JSON)
//   output page-visits (key: page, value: PageVisits JSON)
//
// The input is keyed by user, so the stream is re-keyed by page; the count
// then goes through an internal repartition topic so that every view of a
// page lands in the same task.
#include <chrono>
#include <cstdint>
#include <string>

#include "example_args.h"
#include "runnel/stream.h"

struct PageView {
  std::string user;
  std::string page;
  int64_t ts = 0;  // event time, ms since the epoch
};
RUNNEL_JSON(PageView, user, page, ts)

struct PageVisits {
  std::string page;
  int64_t window_start = 0;  // ms, inclusive
  int64_t window_end = 0;    // ms, exclusive
  int64_t visits = 0;
};
RUNNEL_JSON(PageVisits, page, window_start, window_end, visits)

int main(int argc, char** argv) {
  int64_t grace_ms = 30000;
  auto args = examples::parse_args(
      argc, argv, "page-visits",
      "Visits per page in the last 15 minutes, every minute: pageviews -> page-visits.",
      [&](CLI::App& cli) {
        cli.add_option("--grace-ms", grace_ms, "how long a window stays open for late page views")
            ->capture_default_str();
      });
  if (!args) return args.exit_code;
  namespace rs = runnel::stream;
  using namespace std::chrono_literals;

  rs::consumed<std::string, PageView> from_views;
  from_views.timestamp_extractor = [](const std::string&, const PageView& v, int64_t) {
    return v.ts;
  };

  rs::builder b;
  b.stream<std::string, PageView>(args.input("pageviews"), from_views)
      .select_key([](const PageView& v) { return v.page; })
      .group_by_key()
      .windowed_by(rs::hopping_window(15min, 1min).grace(std::chrono::milliseconds(grace_ms)))
      .count()
      .to_stream()
      .map([](const rs::windowed<std::string>& w, int64_t visits) {
        return rs::kv(w.key, PageVisits{w.key, w.start, w.end, visits});
      })
      .to(args.output("page-visits"));
  return examples::run(b.build(), args);
}
