// engine::show_sinks(): SHOW SINKS — each sink with what it writes to and
// whether it runs, so that a sink to a database that stopped (a refused
// connection, a bad table) shows in psql and not only in the log or on the
// Connect worker's REST API.
#include <string>

#include <fmt/format.h>

#include "sql/connector/connector_sink.h"
#include "sql/engine/relation_state.h"

namespace runnel::sql {

result<statement_result> engine::show_sinks() {
  statement_result out;
  auto text = [](std::string name) {
    return plan_column{std::move(name), type_id::text, "", false};
  };
  out.columns = {text("Name"), text("Connector"), text("Topic"), text("Status"), text("Error")};
  out.rows = row_batch(5);
  for (const auto& r : relations_) {
    if (r->info.kind != relation_kind::sink || r->hidden) continue;
    std::string state = "RUNNING", error;
    if (!r->connector.empty()) {
      // Kafka Connect's state of the connector that reads the topic.
      if (options_.connectors) {
        auto st = options_.connectors->connector_status(r->connector);
        state = st.state;
        error = st.error;
      }
    } else if (r->out && r->out->failed_records() > 0) {
      // The Kafka half goes on after a record the cluster refused.
      error = fmt::format("{} records the cluster did not take (the log says why)",
                          r->out->failed_records());
    }
    datum* d = out.rows.add(1);
    auto& s = out.rows.strings();
    d[0] = datum::of_text(s.copy(r->info.name));
    d[1] = datum::of_text(s.copy(r->sink_type));
    d[2] = datum::of_text(s.copy(r->sink_topic));
    d[3] = datum::of_text(s.copy(state));
    d[4] = error.empty() ? datum() : datum::of_text(s.copy(error));
  }
  out.tag = "SHOW";
  return out;
}

}  // namespace runnel::sql
