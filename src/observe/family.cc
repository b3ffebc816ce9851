#include "observe/family.h"

#include <regex>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "observe/exposition.h"

namespace runnel::observe {

namespace {

const std::string overflow_value = "_overflow";

// Prometheus' rules: label names [a-zA-Z_][a-zA-Z0-9_]*, "__" reserved.
bool valid_label_name(const std::string& s) {
  static const std::regex re("[a-zA-Z_][a-zA-Z0-9_]*");
  return std::regex_match(s, re) && s.rfind("__", 0) != 0;
}

}  // namespace

const char* type_name(metric_type t) {
  switch (t) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::histogram:
      return "histogram";
  }
  return "untyped";
}

void append_histogram(std::vector<sample>& out, const label_pairs& labels,
                      const std::vector<double>& bounds, const histogram::snapshot& s) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += s.counts[i];
    label_pairs l = labels;
    l.emplace_back("le", i < bounds.size() ? format_value(bounds[i]) : "+Inf");
    out.push_back({"_bucket", std::move(l), double(cumulative)});
  }
  out.push_back({"_sum", labels, s.sum});
  out.push_back({"_count", labels, double(s.count)});
}

family_base::family_base(std::string name, std::string help, metric_type type,
                         std::vector<std::string> label_names, size_t max_series)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      max_series_(std::max<size_t>(1, max_series)) {
  for (const auto& l : label_names_) {
    if (!valid_label_name(l) || (type_ == metric_type::histogram && l == "le"))
      throw std::invalid_argument("metric " + name_ + ": invalid label name '" + l + "'");
  }
}

void family_base::check_arity(const std::vector<std::string>& values) const {
  if (values.size() != label_names_.size())
    throw std::invalid_argument(fmt::format("metric {}: {} label value(s) given for {} label(s)",
                                            name_, values.size(), label_names_.size()));
}

label_pairs family_base::pairs(const std::vector<std::string>& values) const {
  label_pairs out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) out.emplace_back(label_names_[i], values[i]);
  return out;
}

void family_base::warn_overflow(const std::vector<std::string>& values) const {
  if (warned_) return;
  warned_ = true;
  spdlog::warn(
      "observe: metric {} has {} series, its limit; new label values (first: {}) are counted "
      "under \"{}\"",
      name(), max_series_, fmt::join(values, ","), overflow_value);
}

template <class M>
family<M>::family(std::string name, std::string help, metric_type type,
                  std::vector<std::string> labels, size_t max_series, bucket_bounds bounds)
    : family_base(std::move(name), std::move(help), type, std::move(labels), max_series),
      bounds_(std::move(bounds)) {}

template <class M>
typename family<M>::series_map::iterator family<M>::find_or_add(
    const std::vector<std::string>& values) {
  check_arity(values);
  auto it = series_.find(values);
  if (it != series_.end()) return it;
  std::vector<std::string> key = values;
  if (series_.size() >= max_series()) {
    warn_overflow(values);
    key.assign(values.size(), overflow_value);
    it = series_.find(key);
    if (it != series_.end()) return it;
  }
  entry e;
  if constexpr (std::is_same_v<M, histogram>)
    e.m = std::make_shared<M>(bounds_);
  else
    e.m = std::make_shared<M>();
  return series_.emplace(std::move(key), std::move(e)).first;
}

template <class M>
M& family<M>::with(const std::vector<std::string>& values) {
  std::lock_guard lock(mu_);
  auto it = find_or_add(values);
  it->second.pinned = true;
  return *it->second.m;
}

template <class M>
scoped<M> family<M>::scoped_with(const std::vector<std::string>& values) {
  std::lock_guard lock(mu_);
  auto it = find_or_add(values);
  ++it->second.handles;
  scoped<M> s;
  s.fam_ = this;
  s.key_ = it->first;
  s.m_ = it->second.m;
  return s;
}

template <class M>
void family<M>::release(const std::vector<std::string>& key, const M* m) {
  std::lock_guard lock(mu_);
  auto it = series_.find(key);
  if (it == series_.end() || it->second.m.get() != m) return;
  if (--it->second.handles == 0 && !it->second.pinned) series_.erase(it);
}

template <class M>
size_t family<M>::size() const {
  std::lock_guard lock(mu_);
  return series_.size();
}

template <class M>
family_snapshot family<M>::collect() const {
  family_snapshot f{name(), help(), type(), {}};
  std::lock_guard lock(mu_);
  for (const auto& [key, e] : series_) {
    if constexpr (std::is_same_v<M, histogram>)
      append_histogram(f.samples, pairs(key), e.m->bounds(), e.m->read());
    else
      f.samples.push_back({"", pairs(key), double(e.m->value())});
  }
  return f;
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;
template class scoped<counter>;
template class scoped<gauge>;
template class scoped<histogram>;

}  // namespace runnel::observe
