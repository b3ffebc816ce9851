#include "connect/postgres/table_schema.h"

#include <algorithm>

#include "connect/postgres/source_info.h"
#include "connect/postgres/value_mapping.h"

namespace runnel::connect::postgres {

namespace {

// What Debezium puts in a required column it has no value for (a key-only
// old row): the zero of the column's Connect type.
data zero_of(const schema_ptr& s) {
  switch (s->type) {
    case schema_type::int8:
    case schema_type::int16:
    case schema_type::int32:
    case schema_type::int64:
      return data(0);
    case schema_type::float32:
    case schema_type::float64:
      return data(0.0);
    case schema_type::boolean:
      return data(false);
    case schema_type::string:
      return data("");
    case schema_type::bytes:
      // Decimal's zero is one zero byte (BigInteger.ZERO.toByteArray()).
      return make_bytes(s->name && *s->name == logical::decimal ? std::string(1, '\0') : "");
    case schema_type::array:
      return data::array();
    case schema_type::map:
      return data::object();
    case schema_type::struct_: {
      data v = data::object();
      for (const auto& f : s->fields) {
        v[f.name] = f.schema->optional ? data(nullptr) : zero_of(f.schema);
      }
      return v;
    }
  }
  return data(nullptr);
}

result<data> column_data(const column_def& c, const value& v) {
  if (v.what == value::kind::binary) {
    return make_error(errc::data, "postgres: column " + c.name +
                                      ": a binary-format value, but the stream was asked "
                                      "for text values");
  }
  return column_value(c, v.data);
}

}  // namespace

std::string sanitize_topic(std::string_view name) {
  std::string out(name);
  for (auto& ch : out) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-';
    if (!ok) {
      ch = '_';
    }
  }
  return out;
}

table_schema table_schema::make(const relation& r, const std::string& topic_prefix,
                                const std::optional<table_catalog>& catalog) {
  table_schema t;
  t.rel_ = r;
  auto full_name = topic_prefix + "." + r.schema + "." + r.name;
  t.topic_ = sanitize_topic(full_name);

  if (catalog) {
    for (const auto& k : catalog->primary_key) {
      for (std::size_t i = 0; i < r.columns.size(); ++i) {
        if (r.columns[i].name == k) {
          t.keys_.push_back(i);
        }
      }
    }
  } else if (r.identity != replica_identity::full) {
    for (std::size_t i = 0; i < r.columns.size(); ++i) {
      if (r.columns[i].part_of_key) {
        t.keys_.push_back(i);
      }
    }
  }
  auto is_key = [&](std::size_t i) {
    return std::find(t.keys_.begin(), t.keys_.end(), i) != t.keys_.end();
  };

  struct_builder value(full_name + ".Value");
  value.optional();
  for (std::size_t i = 0; i < r.columns.size(); ++i) {
    const auto& c = r.columns[i];
    bool optional = catalog ? !catalog->not_null.contains(c.name) && !is_key(i) : !c.part_of_key;
    t.optional_.push_back(optional);
    value.field(c.name, column_schema(c, optional));
  }
  t.value_schema_ = value.build();

  if (!t.keys_.empty()) {
    struct_builder key(full_name + ".Key");
    for (auto i : t.keys_) {
      key.field(r.columns[i].name, column_schema(r.columns[i], false));
    }
    t.key_schema_ = key.build();
  }

  t.envelope_schema_ = struct_builder(full_name + ".Envelope")
                           .version(2)
                           .field("before", t.value_schema_)
                           .field("after", t.value_schema_)
                           .field("source", source_schema())
                           .field("transaction", transaction_block_schema())
                           .field("op", schemas::string())
                           .field("ts_ms", schemas::optional_int64())
                           .field("ts_us", schemas::optional_int64())
                           .field("ts_ns", schemas::optional_int64())
                           .build();
  return t;
}

result<data> table_schema::row(const tuple& t, const tuple* fallback) const {
  if (t.size() != rel_.columns.size()) {
    return make_error(errc::data, "postgres: a row of " + rel_.schema + "." + rel_.name + " has " +
                                      std::to_string(t.size()) + " columns, its relation " +
                                      std::to_string(rel_.columns.size()));
  }
  data out = data::object();
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto& c = rel_.columns[i];
    const auto& fs = value_schema_->fields[i].schema;
    const value* v = &t[i];
    if (v->what == value::kind::unchanged_toast && fallback && i < fallback->size() &&
        ((*fallback)[i].what == value::kind::text || (*fallback)[i].what == value::kind::binary)) {
      v = &(*fallback)[i];
    }
    switch (v->what) {
      case value::kind::text:
      case value::kind::binary: {
        BOOST_OUTCOME_TRY(auto d, column_data(c, *v));
        if (d.is_null() && !fs->optional) {
          d = zero_of(fs);
        }
        out[c.name] = std::move(d);
        break;
      }
      case value::kind::unchanged_toast: {
        auto d = unavailable_placeholder(c);
        out[c.name] = d.is_null() && !fs->optional ? zero_of(fs) : std::move(d);
        break;
      }
      case value::kind::null:
        out[c.name] = fs->optional ? data(nullptr) : zero_of(fs);
        break;
    }
  }
  return out;
}

result<data> table_schema::key(const tuple& t) const {
  if (!key_schema_) {
    return data(nullptr);
  }
  data out = data::object();
  for (std::size_t n = 0; n < keys_.size(); ++n) {
    auto i = keys_[n];
    const auto& c = rel_.columns[i];
    if (i >= t.size() || (t[i].what != value::kind::text && t[i].what != value::kind::binary)) {
      return make_error(errc::data, "postgres: a change of " + rel_.schema + "." + rel_.name +
                                        " carries no value for its key column " + c.name);
    }
    BOOST_OUTCOME_TRY(auto d, column_data(c, t[i]));
    out[c.name] = std::move(d);
  }
  return out;
}

}  // namespace runnel::connect::postgres
