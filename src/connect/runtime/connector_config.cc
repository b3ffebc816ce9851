#include "connect/runtime/connector_config.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "connect/api/connector.h"
#include "connect/runtime/transformation_chain.h"

namespace runnel::connect {

namespace {

std::string lower_trimmed(std::string s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  s = b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  for (auto& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

config_def common_def(bool source) {
  config_def d;
  using ct = config_type;
  using ci = config_importance;
  int order = 0;
  auto common = [&](config_key k) {
    k.group = "Common";
    k.order = ++order;
    d.define(std::move(k));
  };
  common({.name = "name",
          .type = ct::string,
          .default_value = config_default::required(),
          .importance = ci::high,
          .documentation = "Globally unique name to use for this connector.",
          .validator = validators::non_empty_string(),
          .width = config_width::medium,
          .display_name = "Connector name"});
  common({.name = "connector.class",
          .type = ct::string,
          .default_value = config_default::required(),
          .importance = ci::high,
          .documentation = "Name or alias of the class for this connector. Must be a subclass of "
                           "org.apache.kafka.connect.connector.Connector. If the connector is "
                           "org.apache.kafka.connect.file.FileStreamSinkConnector, you can either "
                           "specify this full name, or use \"FileStreamSink\" or "
                           "\"FileStreamSinkConnector\" to make the configuration a bit shorter",
          .width = config_width::long_,
          .display_name = "Connector class"});
  common({.name = "tasks.max",
          .type = ct::int_,
          .default_value = config_default::of("1"),
          .importance = ci::high,
          .documentation = "Maximum number of tasks to use for this connector.",
          .validator = validators::at_least(1),
          .width = config_width::short_,
          .display_name = "Tasks max"});
  common({.name = "tasks.max.enforce",
          .type = ct::boolean,
          .default_value = config_default::of("true"),
          .importance = ci::low,
          .documentation = "(Deprecated) Whether to enforce that the tasks.max property is "
                           "respected by the connector.",
          .width = config_width::short_,
          .display_name = "Enforce tasks max"});
  for (const char* k : {"key.converter", "value.converter", "header.converter"})
    common({.name = k,
            .type = ct::class_,
            .default_value = config_default::null(),
            .importance = ci::low,
            .documentation = fmt::format("The {} class used to convert between Kafka Connect "
                                         "format and the serialized form that is written to "
                                         "Kafka. This overrides the worker's {}.",
                                         k, k),
            .width = config_width::short_,
            .display_name = k});
  common({.name = "config.action.reload",
          .type = ct::string,
          .default_value = config_default::of("restart"),
          .importance = ci::low,
          .documentation = "The action that Connect should take on the connector when changes in "
                           "external configuration providers result in a change in the "
                           "connector's configuration properties.",
          .validator = validators::one_of({"none", "restart"}, true),
          .width = config_width::medium,
          .display_name = "Reload Action"});
  common({.name = "transforms",
          .type = ct::list,
          .default_value = config_default::of(""),
          .importance = ci::low,
          .documentation = "Aliases for the transformations to be applied to records.",
          .width = config_width::long_,
          .display_name = "Transforms"});
  common({.name = "predicates",
          .type = ct::list,
          .default_value = config_default::of(""),
          .importance = ci::low,
          .documentation = "Aliases for the predicates used by transformations.",
          .width = config_width::long_,
          .display_name = "Predicates"});
  if (!source) {
    common({.name = "topics",
            .type = ct::list,
            .default_value = config_default::of(""),
            .importance = ci::high,
            .documentation = "List of topics to consume, separated by commas",
            .width = config_width::long_,
            .display_name = "Topics"});
    common({.name = "topics.regex",
            .type = ct::string,
            .default_value = config_default::of(""),
            .importance = ci::high,
            .documentation = "Regular expression giving topics to consume. Under the hood, the "
                             "regex is compiled to a java.util.regex.Pattern. Only one of topics "
                             "or topics.regex should be specified.",
            .validator = validators::regex(),
            .width = config_width::long_,
            .display_name = "Topics regex"});
  }
  order = 0;
  auto errors = [&](config_key k) {
    k.group = "Error Handling";
    k.order = ++order;
    d.define(std::move(k));
  };
  errors({.name = "errors.retry.timeout",
          .type = ct::long_,
          .default_value = config_default::of("0"),
          .importance = ci::medium,
          .documentation = "The maximum duration in milliseconds that a failed operation will be "
                           "reattempted. The default is 0, which means no retries will be "
                           "attempted. Use -1 for infinite retries.",
          .width = config_width::medium,
          .display_name = "Retry Timeout for Errors"});
  errors({.name = "errors.retry.delay.max.ms",
          .type = ct::long_,
          .default_value = config_default::of("60000"),
          .importance = ci::medium,
          .documentation = "The maximum duration in milliseconds between consecutive retry "
                           "attempts. Jitter will be added to the delay once this limit is "
                           "reached to prevent thundering herd issues.",
          .width = config_width::medium,
          .display_name = "Maximum Delay Between Retries for Errors"});
  errors({.name = "errors.tolerance",
          .type = ct::string,
          .default_value = config_default::of("none"),
          .importance = ci::medium,
          .documentation = "Behavior for tolerating errors during connector operation. 'none' is "
                           "the default value and signals that any error will result in an "
                           "immediate connector task failure; 'all' changes the behavior to skip "
                           "over problematic records.",
          .validator = validators::one_of({"none", "all"}, true),
          .width = config_width::short_,
          .display_name = "Error Tolerance"});
  errors({.name = "errors.log.enable",
          .type = ct::boolean,
          .default_value = config_default::of("false"),
          .importance = ci::medium,
          .documentation = "If true, write each error and the details of the failed operation "
                           "and problematic record to the Connect application log. This is "
                           "'false' by default, so that only errors that are not tolerated are "
                           "reported.",
          .width = config_width::short_,
          .display_name = "Log Errors"});
  errors({.name = "errors.log.include.messages",
          .type = ct::boolean,
          .default_value = config_default::of("false"),
          .importance = ci::medium,
          .documentation = "Whether to include in the log the Connect record that resulted in a "
                           "failure. For sink records, the topic, partition, offset, and "
                           "timestamp will be logged. For source records, the key and value (and "
                           "their schemas), all headers, and the timestamp, Kafka topic, Kafka "
                           "partition, source partition, and source offset will be logged. This "
                           "is 'false' by default, which will prevent record keys, values, and "
                           "headers from being written to log files.",
          .width = config_width::short_,
          .display_name = "Log Error Details"});
  errors({.name = "errors.deadletterqueue.topic.name",
          .type = ct::string,
          .default_value = config_default::of(""),
          .importance = ci::medium,
          .documentation = "The name of the topic to be used as the dead letter queue (DLQ) for "
                           "messages that result in an error when processed by this connector, "
                           "or its transformations or converters. The topic name is blank by "
                           "default, which means that no messages are to be recorded in the DLQ. "
                           "runnel offers it for source connectors too.",
          .width = config_width::medium,
          .display_name = "Dead Letter Queue Topic Name"});
  errors({.name = "errors.deadletterqueue.topic.replication.factor",
          .type = ct::short_,
          .default_value = config_default::of("3"),
          .importance = ci::medium,
          .documentation = "Replication factor used to create the dead letter queue topic when "
                           "it doesn't already exist.",
          .width = config_width::medium,
          .display_name = "Dead Letter Queue Topic Replication Factor"});
  errors({.name = "errors.deadletterqueue.context.headers.enable",
          .type = ct::boolean,
          .default_value = config_default::of("false"),
          .importance = ci::medium,
          .documentation = "If true, add headers containing error context to the messages "
                           "written to the dead letter queue. To avoid clashing with headers from "
                           "the original record, all error context header keys, all error "
                           "context header keys will start with <code>__connect.errors.</code>",
          .width = config_width::medium,
          .display_name = "Enable Error Context Headers"});
  if (source) {
    order = 0;
    auto topics = [&](config_key k) {
      k.group = "Topic Creation";
      k.order = ++order;
      d.define(std::move(k));
    };
    topics({.name = "topic.creation.groups",
            .type = ct::list,
            .default_value = config_default::of(""),
            .importance = ci::low,
            .documentation = "Groups of configurations for topics created by source connectors "
                             "(runnel: the default group only).",
            .width = config_width::long_,
            .display_name = "Topic Creation Groups"});
    topics({.name = "topic.creation.default.replication.factor",
            .type = ct::short_,
            .default_value = config_default::null(),
            .importance = ci::low,
            .documentation = "The replication factor for new topics created by the connector "
                             "(-1: the broker's default). Set with "
                             "topic.creation.default.partitions to have the worker create "
                             "missing topics.",
            .width = config_width::long_,
            .display_name = "Replication Factor for Topics"});
    topics({.name = "topic.creation.default.partitions",
            .type = ct::int_,
            .default_value = config_default::null(),
            .importance = ci::low,
            .documentation = "The number of partitions new topics created by the connector "
                             "get (-1: the broker's default).",
            .width = config_width::long_,
            .display_name = "Partition Count for Topics"});
    order = 0;
    auto eos = [&](config_key k) {
      k.group = "Exactly Once Support";
      k.order = ++order;
      d.define(std::move(k));
    };
    eos({.name = "exactly.once.support",
         .type = ct::string,
         .default_value = config_default::of("requested"),
         .importance = ci::medium,
         .documentation = "Permitted values are requested, required. If set to \"required\", "
                          "forces a preflight check for the connector to ensure that it can "
                          "provide exactly-once semantics with the given configuration.",
         .validator = validators::one_of({"requested", "required"}, true),
         .width = config_width::medium,
         .display_name = "Exactly once support"});
    eos({.name = "transaction.boundary",
         .type = ct::string,
         .default_value = config_default::of("poll"),
         .importance = ci::medium,
         .documentation = "Permitted values are: poll, interval, connector. If set to 'poll', a "
                          "new producer transaction will be started and committed for every "
                          "batch of records that each task from this connector provides to "
                          "Connect. If set to 'connector', relies on connector-defined "
                          "transaction boundaries. If set to 'interval', commits transactions "
                          "only after a user-defined time interval has passed.",
         .validator = validators::one_of({"poll", "interval", "connector"}, true),
         .width = config_width::medium,
         .display_name = "Transaction Boundary"});
    eos({.name = "transaction.boundary.interval.ms",
         .type = ct::long_,
         .default_value = config_default::null(),
         .importance = ci::low,
         .documentation = "If 'transaction.boundary' is set to 'interval', determines the "
                          "interval for producer transaction commits by connector tasks. If "
                          "unset, defaults to the value of the worker-level "
                          "'offset.flush.interval.ms' property.",
         .validator = validators::at_least(0),
         .width = config_width::short_,
         .display_name = "Transaction boundary interval"});
    d.define({.name = "offsets.storage.topic",
              .type = ct::string,
              .default_value = config_default::null(),
              .importance = ci::low,
              .documentation = "The name of a separate offsets topic to use for this connector "
                               "(runnel: not supported; the worker's offsets topic is used).",
              .group = "offsets.topic",
              .order = 1,
              .width = config_width::long_,
              .display_name = "Offsets topic"});
  }
  return d;
}

}  // namespace

const config_def& source_connector_config_def() {
  static const config_def d = common_def(true);
  return d;
}

const config_def& sink_connector_config_def() {
  static const config_def d = common_def(false);
  return d;
}

result<connector_config> connector_config::parse(const config_map& props,
                                                 const plugin_registry& plugins) {
  auto cls = props.find("connector.class");
  if (cls == props.end())
    return make_error(errc::invalid_config,
                      "Missing required configuration \"connector.class\" which has no default "
                      "value.");
  const plugin* p = plugins.find(cls->second, plugin_type::source);
  if (!p) p = plugins.find(cls->second, plugin_type::sink);
  if (!p)
    return make_error(errc::invalid_config,
                      fmt::format("Failed to find any class that implements Connector and which "
                                  "name matches {}",
                                  cls->second));
  const bool source = p->type == plugin_type::source;
  CONNECT_TRY(auto c,
              (source ? source_connector_config_def() : sink_connector_config_def()).parse(props));
  connector_config out;
  out.originals = props;
  out.name = c.get_string("name");
  out.connector_class = p->class_name;
  out.type = source ? connector_type::source : connector_type::sink;
  out.tasks_max = c.get_int("tasks.max");
  out.tasks_max_enforce = c.get_bool("tasks.max.enforce");
  out.key_converter = c.get_optional_string("key.converter");
  out.value_converter = c.get_optional_string("value.converter");
  out.header_converter = c.get_optional_string("header.converter");
  out.errors.retry_timeout_ms = c.get_long("errors.retry.timeout");
  out.errors.retry_delay_max_ms = c.get_long("errors.retry.delay.max.ms");
  auto tol = c.get_string("errors.tolerance");
  out.errors.tolerate_all = tol == "all" || tol == "ALL";
  out.errors.log_enable = c.get_bool("errors.log.enable");
  out.errors.log_include_messages = c.get_bool("errors.log.include.messages");
  out.errors.dlq_topic = c.get_string("errors.deadletterqueue.topic.name");
  out.errors.dlq_replication_factor =
      int16_t(c.get_long("errors.deadletterqueue.topic.replication.factor"));
  out.errors.dlq_context_headers = c.get_bool("errors.deadletterqueue.context.headers.enable");
  if (!source) {
    out.topics = c.get_list("topics");
    out.topics_regex = c.get_string("topics.regex");
    if (out.topics.empty() == out.topics_regex.empty())
      return make_error(errc::invalid_config,
                        out.topics.empty()
                            ? "Must configure one of topics or topics.regex"
                            : "topics and topics.regex are mutually exclusive options, but both "
                              "are set.");
    if (!out.errors.dlq_topic.empty())
      for (const auto& t : out.topics)
        if (t == out.errors.dlq_topic)
          return make_error(errc::invalid_config,
                            fmt::format("The DLQ topic '{}' may not be included in the list of "
                                        "topics ('topics=') to be consumed.",
                                        t));
  } else {
    if (c.has("topic.creation.default.partitions"))
      out.topic_creation_partitions = c.get_int("topic.creation.default.partitions");
    if (c.has("topic.creation.default.replication.factor"))
      out.topic_creation_replication_factor =
          int16_t(c.get_long("topic.creation.default.replication.factor"));
    out.exactly_once_support = lower_trimmed(c.get_string("exactly.once.support"));
    out.transaction_boundary = lower_trimmed(c.get_string("transaction.boundary"));
    if (c.has("transaction.boundary.interval.ms"))
      out.transaction_boundary_interval_ms = c.get_long("transaction.boundary.interval.ms");
  }
  return out;
}

config_map connector_config::converter_props(const config_map& worker,
                                             std::string_view role) const {
  const std::string prefix = std::string(role) + ".";
  const bool own_class = originals.count(std::string(role)) > 0;
  // A connector naming its own converter takes only its own settings, as
  // Kafka does; else the worker's converter settings apply.
  config_map out = own_class ? config_map{} : with_prefix(worker, prefix);
  for (auto& [k, v] : with_prefix(originals, prefix)) out[k] = v;
  out["converter.type"] = role == "key.converter"     ? "key"
                          : role == "value.converter" ? "value"
                                                      : "header";
  return out;
}

data config_key_json(const config_key& k) {
  data j = data::object();
  j["name"] = k.name;
  j["type"] = std::string(type_name(k.type));
  j["required"] = k.required();
  j["default_value"] = k.default_value.what == config_default::kind::value
                           ? data(k.default_value.text)
                           : data(nullptr);
  j["importance"] = std::string(importance_name(k.importance));
  j["documentation"] = k.documentation;
  j["group"] = k.group.empty() ? data(nullptr) : data(k.group);
  j["width"] = std::string(width_name(k.width));
  j["display_name"] = k.display_name.empty() ? k.name : k.display_name;
  j["dependents"] = k.dependents;
  j["order"] = k.order;
  return j;
}

result<void> check_connector_config(const config_map& props, const plugin_registry& plugins,
                                    bool exactly_once_source) {
  auto v = validate_connector_config(props, plugins, exactly_once_source);
  if (v["error_count"].get<int>() == 0) return ok();
  std::vector<std::string> errs;
  for (const auto& c : v["configs"])
    for (const auto& e : c["value"]["errors"]) errs.push_back(e.get<std::string>());
  return make_error(errc::bad_request,
                    fmt::format("Connector configuration is invalid and contains the following "
                                "{} error(s):\n{}\nYou can also find the above list of errors "
                                "at the endpoint `/connector-plugins/{{connectorType}}/config/"
                                "validate`",
                                errs.size(), fmt::join(errs, "\n")));
}

namespace {

// KIP-618's preflight checks of a source connector (Kafka's
// DistributedHerder does the same, with these sentences).
void validate_exactly_once(const source_connector& conn, const config_map& props,
                           bool exactly_once_source, std::vector<config_value>& values) {
  for (auto& v : values) {
    if (!v.errors.empty() || !v.value) continue;
    const auto value = lower_trimmed(*v.value);
    if (v.name == "exactly.once.support" && value == "required") {
      if (!exactly_once_source)
        v.errors.push_back(
            "This worker does not have exactly-once source support enabled "
            "(exactly.once.source.support=enabled in the worker config).");
      if (conn.exactly_once(props) != exactly_once_support::supported)
        v.errors.push_back(
            "The connector does not support exactly-once semantics with the provided "
            "configuration.");
    }
    if (v.name == "transaction.boundary" && value == "connector" &&
        !conn.can_define_transaction_boundaries(props))
      v.errors.push_back(
          "The connector does not support connector-defined transaction boundaries with the "
          "given configuration. Please reconfigure it to use a different transaction boundary "
          "definition (poll or interval).");
  }
}

}  // namespace

data validate_connector_config(const config_map& props, const plugin_registry& plugins,
                               bool exactly_once_source) {
  data out = data::object();
  std::string cls;
  if (auto it = props.find("connector.class"); it != props.end()) cls = it->second;
  const plugin* p = plugins.find(cls, plugin_type::source);
  if (!p) p = plugins.find(cls, plugin_type::sink);
  out["name"] = p ? p->class_name : cls;

  config_def def;
  def.merge(p && p->type == plugin_type::sink ? sink_connector_config_def()
                                              : source_connector_config_def());
  def.merge(transformation_chain::definitions(props, plugins));
  std::vector<config_value> values = def.validate(props);
  std::vector<std::string> groups = def.groups();
  if (p) {
    auto instance = p->make();
    auto* conn = dynamic_cast<connector*>(instance.get());
    const auto& own = conn->config();
    for (const auto& g : own.groups())
      if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
    auto own_values = conn->validate(props);
    for (auto& v : own_values)
      if (!def.find(v.name)) values.push_back(std::move(v));
    def.merge(own);
    if (const auto* source = dynamic_cast<const source_connector*>(conn))
      validate_exactly_once(*source, props, exactly_once_source, values);
  } else {
    for (auto& v : values)
      if (v.name == "connector.class") {
        v.errors.push_back(cls.empty() ? "Missing required configuration \"connector.class\" "
                                         "which has no default value."
                                       : fmt::format("Failed to find any class that implements "
                                                     "Connector and which name matches {}",
                                                     cls));
        v.errors.erase(std::unique(v.errors.begin(), v.errors.end()), v.errors.end());
      }
  }
  // Transformation and predicate configs are checked by building the chain.
  if (auto chain = transformation_chain::create(props, plugins); !chain) {
    for (auto& v : values)
      if (v.name == "transforms" && v.errors.empty()) v.errors.push_back(chain.error().message);
  }
  int errors = 0;
  data configs = data::array();
  for (const auto& v : values) {
    errors += int(!v.errors.empty());
    const config_key* k = def.find(v.name);
    data entry = data::object();
    entry["definition"] = k ? config_key_json(*k) : data(nullptr);
    data value = data::object();
    value["name"] = v.name;
    value["value"] = v.value ? data(*v.value) : data(nullptr);
    value["recommended_values"] = v.recommended_values;
    value["errors"] = v.errors;
    value["visible"] = v.visible;
    entry["value"] = std::move(value);
    configs.push_back(std::move(entry));
  }
  out["error_count"] = errors;
  out["groups"] = groups;
  out["configs"] = std::move(configs);
  return out;
}

}  // namespace runnel::connect
