// Session parameters and stopping a session's statement: SET / RESET /
// SHOW statement_timeout (PostgreSQL's units and display), the same from
// the startup message (set_parameter), and cancel() — all of a session's
// statements share its interrupt (exec/interrupt.h), re-armed as each
// starts. Every other parameter is kept per session as text for SHOW,
// current_setting() and pg_settings; SET LOCAL and set_config(..., true)
// last until the transaction block ends (query_cursor.cc ends it), and a
// ROLLBACK restores what SET changed in the block, as in PostgreSQL.
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "sql/engine/relation_state.h"
#include "sql/group/forward.h"
#include "sql/plan/binder.h"
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

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A value in its shown form: statement_timeout's in the largest unit that
// holds it; the rest as given.
result<std::string> normalize(const std::string& name, std::string_view value) {
  if (name == timeout_name) {
    BOOST_OUTCOME_TRY(int64_t ms, parse_millis(value));
    return show_millis(ms);
  }
  if (const auto* d = find_server_setting(name); d && d->fixed)
    return make_error(errc::cant_change_runtime_param, -1, "parameter \"{}\" cannot be changed",
                      d->name);
  return std::string(value);
}

// Formats runnel always uses (UTC, ISO dates, PostgreSQL's intervals,
// UTF-8): SET is accepted, as drivers send it, and changes nothing, so
// SHOW tells what the server does.
bool ignored(const std::string& name) {
  return name == "timezone" || name == "datestyle" || name == "intervalstyle" ||
         name == "client_encoding";
}

}  // namespace

result<void> engine::set_parameter(uint64_t session, std::string_view name,
                                   std::string_view value) {
  const std::string n = lower(name);
  if (n == "user" || n == "database" || n == "replication" || ignored(n)) return outcome::success();
  auto v = normalize(n, value);
  if (!v) {
    if (n == timeout_name) return v.error();
    return outcome::success();  // a fixed one: PostgreSQL's startup ignores it too
  }
  std::lock_guard lock(sessions_mu_);
  params_[session].set[n] = v.value();
  if (n == timeout_name) statement_timeout_[session] = parse_millis(v.value()).value();
  return outcome::success();
}

std::optional<std::string> engine::get_setting(uint64_t session, const std::string& name) {
  const std::string n = lower(name);
  {
    std::lock_guard lock(sessions_mu_);
    if (auto p = params_.find(session); p != params_.end()) {
      if (auto l = p->second.local.find(n); l != p->second.local.end()) return l->second;
      if (auto v = p->second.set.find(n); v != p->second.set.end()) return v->second;
    }
  }
  if (const auto* d = find_server_setting(n)) return std::string(d->value);
  return std::nullopt;
}

result<std::string> engine::set_setting(const std::string& name,
                                        const std::optional<std::string>& value, bool is_local) {
  const std::string n = lower(name);
  if (ignored(n)) return get_setting(session_, n).value_or("");
  const bool in_block = in_transaction_.count(session_) || implicit_block_.count(session_);
  std::optional<std::string> v;
  if (value) {
    BOOST_OUTCOME_TRY(v, normalize(n, *value));
  } else if (const auto* d = find_server_setting(n); d && d->fixed) {
    return make_error(errc::cant_change_runtime_param, -1, "parameter \"{}\" cannot be changed",
                      d->name);
  }
  int64_t ms = 0;
  {
    std::lock_guard lock(sessions_mu_);
    auto& p = params_[session_];
    if (is_local) {
      // Outside a block the statement is its own transaction: no effect
      // after it (SET LOCAL warns, set_config(..., true) does not).
      if (in_block) {
        if (v)
          p.local[n] = *v;
        else
          p.local[n] = find_server_setting(n) ? find_server_setting(n)->value : "";
      }
    } else {
      if (in_block && !p.before_block) p.before_block = p.set;
      if (v)
        p.set[n] = *v;
      else
        p.set.erase(n);
      p.local.erase(n);
    }
    auto in_effect = [&]() -> std::optional<std::string> {
      if (auto l = p.local.find(n); l != p.local.end()) return l->second;
      if (auto s = p.set.find(n); s != p.set.end()) return s->second;
      return std::nullopt;
    };
    if (n == timeout_name) {
      auto e = in_effect();
      ms = e ? parse_millis(*e).value() : 0;
      statement_timeout_[session_] = ms;
    }
  }
  // The statement running now keeps the deadline it started with, as in
  // PostgreSQL; the next one, also in the same query string, gets the new
  // limit.
  if (n == timeout_name && stop_) stop_->set_limit(std::chrono::milliseconds(ms));
  if (is_local && !in_block)
    return v ? *v : std::string(find_server_setting(n) ? find_server_setting(n)->value : "");
  return get_setting(session_, n).value_or("");
}

void engine::end_block_settings(uint64_t session, bool commit) {
  std::lock_guard lock(sessions_mu_);
  auto p = params_.find(session);
  if (p == params_.end()) return;
  p->second.local.clear();
  if (!commit && p->second.before_block) p->second.set = std::move(*p->second.before_block);
  p->second.before_block.reset();
  auto t = p->second.set.find(std::string(timeout_name));
  statement_timeout_[session] = t == p->second.set.end() ? 0 : parse_millis(t->second).value();
}

result<statement_result> engine::set_variable(const json& stmt) {
  const std::string kind = stmt.value("kind", "");
  const std::string name = stmt.value("name", "");
  const bool is_local = stmt.value("is_local", false);
  const bool in_block = in_transaction_.count(session_) || implicit_block_.count(session_);
  statement_result out{
      {}, row_batch(0), kind == "VAR_RESET" || kind == "VAR_RESET_ALL" ? "RESET" : "SET"};
  if (kind == "VAR_RESET_ALL") {
    std::vector<std::string> names;
    {
      std::lock_guard lock(sessions_mu_);
      for (const auto& [n, v] : params_[session_].set) names.push_back(n);
      for (const auto& [n, v] : params_[session_].local) names.push_back(n);
    }
    for (const auto& n : names) {
      BOOST_OUTCOME_TRY(set_setting(n, std::nullopt, false));
    }
    return out;
  }
  if (kind != "VAR_SET_VALUE" && kind != "VAR_SET_DEFAULT" && kind != "VAR_RESET")
    return out;  // SET TRANSACTION, SET ... FROM CURRENT and the like: accepted, no effect
  if (is_local && !in_block) {
    out.warnings.push_back(make_error(errc::no_active_transaction, -1,
                                      "SET LOCAL can only be used in transaction blocks"));
    return out;
  }
  std::optional<std::string> value;
  if (kind == "VAR_SET_VALUE") {
    const json& args = stmt.value("args", json::array());
    if (iequals_ascii(name, timeout_name)) {
      value = set_value(args);
      if (!value)
        return make_error(errc::invalid_parameter, -1, "parameter \"{}\" takes one value",
                          timeout_name);
    } else {
      // A list (search_path = a, b): its items joined as PostgreSQL shows them.
      std::string joined;
      for (const auto& a : args) {
        auto one = set_value(json::array({a}));
        if (!one) continue;
        if (!joined.empty()) joined += ", ";
        joined += *one;
      }
      value = joined;
    }
  }
  BOOST_OUTCOME_TRY(set_setting(name, value, is_local));
  return out;
}

row_batch engine::setting_rows() {
  std::map<std::string, std::pair<std::string, std::string>>
      rows;  // lowercased -> shown name, value
  for (const auto& d : server_settings()) rows[lower(d.name)] = {d.name, d.value};
  {
    std::lock_guard lock(sessions_mu_);
    if (auto p = params_.find(session_); p != params_.end()) {
      for (const auto& [n, v] : p->second.set) rows[n] = {rows.count(n) ? rows[n].first : n, v};
      for (const auto& [n, v] : p->second.local) rows[n] = {rows.count(n) ? rows[n].first : n, v};
    }
  }
  row_batch out(3);
  for (const auto& [key, row] : rows) {
    const auto* d = find_server_setting(key);
    datum* x = out.add(1);
    x[0] = datum::of_text(out.strings().copy(row.first));
    x[1] = datum::of_text(out.strings().copy(row.second));
    x[2] = datum::of_text(out.strings().copy(d ? d->description : ""));
  }
  return out;
}

result<statement_result> engine::show_variable(const json& stmt) {
  const std::string name = stmt.value("name", "");
  statement_result out;
  out.tag = "SHOW";
  if (iequals_ascii(name, "all")) {
    out.columns = {plan_column{"name", type_id::text, "", false},
                   plan_column{"setting", type_id::text, "", false},
                   plan_column{"description", type_id::text, "", false}};
    out.rows = setting_rows();
    return out;
  }
  auto v = get_setting(session_, name);
  if (!v)
    return make_error(errc::undefined_object, -1, "unrecognized configuration parameter \"{}\"",
                      name);
  const auto* d = find_server_setting(name);
  out.columns = {plan_column{d ? std::string(d->name) : lower(name), type_id::text, "", false}};
  out.rows = row_batch(1);
  datum* x = out.rows.add(1);
  x[0] = datum::of_text(out.rows.strings().copy(*v));
  return out;
}

}  // namespace runnel::sql
