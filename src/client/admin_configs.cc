// admin: topic and broker configs (DescribeConfigs, AlterConfigs).
#include <algorithm>
#include <map>

#include "client/admin_impl.h"

namespace runnel::client {

using namespace detail;

namespace {

struct config_resource_deleter {
  void operator()(rd_kafka_ConfigResource_t* p) const { rd_kafka_ConfigResource_destroy(p); }
};
using config_resource_ptr = std::unique_ptr<rd_kafka_ConfigResource_t, config_resource_deleter>;

config_resource_ptr make_resource(const config_resource& r) {
  return config_resource_ptr(rd_kafka_ConfigResource_new(
      r.type == config_resource_type::topic ? RD_KAFKA_RESOURCE_TOPIC : RD_KAFKA_RESOURCE_BROKER,
      r.name.c_str()));
}

std::string describe(const config_resource& r) {
  return (r.type == config_resource_type::topic ? "topic " : "broker ") + r.name;
}

// The error of the (single) resource in a configs answer.
result<void> check_resource(const rd_kafka_ConfigResource_t* res, const std::string& what) {
  if (const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(res)) {
    const char* detail = rd_kafka_ConfigResource_error_string(res);
    return make_error(err, what, detail ? detail : "");
  }
  return success();
}

// Whether a value was set on this very resource, as opposed to inherited or
// defaulted: exactly what AlterConfigs replaces.
bool is_dynamic_here(const config_entry& e, config_resource_type type) {
  if (e.source == "UNKNOWN_CONFIG") return !e.is_default && !e.read_only;  // DescribeConfigs v0
  return e.source ==
         (type == config_resource_type::topic ? "DYNAMIC_TOPIC_CONFIG" : "DYNAMIC_BROKER_CONFIG");
}

}  // namespace

result<std::vector<config_entry>> admin::describe_configs(const config_resource& r) {
  const std::string what = "cannot describe the configs of " + describe(r);
  config_resource_ptr res = make_resource(r);
  BOOST_OUTCOME_TRY(auto opts, impl_->options(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS));
  rd_kafka_ConfigResource_t* raw = res.get();
  BOOST_OUTCOME_TRY(auto ev, impl_->run(
                                 [&](rd_kafka_queue_t* q) {
                                   rd_kafka_DescribeConfigs(impl_->rk.get(), &raw, 1, opts.get(),
                                                            q);
                                 },
                                 what));
  size_t n = 0;
  const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(ev.get()), &n);
  std::vector<config_entry> out;
  for (size_t i = 0; i < n; ++i) {
    BOOST_OUTCOME_TRY(check_resource(resources[i], what));
    size_t cnt = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(resources[i], &cnt);
    for (size_t j = 0; j < cnt; ++j) {
      const rd_kafka_ConfigEntry_t* e = entries[j];
      config_entry c;
      c.name = rd_kafka_ConfigEntry_name(e);
      if (const char* v = rd_kafka_ConfigEntry_value(e)) c.value = v;
      c.source = rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(e));
      c.is_default = rd_kafka_ConfigEntry_is_default(e);
      c.read_only = rd_kafka_ConfigEntry_is_read_only(e);
      c.sensitive = rd_kafka_ConfigEntry_is_sensitive(e);
      out.push_back(std::move(c));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

result<void> admin::alter_configs(const config_resource& r,
                                  const std::vector<std::pair<std::string, std::string>>& set,
                                  const std::vector<std::string>& remove) {
  const std::string what = "cannot alter the configs of " + describe(r);
  BOOST_OUTCOME_TRY(auto current, describe_configs(r));
  std::map<std::string, std::string> values;
  for (const auto& e : current) {
    if (!is_dynamic_here(e, r.type)) continue;
    if (!e.value) {
      return invalid_argument(what + ": " + e.name +
                              " is sensitive and would be lost by a full AlterConfigs");
    }
    values[e.name] = *e.value;
  }
  for (const auto& name : remove) {
    if (values.erase(name) == 0) {
      return invalid_argument(what + ": " + name + " is not set on " + describe(r));
    }
  }
  for (const auto& [k, v] : set) values[k] = v;

  config_resource_ptr res = make_resource(r);
  for (const auto& [k, v] : values) {
    if (const rd_kafka_resp_err_t err =
            rd_kafka_ConfigResource_set_config(res.get(), k.c_str(), v.c_str())) {
      return make_error(err, what + ": " + k, "");
    }
  }
  BOOST_OUTCOME_TRY(auto opts, impl_->options(RD_KAFKA_ADMIN_OP_ALTERCONFIGS));
  rd_kafka_ConfigResource_t* raw = res.get();
  BOOST_OUTCOME_TRY(auto ev, impl_->run(
                                 [&](rd_kafka_queue_t* q) {
                                   rd_kafka_AlterConfigs(impl_->rk.get(), &raw, 1, opts.get(), q);
                                 },
                                 what));
  size_t n = 0;
  const rd_kafka_ConfigResource_t** resources =
      rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    BOOST_OUTCOME_TRY(check_resource(resources[i], what));
  }
  return success();
}

}  // namespace runnel::client
