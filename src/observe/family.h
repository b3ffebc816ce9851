// A metric family: one name, one help text, one type, fixed label names,
// and the series that exist for label values (Prometheus' data model).
//
//   auto& requests = observe::metrics().counter_family(
//       "runnel_requests_total", "Kafka requests handled", {"api"});
//   auto& produce = requests.with({"Produce"});   // once; keep the reference
//   produce.inc();                               // the hot path: no lookup
//
// Labels stay bounded in two ways. with() is for values from a fixed set
// (API names, error codes): the series lives as long as the process.
// scoped_with() is for values that come and go (topics, tasks): the series
// is exported while a handle to it exists and disappears with the last one.
// Either way a family holds at most `max_series` series; past that, new
// label values all share one series labelled "_overflow" (and a warning is
// logged once), so a bug or an attacker creating names cannot grow the
// scrape without bound.
//
// Thread-safety: with() and scoped_with() lock the family (call them at
// set-up, not per event); the series they return are lock-free.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "observe/metric.h"

namespace runnel::observe {

enum class metric_type { counter, gauge, histogram };
const char* type_name(metric_type t);

using label_pairs = std::vector<std::pair<std::string, std::string>>;

// What a scrape sees of one family: its samples, ready for exposition.
struct sample {
  std::string suffix;  // "", or "_bucket", "_sum", "_count" for histograms
  label_pairs labels;
  double value = 0;
};
struct family_snapshot {
  std::string name;
  std::string help;
  metric_type type = metric_type::gauge;
  std::vector<sample> samples;
};

// Appends a histogram's _bucket (cumulative, with le), _sum and _count samples.
void append_histogram(std::vector<sample>& out, const label_pairs& labels,
                      const std::vector<double>& bounds, const histogram::snapshot& s);

constexpr size_t default_max_series = 10000;

class family_base {
 public:
  family_base(std::string name, std::string help, metric_type type,
              std::vector<std::string> label_names, size_t max_series);
  virtual ~family_base() = default;
  family_base(const family_base&) = delete;
  family_base& operator=(const family_base&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  metric_type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  size_t max_series() const { return max_series_; }

  virtual family_snapshot collect() const = 0;

 protected:
  // Throws std::invalid_argument unless there is one value per label name.
  void check_arity(const std::vector<std::string>& values) const;
  label_pairs pairs(const std::vector<std::string>& values) const;
  // Logs (once per family) that label values were folded into "_overflow".
  void warn_overflow(const std::vector<std::string>& values) const;

 private:
  std::string name_;
  std::string help_;
  metric_type type_;
  std::vector<std::string> label_names_;
  size_t max_series_;
  mutable bool warned_ = false;  // under the subclass' mutex
};

template <class M>
class family;

// Owns a share of a series of a family; the series is exported while any
// handle to it exists. Move-only. Default-constructed: empty.
template <class M>
class scoped {
 public:
  scoped() = default;
  scoped(scoped&& o) noexcept { *this = std::move(o); }
  scoped& operator=(scoped&& o) noexcept {
    if (this != &o) {
      reset();
      fam_ = std::exchange(o.fam_, nullptr);
      key_ = std::move(o.key_);
      m_ = std::move(o.m_);
    }
    return *this;
  }
  scoped(const scoped&) = delete;
  scoped& operator=(const scoped&) = delete;
  ~scoped() { reset(); }

  M* operator->() const { return m_.get(); }
  M& operator*() const { return *m_; }
  explicit operator bool() const { return m_ != nullptr; }
  void reset();

 private:
  friend class family<M>;
  family<M>* fam_ = nullptr;
  std::vector<std::string> key_;
  std::shared_ptr<M> m_;
};

template <class M>
class family final : public family_base {
 public:
  // `bounds`: histograms only.
  family(std::string name, std::string help, metric_type type, std::vector<std::string> labels,
         size_t max_series, bucket_bounds bounds = nullptr);

  // The series for these label values (one per label name, in order),
  // created on first use and kept for the life of the process.
  M& with(const std::vector<std::string>& values);
  // A series kept while the returned handle (or another for the same
  // values) lives.
  scoped<M> scoped_with(const std::vector<std::string>& values);
  // Series currently exported.
  size_t size() const;
  // Histograms: the bucket bounds every series shares.
  const bucket_bounds& buckets() const { return bounds_; }

  family_snapshot collect() const override;

 private:
  friend class scoped<M>;
  struct entry {
    std::shared_ptr<M> m;
    size_t handles = 0;
    bool pinned = false;
  };
  using series_map = std::map<std::vector<std::string>, entry>;
  // Under mu_: the entry for `values`, or the overflow entry.
  typename series_map::iterator find_or_add(const std::vector<std::string>& values);
  void release(const std::vector<std::string>& key, const M* m);

  bucket_bounds bounds_;
  mutable std::mutex mu_;
  series_map series_;
};

template <class M>
void scoped<M>::reset() {
  if (fam_ && m_) fam_->release(key_, m_.get());
  fam_ = nullptr;
  m_.reset();
  key_.clear();
}

extern template class family<counter>;
extern template class family<gauge>;
extern template class family<histogram>;
extern template class scoped<counter>;
extern template class scoped<gauge>;
extern template class scoped<histogram>;

}  // namespace runnel::observe
