#include "connect/postgres/source_info.h"

#include "connect/api/plugins.h"

namespace runnel::connect::postgres {

std::string_view to_string(snapshot_marker m) {
  switch (m) {
    case snapshot_marker::no:
      return "false";
    case snapshot_marker::yes:
      return "true";
    case snapshot_marker::first:
      return "first";
    case snapshot_marker::first_in_data_collection:
      return "first_in_data_collection";
    case snapshot_marker::last_in_data_collection:
      return "last_in_data_collection";
    case snapshot_marker::last:
      return "last";
    case snapshot_marker::incremental:
      return "incremental";
  }
  return "false";
}

namespace {

schema_ptr snapshot_enum_schema() {
  schema s;
  s.type = schema_type::string;
  s.optional = true;
  s.name = "io.debezium.data.Enum";
  s.version = 1;
  s.parameters = {{"allowed",
                   "true,first,first_in_data_collection,last_in_data_collection,last,false,"
                   "incremental"}};
  s.default_value = data("false");
  return std::make_shared<const schema>(std::move(s));
}

}  // namespace

schema_ptr source_schema() {
  static const schema_ptr s = struct_builder("io.debezium.connector.postgresql.Source")
                                  .version(1)
                                  .field("version", schemas::string())
                                  .field("connector", schemas::string())
                                  .field("name", schemas::string())
                                  .field("ts_ms", schemas::int64())
                                  .field("snapshot", snapshot_enum_schema())
                                  .field("db", schemas::string())
                                  .field("sequence", schemas::optional_string())
                                  .field("ts_us", schemas::optional_int64())
                                  .field("ts_ns", schemas::optional_int64())
                                  .field("schema", schemas::string())
                                  .field("table", schemas::string())
                                  .field("txId", schemas::optional_int64())
                                  .field("lsn", schemas::optional_int64())
                                  .field("xmin", schemas::optional_int64())
                                  .build();
  return s;
}

schema_ptr transaction_block_schema() {
  static const schema_ptr s = struct_builder("event.block")
                                  .version(1)
                                  .optional()
                                  .field("id", schemas::string())
                                  .field("total_order", schemas::int64())
                                  .field("data_collection_order", schemas::int64())
                                  .build();
  return s;
}

data source_value(const source_info& s) {
  auto floor_div = [](std::int64_t a, std::int64_t b) { return a / b - (a % b < 0 ? 1 : 0); };
  data v = data::object();
  v["version"] = std::string(runnel_version());
  v["connector"] = "postgresql";
  v["name"] = s.name;
  v["ts_ms"] = floor_div(s.ts_us, 1000);
  v["snapshot"] = std::string(to_string(s.snapshot));
  v["db"] = s.db;
  if (s.change_lsn) {
    data seq = data::array();
    if (s.last_commit_lsn) {
      seq.push_back(std::to_string(s.last_commit_lsn->value));
    } else {
      seq.push_back(nullptr);
    }
    seq.push_back(std::to_string(s.change_lsn->value));
    v["sequence"] = seq.dump();
  } else {
    v["sequence"] = nullptr;
  }
  v["ts_us"] = s.ts_us;
  v["ts_ns"] = s.ts_us * 1000;
  v["schema"] = s.schema;
  v["table"] = s.table;
  v["txId"] = s.tx_id ? data(*s.tx_id) : data(nullptr);
  v["lsn"] = s.change_lsn ? data(static_cast<std::int64_t>(s.change_lsn->value)) : data(nullptr);
  v["xmin"] = s.xmin ? data(*s.xmin) : data(nullptr);
  return v;
}

}  // namespace runnel::connect::postgres
