// result<T>: the error-carrying return type used on every fallible path
// (DESIGN.md decision 5). A thin alias of Boost.Outcome over std::error_code,
// so that each module can define its own error enum and category.
#pragma once

#include <system_error>

#include <boost/outcome/std_result.hpp>
#include <boost/outcome/try.hpp>

namespace runnel {

namespace outcome = boost::outcome_v2;

template <class T>
using result = outcome::std_result<T>;

// Shorthand for the success value of result<void>.
inline auto success() {
  return outcome::success();
}

// The value of `r`, or `fallback` if it holds an error.
template <class T>
T value_or(const result<T>& r, T fallback) {
  return r ? r.value() : fallback;
}

}  // namespace runnel

// RUNNEL_TRY(auto x, expr) / RUNNEL_TRY(expr): propagate the error of a result.
#define RUNNEL_TRY BOOST_OUTCOME_TRY
