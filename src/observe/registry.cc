#include "observe/registry.h"

#include <algorithm>
#include <regex>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "observe/exposition.h"
#include "observe/process_metrics.h"

namespace runnel::observe {

struct collector_handle::entry {
  std::mutex mu;  // held while the collector runs
  collector_fn fn;
  bool alive = true;
};

void check_metric_name(std::string_view name) {
  static const std::regex re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  if (!std::regex_match(name.begin(), name.end(), re))
    throw std::invalid_argument("invalid metric name '" + std::string(name) + "'");
}

// ---- sample_sink ----

family_snapshot* sample_sink::family(std::string_view name, std::string_view help, metric_type type,
                                     const label_pairs& labels) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    check_metric_name(name);
    it = families_
             .emplace(std::string(name),
                      family_snapshot{std::string(name), std::string(help), type, {}})
             .first;
    seen_.emplace(std::string(name), std::set<label_pairs>{});
  }
  if (it->second.type != type) return nullptr;
  auto& seen = seen_.find(name)->second;
  if (!seen.insert(labels).second) return nullptr;
  return &it->second;
}

void sample_sink::counter(std::string_view name, std::string_view help, label_pairs labels,
                          double value) {
  if (auto* f = family(name, help, metric_type::counter, labels))
    f->samples.push_back({"", std::move(labels), value});
}

void sample_sink::gauge(std::string_view name, std::string_view help, label_pairs labels,
                        double value) {
  if (auto* f = family(name, help, metric_type::gauge, labels))
    f->samples.push_back({"", std::move(labels), value});
}

void sample_sink::histogram(std::string_view name, std::string_view help, label_pairs labels,
                            const std::vector<double>& bounds, const histogram::snapshot& s) {
  if (auto* f = family(name, help, metric_type::histogram, labels))
    append_histogram(f->samples, labels, bounds, s);
}

// ---- collector_handle ----

collector_handle::collector_handle(collector_handle&& o) noexcept
    : reg_(std::exchange(o.reg_, nullptr)), e_(std::move(o.e_)) {}

collector_handle& collector_handle::operator=(collector_handle&& o) noexcept {
  if (this != &o) {
    reset();
    reg_ = std::exchange(o.reg_, nullptr);
    e_ = std::move(o.e_);
  }
  return *this;
}

void collector_handle::reset() {
  if (!e_) return;
  {
    std::lock_guard lock(e_->mu);  // waits for a run in progress
    e_->alive = false;
    e_->fn = nullptr;
  }
  if (reg_) reg_->remove(e_.get());
  e_.reset();
  reg_ = nullptr;
}

// ---- registry ----

registry& registry::global() {
  // Leaked on purpose, with the process collector it always carries.
  static registry* r = [] {
    auto* g = new registry();
    new collector_handle(g->add_collector(process_collector()));
    return g;
  }();
  return *r;
}

family_base& registry::add(std::unique_ptr<family_base> f, const std::vector<double>* bounds) {
  check_metric_name(f->name());
  std::lock_guard lock(mu_);
  auto it = families_.find(f->name());
  if (it == families_.end()) return *families_.emplace(f->name(), std::move(f)).first->second;
  auto& old = *it->second;
  bool same = old.type() == f->type() && old.label_names() == f->label_names();
  if (same && bounds) {
    auto* h = dynamic_cast<observe::family<observe::histogram>*>(&old);
    same = h && h->buckets() && *h->buckets() == *bounds;
  }
  if (!same)
    throw std::logic_error("metric " + f->name() +
                           " is registered twice with different types, labels or buckets");
  return old;
}

family<observe::counter>& registry::counter_family(std::string name, std::string help,
                                                   std::vector<std::string> labels,
                                                   size_t max_series) {
  return static_cast<observe::family<observe::counter>&>(add(
      std::make_unique<observe::family<observe::counter>>(
          std::move(name), std::move(help), metric_type::counter, std::move(labels), max_series),
      nullptr));
}

family<observe::gauge>& registry::gauge_family(std::string name, std::string help,
                                               std::vector<std::string> labels, size_t max_series) {
  return static_cast<observe::family<observe::gauge>&>(
      add(std::make_unique<observe::family<observe::gauge>>(
              std::move(name), std::move(help), metric_type::gauge, std::move(labels), max_series),
          nullptr));
}

family<observe::histogram>& registry::histogram_family(std::string name, std::string help,
                                                       std::vector<std::string> labels,
                                                       bucket_bounds bounds, size_t max_series) {
  if (!bounds) bounds = latency_buckets();
  const auto* b = bounds.get();
  return static_cast<observe::family<observe::histogram>&>(
      add(std::make_unique<observe::family<observe::histogram>>(
              std::move(name), std::move(help), metric_type::histogram, std::move(labels),
              max_series, std::move(bounds)),
          b));
}

collector_handle registry::add_collector(collector_fn fn) {
  auto e = std::make_shared<collector_handle::entry>();
  e->fn = std::move(fn);
  std::lock_guard lock(mu_);
  collectors_.push_back(e);
  return collector_handle(this, std::move(e));
}

void registry::remove(const collector_handle::entry* e) {
  std::lock_guard lock(mu_);
  std::erase_if(collectors_, [e](const auto& c) { return c.get() == e; });
}

std::vector<family_snapshot> registry::collect() const {
  std::vector<const family_base*> fams;
  std::vector<std::shared_ptr<collector_handle::entry>> cols;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, f] : families_) fams.push_back(f.get());
    cols = collectors_;
  }
  // Families are never removed, so the pointers outlive the lock.
  std::vector<family_snapshot> out;
  for (const auto* f : fams) {
    auto s = f->collect();
    if (!s.samples.empty()) out.push_back(std::move(s));
  }
  sample_sink sink;
  for (const auto& c : cols) {
    std::lock_guard lock(c->mu);
    if (!c->alive || !c->fn) continue;
    try {
      c->fn(sink);
    } catch (const std::exception& e) {
      spdlog::warn("observe: a metrics collector failed: {}", e.what());
    }
  }
  for (auto& [name, f] : sink.families()) {
    if (f.samples.empty()) continue;
    auto clash = std::find_if(fams.begin(), fams.end(),
                              [&](const family_base* r) { return r->name() == name; });
    if (clash != fams.end()) {
      spdlog::warn("observe: collector samples of {} dropped: a registered metric has that name",
                   name);
      continue;
    }
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(),
            [](const family_snapshot& a, const family_snapshot& b) { return a.name < b.name; });
  return out;
}

std::string registry::expose() const {
  return render_text(collect());
}

}  // namespace runnel::observe
