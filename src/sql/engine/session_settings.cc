// Session parameters and stopping a session's statement: SET / RESET /
// SHOW statement_timeout (PostgreSQL's units and display), the same from
// the startup message (set_parameter), and cancel() — all of a session's
// statements share its interrupt (exec/interrupt.h), re-armed as each
// starts. Every other parameter's SET is accepted and changes nothing.
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "sql/engine/relation_state.h"
#include "sql/group/forward.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace {

constexpr std::string_view timeout_name = "statement_timeout";

// PostgreSQL's integer parameter in milliseconds: a number (a fraction
// allowed), then optionally one of its time units; none means ms.
result<int64_t> parse_millis(std::string_view text) {
  auto bad = [&] {
    sql_error e = make_error(errc::invalid_parameter, -1,
                             "invalid value for parameter \"{}\": \"{}\"", timeout_name, text);
    e.hint = "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".";
    return e;
  };
  std::string_view v = text;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  size_t end = 0;
  if (end < v.size() && (v[end] == '-' || v[end] == '+')) ++end;
  bool digits = false;
  while (end < v.size() && (std::isdigit(static_cast<unsigned char>(v[end])) || v[end] == '.')) {
    digits = digits || v[end] != '.';
    ++end;
  }
  if (!digits) return bad();
  double number = 0;
  try {
    number = std::stod(std::string(v.substr(0, end)));
  } catch (...) {
    return bad();
  }
  std::string_view unit = v.substr(end);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.front())))
    unit.remove_prefix(1);
  double scale = 1;
  if (unit.empty() || unit == "ms")
    scale = 1;
  else if (unit == "us")
    scale = 0.001;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "min")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else if (unit == "d")
    scale = 86'400'000;
  else
    return bad();
  const double ms = std::rint(number * scale);
  constexpr double top = std::numeric_limits<int32_t>::max();
  if (!(ms >= 0 && ms <= top))
    return make_error(errc::invalid_parameter, -1,
                      "{} ms is outside the valid range for parameter \"{}\" (0 .. {})",
                      std::isfinite(ms) ? fmt::format("{:.0f}", ms) : std::string(text),
                      timeout_name, std::numeric_limits<int32_t>::max());
  return static_cast<int64_t>(ms);
}

// As SHOW prints it: the largest unit that holds the value exactly.
std::string show_millis(int64_t ms) {
  if (ms == 0) return "0";
  for (auto [unit, size] : {std::pair<const char*, int64_t>{"d", 86'400'000},
                            {"h", 3'600'000},
                            {"min", 60'000},
                            {"s", 1000}})
    if (ms % size == 0) return fmt::format("{}{}", ms / size, unit);
  return fmt::format("{}ms", ms);
}

// The value of SET name = value / TO value: a string or a number constant.
std::optional<std::string> set_value(const json& args) {
  if (!args.is_array() || args.size() != 1 || !args[0].contains("A_Const")) return std::nullopt;
  const json& c = args[0]["A_Const"];
  if (c.contains("sval")) return c["sval"].value("sval", "");
  if (c.contains("ival")) return std::to_string(c["ival"].value("ival", int64_t{0}));
  if (c.contains("fval")) return c["fval"].value("fval", "0");
  return std::nullopt;
}

}  // namespace

std::shared_ptr<interrupt> engine::arm(uint64_t session) {
  std::lock_guard lock(sessions_mu_);
  auto& stop = interrupts_[session];
  if (!stop) stop = std::make_shared<interrupt>();
  auto it = statement_timeout_.find(session);
  const int64_t ms = it == statement_timeout_.end() ? 0 : it->second;
  stop->arm(std::chrono::milliseconds(ms));
  return stop;
}

std::shared_ptr<interrupt> engine::interrupt_of(uint64_t session) {
  std::lock_guard lock(sessions_mu_);
  auto& stop = interrupts_[session];
  if (!stop) stop = std::make_shared<interrupt>();
  return stop;
}

void engine::cancel(uint64_t session) {
  {
    std::lock_guard lock(sessions_mu_);
    auto it = interrupts_.find(session);
    if (it == interrupts_.end()) return;  // it never ran a statement
    it->second->cancel(interrupt::user);
  }
  // Not under mu_, which the statement may hold: a FETCH or FLUSH that
  // misses this wakes at its next slice (subscription.cc).
  changed_.notify_all();
  // --share: a FETCH or stream forwarded to the process that runs its
  // relation waits there, without mu_; the cancel goes there too (a link
  // with nothing running forgets it). The links are the engine's: this
  // waits for mu_ only after the interrupt is set, which a statement of
  // this session holding it stops at.
  std::vector<std::shared_ptr<forward_link>> links;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, link] : links_)
      if (key.first == session) links.push_back(link);
    if (auto st = remote_streams_.find(session); st != remote_streams_.end())
      links.push_back(st->second);
  }
  for (const auto& l : links) l->cancel();
}

result<void> engine::set_parameter(uint64_t session, std::string_view name,
                                   std::string_view value) {
  if (!iequals_ascii(name, timeout_name)) return outcome::success();
  BOOST_OUTCOME_TRY(int64_t ms, parse_millis(value));
  std::lock_guard lock(sessions_mu_);
  statement_timeout_[session] = ms;
  return outcome::success();
}

result<statement_result> engine::set_variable(const json& stmt) {
  const std::string kind = stmt.value("kind", "");
  const std::string name = stmt.value("name", "");
  const bool all = kind == "VAR_RESET_ALL";
  if (!all && !iequals_ascii(name, timeout_name))
    return statement_result{{}, row_batch(0), kind == "VAR_RESET" ? "RESET" : "SET"};
  int64_t ms = 0;  // DEFAULT, RESET, RESET ALL: no limit
  if (kind == "VAR_SET_VALUE") {
    if (stmt.value("is_local", false))
      return make_error(errc::feature_not_supported, -1,
                        "SET LOCAL statement_timeout is not supported: use SET (for the session)");
    auto v = set_value(stmt.value("args", json::array()));
    if (!v)
      return make_error(errc::invalid_parameter, -1, "parameter \"{}\" takes one value",
                        timeout_name);
    BOOST_OUTCOME_TRY(ms, parse_millis(*v));
  } else if (kind != "VAR_SET_DEFAULT" && kind != "VAR_RESET" && !all) {
    return statement_result{{}, row_batch(0), "SET"};  // SET ... FROM CURRENT and the like
  }
  {
    std::lock_guard lock(sessions_mu_);
    statement_timeout_[session_] = ms;
  }
  // The statement running now keeps the deadline it started with, as in
  // PostgreSQL; the next one, also in the same query string, gets the new
  // limit.
  if (stop_) stop_->set_limit(std::chrono::milliseconds(ms));
  return statement_result{
      {}, row_batch(0), kind == "VAR_SET_VALUE" || kind == "VAR_SET_DEFAULT" ? "SET" : "RESET"};
}

result<statement_result> engine::show_variable(const json& stmt) {
  const std::string name = stmt.value("name", "");
  if (!iequals_ascii(name, timeout_name))
    return make_error(errc::feature_not_supported, 0,
                      "this statement is not supported in this version");
  int64_t ms = 0;
  {
    std::lock_guard lock(sessions_mu_);
    auto it = statement_timeout_.find(session_);
    if (it != statement_timeout_.end()) ms = it->second;
  }
  statement_result out;
  out.columns = {plan_column{std::string(timeout_name), type_id::text, "", false}};
  out.rows = row_batch(1);
  datum* d = out.rows.add(1);
  d[0] = datum::of_text(out.rows.strings().copy(show_millis(ms)));
  out.tag = "SHOW";
  return out;
}

}  // namespace runnel::sql
