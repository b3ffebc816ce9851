// json::value over simdjson's on-demand parser, and json::parse's document
// loop. The only place simdjson is included (with json_writer.cc): it is a
// large header, and json.h keeps it out of every stream app's build.
#include <simdjson.h>

#include <cstring>
#include <memory>
#include <string>

#include "runnel/stream/json.h"

namespace runnel::stream::json {

namespace ondemand = simdjson::ondemand;

std::string_view describe(kind k) {
  switch (k) {
    case kind::null:
      return "null";
    case kind::boolean:
      return "a boolean";
    case kind::number:
      return "a number";
    case kind::string:
      return "a string";
    case kind::array:
      return "an array";
    case kind::object:
      return "an object";
  }
  return "a value";
}

void read_error::in_field(std::string_view name) {
  if (path.empty() || path.front() == '[') {
    path.insert(0, name);
  } else {
    path.insert(0, std::string(name) + ".");
  }
}

void read_error::at_index(size_t index) {
  std::string step = "[" + std::to_string(index) + "]";
  if (!path.empty() && path.front() != '[') step.push_back('.');
  path.insert(0, step);
}

std::string read_error::to_string() const {
  if (path.empty()) return message;
  return "field '" + path + "': " + message;
}

namespace detail {

bool integer_out_of_range(read_error& err, std::string_view type, std::string_view got) {
  err.message = std::string(got) + " is out of range for " + std::string(type);
  return false;
}

bool float_out_of_range(read_error& err, double got) {
  err.message = std::to_string(got) + " is out of range for a float";
  return false;
}

}  // namespace detail

namespace {

std::optional<kind> to_kind(ondemand::json_type t) {
  switch (t) {
    case ondemand::json_type::null:
      return kind::null;
    case ondemand::json_type::boolean:
      return kind::boolean;
    case ondemand::json_type::number:
      return kind::number;
    case ondemand::json_type::string:
      return kind::string;
    case ondemand::json_type::array:
      return kind::array;
    case ondemand::json_type::object:
      return kind::object;
  }
  return std::nullopt;
}

std::string invalid_json(simdjson::error_code e) {
  return std::string("invalid JSON: ") + simdjson::error_message(e);
}

// V is ondemand::value, or ondemand::document for the root (a document is
// not a value in simdjson: a root scalar has its own code path there).
template <class V>
class simd_value final : public value {
 public:
  explicit simd_value(V& v) : v_(v) {}

  bool is_null() override {
    bool null = false;
    return v_.is_null().get(null) == simdjson::SUCCESS && null;
  }

  bool get_kind(kind& out, read_error& err) override {
    ondemand::json_type t;
    if (auto e = v_.type().get(t)) {
      err.message = invalid_json(e);
      return false;
    }
    std::optional<kind> k = to_kind(t);
    if (!k) {
      err.message = invalid_json(simdjson::TAPE_ERROR);
      return false;
    }
    out = *k;
    return true;
  }

  bool get_bool(bool& out, read_error& err) override {
    return check(v_.get_bool().get(out), kind::boolean, "a boolean", err);
  }
  bool get_int64(int64_t& out, read_error& err) override {
    return check(v_.get_int64().get(out), kind::number, "a signed 64-bit integer", err);
  }
  bool get_uint64(uint64_t& out, read_error& err) override {
    return check(v_.get_uint64().get(out), kind::number, "an unsigned 64-bit integer", err);
  }
  bool get_double(double& out, read_error& err) override {
    return check(v_.get_double().get(out), kind::number, "a number", err);
  }
  bool get_string(std::string_view& out, read_error& err) override {
    return check(v_.get_string().get(out), kind::string, "a string", err);
  }

  bool for_each_field(field_visitor visit, read_error& err) override {
    ondemand::object object;
    if (!check(v_.get_object().get(object), kind::object, "an object", err)) return false;
    for (auto result : object) {
      ondemand::field field;
      std::string_view key;
      if (auto e = std::move(result).get(field)) return fail(e, err);
      if (auto e = field.unescaped_key().get(key)) return fail(e, err);
      simd_value<ondemand::value> child(field.value());
      if (!visit(key, child)) return false;
    }
    return true;
  }

  bool for_each_element(element_visitor visit, read_error& err) override {
    ondemand::array array;
    if (!check(v_.get_array().get(array), kind::array, "an array", err)) return false;
    for (auto result : array) {
      ondemand::value element;
      if (auto e = std::move(result).get(element)) return fail(e, err);
      simd_value<ondemand::value> child(element);
      if (!visit(child)) return false;
    }
    return true;
  }

 private:
  static bool fail(simdjson::error_code e, read_error& err) {
    err.message = invalid_json(e);
    return false;
  }

  // On a type mismatch the message names what was there instead; simdjson
  // leaves the value unconsumed, so its type can still be asked.
  bool check(simdjson::error_code e, kind wanted, std::string_view wanted_text, read_error& err) {
    if (e == simdjson::SUCCESS) return true;
    if (e == simdjson::NUMBER_OUT_OF_RANGE) {
      err.message = "number out of range for " + std::string(wanted_text);
      return false;
    }
    if (e != simdjson::INCORRECT_TYPE) return fail(e, err);
    err.message = "expected " + std::string(wanted_text);
    ondemand::json_type t;
    if (v_.type().get(t) != simdjson::SUCCESS) return false;
    std::optional<kind> got = to_kind(t);
    if (!got) return false;
    if (*got == wanted && wanted == kind::number) {
      // get_int64 on 1.5, or get_uint64 on -1.
      ondemand::number_type nt;
      if (v_.get_number_type().get(nt) == simdjson::SUCCESS &&
          nt == ondemand::number_type::signed_integer) {
        err.message += ", got a negative integer";
      } else {
        err.message += ", got a number with a fraction or exponent";
      }
    } else if (*got != wanted) {
      err.message += ", got " + std::string(describe(*got));
    }
    return false;
  }

  V& v_;
};

// simdjson reads up to SIMDJSON_PADDING bytes past the end of its input;
// the bytes we are handed (a Kafka record) have no such slack, so they are
// copied into a padded buffer the thread keeps. At a few hundred bytes per
// event the copy costs little next to the parse.
struct thread_parser {
  ondemand::parser parser;
  std::unique_ptr<char[]> buffer;
  size_t capacity = 0;
  bool busy = false;

  void release() {
    parser = ondemand::parser();
    buffer.reset();
    capacity = 0;
  }

  const char* pad(std::string_view json) {
    size_t need = json.size() + simdjson::SIMDJSON_PADDING;
    if (need > capacity) {
      size_t grown = std::max(need, capacity * 2);
      buffer = std::make_unique_for_overwrite<char[]>(grown);
      capacity = grown;
    }
    std::memcpy(buffer.get(), json.data(), json.size());
    std::memset(buffer.get() + json.size(), 0, simdjson::SIMDJSON_PADDING);
    return buffer.get();
  }
};

// Buffers above this are dropped after the parse; events are far smaller.
constexpr size_t kept_capacity = size_t{1} << 20;

bool parse_with(thread_parser& tp, std::string_view json,
                function_ref<bool(value&, read_error&)> read, std::string* why) {
  read_error err;
  const char* padded = tp.pad(json);
  ondemand::document doc;
  if (auto e = tp.parser.iterate(padded, json.size(), tp.capacity).get(doc)) {
    err.message = invalid_json(e);
  } else {
    simd_value<ondemand::document> root(doc);
    if (read(root, err)) {
      // On-demand stops reading at the end of the root value; anything after
      // it ("{} x") would otherwise pass unnoticed.
      const char* rest = nullptr;
      if (doc.current_location().get(rest) == simdjson::OUT_OF_BOUNDS) return true;
      err.message = invalid_json(simdjson::TRAILING_CONTENT);
      err.path.clear();
    }
  }
  if (why) *why = err.to_string();
  return false;
}

}  // namespace

namespace detail {

bool parse_document(std::string_view json, function_ref<bool(value&, read_error&)> read,
                    std::string* why) {
  thread_local thread_parser mine;
  if (!mine.busy) {
    mine.busy = true;
    bool ok = parse_with(mine, json, read, why);
    mine.busy = false;
    if (mine.capacity > kept_capacity) {
      // One huge record should not pin its size in every thread for good.
      mine.release();
    }
    return ok;
  }
  // A parse inside a parse on this thread (a custom runnel_json_read that
  // parses an embedded document): the thread's parser is in use, so this one
  // gets its own.
  thread_parser nested;
  return parse_with(nested, json, read, why);
}

}  // namespace detail

}  // namespace runnel::stream::json
