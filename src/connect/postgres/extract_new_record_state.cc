// Debezium's ExtractNewRecordState single message transformation
// (io.debezium.transforms.ExtractNewRecordState): a change event's envelope
// becomes the row it leaves behind — the `after` struct for creates,
// updates and snapshot reads — so that sinks that expect plain rows (the
// JDBC sink's upsert and delete) take CDC topics, as Debezium documents for
// Confluent's JDBC sink.
//
// delete.tombstone.handling.mode (Debezium 2.5+ and 3.x): `tombstone` (the
// default: a delete becomes a tombstone, tombstones are kept), `drop`
// (deletes and tombstones are dropped), `rewrite` (a delete becomes its
// `before` row with `__deleted: "true"`, every other row gets
// `__deleted: "false"`; tombstones dropped), `rewrite-with-tombstone` (as
// rewrite, tombstones kept). Truncates are dropped. A record that is not a
// change event (a heartbeat) passes unchanged. Not supported: add.fields,
// add.headers, route.by.field.
#include "connect/api/plugins.h"
#include "connect/api/transformation.h"

namespace runnel::connect {

void register_extract_new_record_state(plugin_registry& r);

namespace {

const config_def& unwrap_config() {
  static const config_def def = [] {
    config_def d;
    d.define({.name = "delete.tombstone.handling.mode",
              .type = config_type::string,
              .default_value = config_default::of("tombstone"),
              .importance = config_importance::medium,
              .documentation = "What deletes and tombstones become: tombstone, drop, rewrite or "
                               "rewrite-with-tombstone.",
              .validator =
                  validators::one_of({"tombstone", "drop", "rewrite", "rewrite-with-tombstone"})});
    return d;
  }();
  return def;
}

class extract_new_record_state final : public transformation {
 public:
  const config_def& config() const override { return unwrap_config(); }

  result<void> configure(const config_map& props) override {
    CONNECT_TRY(auto c, unwrap_config().parse(props));
    auto m = c.get_string("delete.tombstone.handling.mode");
    rewrite_ = m.starts_with("rewrite");
    keep_tombstones_ = m == "tombstone" || m == "rewrite-with-tombstone";
    deletes_to_tombstones_ = m == "tombstone";
    return ok();
  }

  result<bool> apply(connect_record& r) override {
    if (r.value.is_null()) {
      return keep_tombstones_;
    }
    if (!r.value.is_object() || !r.value.contains("op") || !r.value.contains("after") ||
        !r.value["op"].is_string()) {
      return true;  // not a change event
    }
    const auto op = r.value["op"].get<std::string>();
    if (op == "t" || op == "m") {
      return false;
    }
    const bool deleted = op == "d";
    if (deleted && !rewrite_) {
      if (!deletes_to_tombstones_) {
        return false;
      }
      r.value = nullptr;
      r.value_schema = nullptr;
      return true;
    }
    schema_ptr row_schema;
    if (r.value_schema) {
      const auto* f = r.value_schema->find_field(deleted ? "before" : "after");
      if (f == nullptr) {
        return make_error(errc::data, "ExtractNewRecordState: the envelope has no " +
                                          std::string(deleted ? "before" : "after") + " field");
      }
      row_schema = f->schema;
    }
    data row = r.value[deleted ? "before" : "after"];
    if (rewrite_) {
      if (row.is_null()) row = data::object();
      row["__deleted"] = deleted ? "true" : "false";
      if (row_schema) {
        row_schema = with_deleted(row_schema);
      }
    }
    r.value = std::move(row);
    r.value_schema = row_schema ? with_optional(row_schema, false) : nullptr;
    return true;
  }

 private:
  // The row schema with Debezium's __deleted field (cached per schema).
  schema_ptr with_deleted(const schema_ptr& s) {
    if (s != cached_in_) {
      struct_builder b(s->name);
      for (const auto& f : s->fields) b.field(f.name, f.schema);
      b.field("__deleted", schemas::optional_string());
      cached_in_ = s;
      cached_out_ = b.optional(s->optional).build();
    }
    return cached_out_;
  }

  bool rewrite_ = false;
  bool keep_tombstones_ = true;
  bool deletes_to_tombstones_ = true;
  schema_ptr cached_in_, cached_out_;
};

}  // namespace

void register_extract_new_record_state(plugin_registry& r) {
  r.add({.class_name = "io.debezium.transforms.ExtractNewRecordState",
         .type = plugin_type::transformation,
         .make = [] { return std::make_unique<extract_new_record_state>(); }});
}

}  // namespace runnel::connect
