#include "sql/types/jsonb.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "sql/types/decimal.h"

namespace runnel::sql::jsonb {

namespace {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A recursive-descent reader producing canonical text.
struct reader {
  std::string_view s;
  size_t i = 0;
  int depth = 0;

  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }

  // A string's decoded contents.
  bool string(std::string& out) {
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    while (i < s.size()) {
      char c = s[i++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= s.size()) return false;
      char e = s[i++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          auto hex4 = [&](uint32_t& v) {
            if (i + 4 > s.size()) return false;
            v = 0;
            for (int k = 0; k < 4; ++k) {
              char h = s[i++];
              v <<= 4;
              if (h >= '0' && h <= '9')
                v |= uint32_t(h - '0');
              else if (h >= 'a' && h <= 'f')
                v |= uint32_t(h - 'a' + 10);
              else if (h >= 'A' && h <= 'F')
                v |= uint32_t(h - 'A' + 10);
              else
                return false;
            }
            return true;
          };
          uint32_t cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u') {
            i += 2;
            uint32_t lo;
            if (!hex4(lo)) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          if (cp == 0) return false;  // PostgreSQL refuses \u0000 in jsonb
          append_utf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool value(std::string& out) {
    if (++depth > 512) return false;
    ws();
    if (i >= s.size()) return false;
    char c = s[i];
    bool ok;
    if (c == '{')
      ok = object(out);
    else if (c == '[')
      ok = array(out);
    else if (c == '"') {
      std::string str;
      ok = string(str);
      if (ok) out += quote(str);
    } else if (s.compare(i, 4, "true") == 0) {
      i += 4;
      out += "true";
      ok = true;
    } else if (s.compare(i, 5, "false") == 0) {
      i += 5;
      out += "false";
      ok = true;
    } else if (s.compare(i, 4, "null") == 0) {
      i += 4;
      out += "null";
      ok = true;
    } else {
      ok = number(out);
    }
    --depth;
    return ok;
  }

  bool number(std::string& out) {
    size_t b = i;
    if (i < s.size() && s[i] == '-') ++i;
    size_t digits_start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == digits_start) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      size_t f = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      if (i == f) return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      size_t e = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      if (i == e) return false;
    }
    auto text = s.substr(b, i - b);
    if (auto d = dec::parse(text))
      out += dec::to_string(*d);
    else
      out += text;  // beyond 38 digits: kept as written
    return true;
  }

  bool object(std::string& out) {
    ++i;  // {
    std::vector<std::pair<std::string, std::string>> items;
    ws();
    if (i < s.size() && s[i] == '}') {
      ++i;
      out += "{}";
      return true;
    }
    while (true) {
      ws();
      std::string key;
      if (!string(key)) return false;
      ws();
      if (i >= s.size() || s[i] != ':') return false;
      ++i;
      std::string v;
      if (!value(v)) return false;
      items.emplace_back(std::move(key), std::move(v));
      ws();
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == '}') {
        ++i;
        break;
      }
      return false;
    }
    // Shorter keys first, then bytes; the last of equal keys wins.
    std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
      if (a.first.size() != b.first.size()) return a.first.size() < b.first.size();
      return a.first < b.first;
    });
    out += '{';
    bool first = true;
    for (size_t k = 0; k < items.size(); ++k) {
      if (k + 1 < items.size() && items[k + 1].first == items[k].first) continue;
      if (!first) out += ", ";
      first = false;
      out += quote(items[k].first);
      out += ": ";
      out += items[k].second;
    }
    out += '}';
    return true;
  }

  bool array(std::string& out) {
    ++i;  // [
    out += '[';
    ws();
    if (i < s.size() && s[i] == ']') {
      ++i;
      out += ']';
      return true;
    }
    bool first = true;
    while (true) {
      if (!first) out += ", ";
      first = false;
      if (!value(out)) return false;
      ws();
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == ']') {
        ++i;
        out += ']';
        return true;
      }
      return false;
    }
  }
};

// Scans canonical text (no validation needed: we wrote it).
struct scanner {
  std::string_view s;
  size_t i = 0;
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == ':')) ++i;
  }
  // Skips one value starting at i; returns its span.
  std::string_view skip() {
    size_t b = i;
    if (i >= s.size()) return {};
    char c = s[i];
    if (c == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
      ++i;
    } else if (c == '{' || c == '[') {
      int d = 0;
      bool in_str = false;
      for (; i < s.size(); ++i) {
        char x = s[i];
        if (in_str) {
          if (x == '\\')
            ++i;
          else if (x == '"')
            in_str = false;
        } else if (x == '"') {
          in_str = true;
        } else if (x == '{' || x == '[') {
          ++d;
        } else if (x == '}' || x == ']') {
          if (--d == 0) {
            ++i;
            break;
          }
        }
      }
    } else {
      while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']') ++i;
    }
    return s.substr(b, i - b);
  }
};

}  // namespace

std::string quote(std::string_view str) {
  std::string out = "\"";
  for (unsigned char c : str) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::optional<std::string> normalize(std::string_view text) {
  reader r{text};
  std::string out;
  if (!r.value(out)) return std::nullopt;
  r.ws();
  if (r.i != text.size()) return std::nullopt;
  return out;
}

std::optional<std::string_view> get(std::string_view doc, std::string_view key) {
  if (doc.empty() || doc[0] != '{') return std::nullopt;
  scanner sc{doc, 1};
  while (true) {
    sc.ws();
    if (sc.i >= doc.size() || doc[sc.i] == '}') return std::nullopt;
    auto k = sc.skip();
    sc.ws();
    auto v = sc.skip();
    reader kr{k};
    std::string decoded;
    if (kr.string(decoded) && decoded == key) return v;
  }
}

std::optional<std::string_view> at(std::string_view doc, int64_t index) {
  if (doc.empty() || doc[0] != '[') return std::nullopt;
  std::vector<std::string_view> items;
  scanner sc{doc, 1};
  while (true) {
    sc.ws();
    if (sc.i >= doc.size() || doc[sc.i] == ']') break;
    items.push_back(sc.skip());
  }
  if (index < 0) index += static_cast<int64_t>(items.size());
  if (index < 0 || index >= static_cast<int64_t>(items.size())) return std::nullopt;
  return items[static_cast<size_t>(index)];
}

std::optional<std::string> as_text(std::string_view value) {
  if (value == "null") return std::nullopt;
  if (!value.empty() && value[0] == '"') {
    reader r{value};
    std::string out;
    if (r.string(out)) return out;
  }
  return std::string(value);
}

std::string_view type_of(std::string_view v) {
  if (v.empty()) return "null";
  switch (v[0]) {
    case '{':
      return "object";
    case '[':
      return "array";
    case '"':
      return "string";
    case 't':
    case 'f':
      return "boolean";
    case 'n':
      return "null";
    default:
      return "number";
  }
}

}  // namespace runnel::sql::jsonb
