// JSON into and out of user structs, for the JSON serde (serde.h) and for
// users who want to parse or print an event themselves.
//
//   struct page_view { std::string user; int64_t ts = 0; std::optional<std::string> ref; };
//   RUNNEL_JSON(page_view, user, ts, ref)      // at namespace scope, beside the struct
//
//   auto pv = json::parse<page_view>(bytes, &why);   // std::optional<page_view>
//   std::string text = json::to_string(*pv);
//
// Reading goes through the abstract json::value below, implemented in
// src/stream/json_reader.cc over simdjson's on-demand parser, so that this
// header (included by every stream app) does not pull in simdjson. The
// templates here map struct fields to that interface; one virtual call per
// scalar is cheap next to the parse itself. Writing is a small hand-written
// writer (json_writer.cc) that appends to a caller-owned std::string.
//
// The rules for fields (missing, null, unknown, wrong type) are in
// docs/stream/serdes.md. Everything here is thread-safe: each thread parses
// with its own parser.
#pragma once

#include <array>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace runnel::stream::json {

// A non-owning reference to a callable, for the visitors below: no
// allocation and no copy, unlike std::function. Valid only while the
// callable it was made from lives (it is only ever passed down a call).
template <class Signature>
class function_ref;

template <class R, class... Args>
class function_ref<R(Args...)> {
 public:
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, function_ref> &&
           std::is_invocable_r_v<R, F&, Args...>) function_ref(F&& f)
  noexcept  // NOLINT: implicit on purpose, like std::function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

enum class kind : uint8_t { null, boolean, number, string, array, object };

// "a string", "an integer", ...: for error messages.
std::string_view describe(kind k);

// Why a read failed. The reader sets `message` at the value that failed;
// the struct, array and map readers then add where it was on the way out,
// so a reason reads "field 'items[2].price': expected a number, got a string".
// Only touched on the error path.
struct read_error {
  std::string message;
  std::string path;  // empty: the document itself

  void in_field(std::string_view name);  // prepends "name." (or "name" if path is empty)
  void at_index(size_t index);           // prepends "[index]"
  std::string to_string() const;         // the one-line reason
};

// One JSON value being read. Implemented over simdjson's on-demand parser
// (json_reader.cc); a test or another parser may implement it too.
//
// On-demand means forward-only: read each value at most once, with the getter
// of its type. A getter that fails returns false and fills `err`; the value
// and its document are then unusable and the caller gives up. A value (and
// any string_view it hands out) is valid only during the parse that made it.
class value {
 public:
  using field_visitor = function_ref<bool(std::string_view key, value& field)>;
  using element_visitor = function_ref<bool(value& element)>;

  // True if the value is null (and consumes it); false otherwise, including
  // when it is malformed, which the next getter then reports.
  virtual bool is_null() = 0;
  // The value's type without consuming it.
  virtual bool get_kind(kind& out, read_error& err) = 0;
  virtual bool get_bool(bool& out, read_error& err) = 0;
  // Integers only: 1.5 and 1e3 are not integers; out of range is an error.
  virtual bool get_int64(int64_t& out, read_error& err) = 0;
  virtual bool get_uint64(uint64_t& out, read_error& err) = 0;
  // Any number, integers included.
  virtual bool get_double(double& out, read_error& err) = 0;
  // Unescaped, valid UTF-8; points into the parser's buffer.
  virtual bool get_string(std::string_view& out, read_error& err) = 0;
  // Calls `visit` for each field of an object in document order and stops at
  // the first false. Fields the visitor does not read are skipped.
  virtual bool for_each_field(field_visitor visit, read_error& err) = 0;
  virtual bool for_each_element(element_visitor visit, read_error& err) = 0;

 protected:
  value() = default;
  value(const value&) = default;
  value& operator=(const value&) = default;
  ~value() = default;
};

// The writer: each appends one JSON token to `out`.
// Strings: quotes, backslashes and control characters are escaped, other
// bytes pass through; invalid UTF-8 becomes U+FFFD so the output is always
// valid JSON. Doubles: shortest text that reads back to the same value; NaN
// and infinities (which JSON cannot hold) are written as null.
void write_string(std::string& out, std::string_view s);
void write_double(std::string& out, double d);
void write_float(std::string& out, float f);
inline void write_null(std::string& out) {
  out.append("null");
}
inline void write_bool(std::string& out, bool b) {
  out.append(b ? "true" : "false");
}
template <class I>
requires std::is_integral_v<I>
void write_integer(std::string& out, I i) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, i);
  out.append(buffer, result.ptr);
}

namespace detail {

// One entry of the table RUNNEL_JSON makes: a JSON name and a member pointer.
template <class M>
struct field {
  std::string_view name;
  M member;
};
template <class M>
constexpr field<M> make_field(std::string_view name, M member) {
  return {name, member};
}

template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;
template <class T>
inline constexpr bool is_vector = false;
template <class T, class A>
inline constexpr bool is_vector<std::vector<T, A>> = true;
template <class T>
inline constexpr bool is_string_map = false;
template <class V, class C, class A>
inline constexpr bool is_string_map<std::map<std::string, V, C, A>> = true;
template <class V, class H, class E, class A>
inline constexpr bool is_string_map<std::unordered_map<std::string, V, H, E, A>> = true;
template <class T>
inline constexpr bool always_false = false;

bool integer_out_of_range(read_error& err, std::string_view type, std::string_view got);
bool float_out_of_range(read_error& err, double got);

// Parses `json` with the calling thread's parser and calls `read` on the
// root value; false (and `why` set) if the document is malformed, `read`
// fails or there is content after the root value.
bool parse_document(std::string_view json, function_ref<bool(value&, read_error&)> read,
                    std::string* why);

}  // namespace detail

// A type declared with RUNNEL_JSON.
template <class T>
concept described = requires {
  runnel_json_fields(static_cast<const T*>(nullptr));
};

// A type with its own mapping: ADL-visible functions
//   bool runnel_json_read(json::value&, T&, json::read_error&);
//   void runnel_json_write(std::string&, const T&);
template <class T>
concept custom = requires(value& v, T& t, read_error& err, std::string& out) {
  { runnel_json_read(v, t, err) } -> std::same_as<bool>;
  runnel_json_write(out, static_cast<const T&>(t));
};

template <class T>
bool read(value& v, T& out, read_error& err);
template <class T>
void write(std::string& out, const T& v);

namespace detail {

template <class T>
inline constexpr auto fields_of = runnel_json_fields(static_cast<const T*>(nullptr));
template <class T>
inline constexpr size_t field_count = std::tuple_size_v<std::remove_cv_t<decltype(fields_of<T>)>>;

template <class T, size_t I>
bool read_member(value& v, T& out, read_error& err) {
  return json::read(v, out.*(std::get<I>(fields_of<T>).member), err);
}

template <class T>
bool read_struct(value& v, T& out, read_error& err) {
  constexpr size_t n = field_count<T>;
  static constexpr auto names = []<size_t... I>(std::index_sequence<I...>) {
    return std::array<std::string_view, n>{std::get<I>(fields_of<T>).name...};
  }
  (std::make_index_sequence<n>{});
  using reader = bool (*)(value&, T&, read_error&);
  static constexpr auto readers = []<size_t... I>(std::index_sequence<I...>) {
    return std::array<reader, n>{&read_member<T, I>...};
  }
  (std::make_index_sequence<n>{});

  // Producers usually write fields in declaration order, so the search
  // starts after the last match: one comparison per field in the common case.
  size_t next = 0;
  return v.for_each_field(
      [&](std::string_view key, value& field) {
        size_t i = next;
        for (size_t tried = 1; names[i] != key; ++tried) {
          if (tried == n) return true;  // unknown field: skipped
          i = i + 1 == n ? 0 : i + 1;
        }
        next = i + 1 == n ? 0 : i + 1;
        if (!readers[i](field, out, err)) {
          err.in_field(names[i]);
          return false;
        }
        return true;
      },
      err);
}

template <class T>
void write_struct(std::string& out, const T& v) {
  out.push_back('{');
  [&]<size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          if constexpr (I > 0) out.push_back(',');
          // Names are C++ identifiers: nothing to escape.
          out.push_back('"');
          out.append(std::get<I>(fields_of<T>).name);
          out.append("\":");
          json::write(out, v.*(std::get<I>(fields_of<T>).member));
        }(),
        ...);
  }
  (std::make_index_sequence<field_count<T>>{});
  out.push_back('}');
}

}  // namespace detail

// Reads `v` into `out`; false with `err` set if it does not fit. `out`
// should start default-constructed: fields missing from an object keep the
// value they have.
template <class T>
bool read(value& v, T& out, read_error& err) {
  if constexpr (std::is_same_v<T, bool>) {
    return v.get_bool(out, err);
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    int64_t i = 0;
    if (!v.get_int64(i, err)) return false;
    if (i < std::numeric_limits<T>::min() || i > std::numeric_limits<T>::max()) {
      return detail::integer_out_of_range(
          err, "a signed " + std::to_string(sizeof(T) * 8) + "-bit integer", std::to_string(i));
    }
    out = static_cast<T>(i);
    return true;
  } else if constexpr (std::is_integral_v<T>) {
    uint64_t u = 0;
    if (!v.get_uint64(u, err)) return false;
    if (u > std::numeric_limits<T>::max()) {
      return detail::integer_out_of_range(
          err, "an unsigned " + std::to_string(sizeof(T) * 8) + "-bit integer", std::to_string(u));
    }
    out = static_cast<T>(u);
    return true;
  } else if constexpr (std::is_same_v<T, double>) {
    return v.get_double(out, err);
  } else if constexpr (std::is_same_v<T, float>) {
    double d = 0;
    if (!v.get_double(d, err)) return false;
    if (d > std::numeric_limits<float>::max() || d < std::numeric_limits<float>::lowest()) {
      return detail::float_out_of_range(err, d);
    }
    out = static_cast<float>(d);
    return true;
  } else if constexpr (std::is_same_v<T, std::string>) {
    std::string_view s;
    if (!v.get_string(s, err)) return false;
    out.assign(s);
    return true;
  } else if constexpr (detail::is_optional<T>) {
    if (v.is_null()) {
      out.reset();
      return true;
    }
    return json::read(v, out.emplace(), err);
  } else if constexpr (detail::is_vector<T>) {
    out.clear();
    size_t index = 0;
    return v.for_each_element(
        [&](value& element) {
          bool ok;
          if constexpr (std::is_same_v<typename T::value_type, bool>) {
            bool b = false;  // vector<bool> has no bool& to read into
            ok = element.get_bool(b, err);
            if (ok) out.push_back(b);
          } else {
            ok = json::read(element, out.emplace_back(), err);
          }
          if (!ok) err.at_index(index);
          ++index;
          return ok;
        },
        err);
  } else if constexpr (detail::is_string_map<T>) {
    out.clear();
    return v.for_each_field(
        [&](std::string_view key, value& field) {
          // A repeated key: the last one wins, as for struct fields.
          auto& slot = out[std::string(key)];
          slot = typename T::mapped_type{};
          if (!json::read(field, slot, err)) {
            err.in_field(key);
            return false;
          }
          return true;
        },
        err);
  } else if constexpr (custom<T>) {
    return runnel_json_read(v, out, err);
  } else if constexpr (described<T>) {
    return detail::read_struct(v, out, err);
  } else {
    static_assert(detail::always_false<T>,
                  "runnel::stream::json: no JSON mapping for this type (declare it with "
                  "RUNNEL_JSON, or give it runnel_json_read/runnel_json_write)");
    return false;
  }
}

// Appends the JSON text of `v` to `out`.
template <class T>
void write(std::string& out, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    write_bool(out, v);
  } else if constexpr (std::is_integral_v<T>) {
    write_integer(out, v);
  } else if constexpr (std::is_same_v<T, double>) {
    write_double(out, v);
  } else if constexpr (std::is_same_v<T, float>) {
    write_float(out, v);
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
    write_string(out, v);
  } else if constexpr (detail::is_optional<T>) {
    if (v) {
      json::write(out, *v);
    } else {
      write_null(out);
    }
  } else if constexpr (detail::is_vector<T>) {
    out.push_back('[');
    bool first = true;
    for (const auto& element : v) {
      if (!first) out.push_back(',');
      first = false;
      json::write(out, static_cast<const typename T::value_type&>(element));
    }
    out.push_back(']');
  } else if constexpr (detail::is_string_map<T>) {
    out.push_back('{');
    bool first = true;
    for (const auto& [key, element] : v) {
      if (!first) out.push_back(',');
      first = false;
      write_string(out, key);
      out.push_back(':');
      json::write(out, element);
    }
    out.push_back('}');
  } else if constexpr (custom<T>) {
    runnel_json_write(out, v);
  } else if constexpr (described<T>) {
    detail::write_struct(out, v);
  } else {
    static_assert(detail::always_false<T>,
                  "runnel::stream::json: no JSON mapping for this type (declare it with "
                  "RUNNEL_JSON, or give it runnel_json_read/runnel_json_write)");
  }
}

// Parses one JSON document into a T (a RUNNEL_JSON struct, or any type
// read() supports). nullopt if the text is not valid JSON or does not fit T;
// `why` (if given) then says why in one line.
template <class T>
std::optional<T> parse(std::string_view json, std::string* why = nullptr) {
  std::optional<T> result(std::in_place);
  bool ok = detail::parse_document(
      json, [&](value& root, read_error& err) { return json::read(root, *result, err); }, why);
  if (!ok) result.reset();
  return result;
}

template <class T>
std::string to_string(const T& v) {
  std::string out;
  json::write(out, v);
  return out;
}

// The name RUNNEL_JSON gave T, for error messages ("PageView").
template <described T>
constexpr std::string_view type_name() {
  return runnel_json_name(static_cast<const T*>(nullptr));
}

}  // namespace runnel::stream::json

// A preprocessor for-each over any number of arguments (up to 256): each
// RUNNEL_PP_EXPAND level rescans its argument, and the helper re-queues
// itself through RUNNEL_PP_PARENS so it is expanded by the next rescan.
#define RUNNEL_PP_PARENS ()
#define RUNNEL_PP_EXPAND(...) \
  RUNNEL_PP_EXPAND3(RUNNEL_PP_EXPAND3(RUNNEL_PP_EXPAND3(RUNNEL_PP_EXPAND3(__VA_ARGS__))))
#define RUNNEL_PP_EXPAND3(...) \
  RUNNEL_PP_EXPAND2(RUNNEL_PP_EXPAND2(RUNNEL_PP_EXPAND2(RUNNEL_PP_EXPAND2(__VA_ARGS__))))
#define RUNNEL_PP_EXPAND2(...) \
  RUNNEL_PP_EXPAND1(RUNNEL_PP_EXPAND1(RUNNEL_PP_EXPAND1(RUNNEL_PP_EXPAND1(__VA_ARGS__))))
#define RUNNEL_PP_EXPAND1(...) __VA_ARGS__
#define RUNNEL_PP_FOR_EACH(macro, arg, ...) \
  __VA_OPT__(RUNNEL_PP_EXPAND(RUNNEL_PP_FOR_EACH_HELPER(macro, arg, __VA_ARGS__)))
#define RUNNEL_PP_FOR_EACH_HELPER(macro, arg, first, ...) \
  macro(arg, first) __VA_OPT__(, RUNNEL_PP_FOR_EACH_AGAIN RUNNEL_PP_PARENS(macro, arg, __VA_ARGS__))
#define RUNNEL_PP_FOR_EACH_AGAIN() RUNNEL_PP_FOR_EACH_HELPER

#define RUNNEL_JSON_FIELD_(Type, member) \
  ::runnel::stream::json::detail::make_field(#member, &Type::member)

// Declares the JSON mapping of struct Type: the listed public members, by
// their own names. Put it at namespace scope in Type's namespace (the
// functions it defines are found by argument-dependent lookup). Type must be
// default-constructible.
#define RUNNEL_JSON(Type, ...)                                                           \
  inline constexpr auto runnel_json_fields(const Type*) {                                \
    return ::std::make_tuple(RUNNEL_PP_FOR_EACH(RUNNEL_JSON_FIELD_, Type, __VA_ARGS__)); \
  }                                                                                      \
  inline constexpr ::std::string_view runnel_json_name(const Type*) {                    \
    return #Type;                                                                        \
  }
