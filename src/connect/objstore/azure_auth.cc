#include "connect/objstore/azure_auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <vector>

#include <fmt/format.h>

namespace runnel::connect::objstore {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return out;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit((unsigned char)s[i + 1]) &&
        std::isxdigit((unsigned char)s[i + 2])) {
      out.push_back(char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return std::string(v);
}

std::string rfc1123_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()));
  out.resize(size_t(n));
  return out;
}

result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return make_error(errc::bad_request, "not base64 (length)");
  std::string out(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), int(text.size()));
  if (n < 0) return make_error(errc::bad_request, "not base64");
  // EVP_DecodeBlock counts the padding as decoded zero bytes.
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(size_t(n) - pad);
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &n);
  return std::string(reinterpret_cast<char*>(mac), n);
}

std::string azure_string_to_sign(const http_request& r, std::string_view account) {
  std::map<std::string, std::string> standard;  // the fixed lines, by lower-case name
  std::map<std::string, std::string> ms;        // x-ms-*, sorted by name
  for (const auto& h : r.headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos) continue;
    auto name = lower(std::string_view(h).substr(0, colon));
    auto value = trim(std::string_view(h).substr(colon + 1));
    if (name.starts_with("x-ms-")) {
      ms[name] = value;
    } else {
      standard[name] = value;
    }
  }
  auto get = [&standard](const char* n) {
    auto it = standard.find(n);
    return it == standard.end() ? std::string() : it->second;
  };
  // Since version 2015-02-21 a zero Content-Length is signed as empty.
  std::string length;
  if ((r.method == "PUT" || r.method == "POST") && !r.body.empty()) {
    length = std::to_string(r.body.size());
  }
  std::string s =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n", r.method,
                  get("content-encoding"), get("content-language"), length, get("content-md5"),
                  get("content-type"), get("date"), get("if-modified-since"), get("if-match"),
                  get("if-none-match"), get("if-unmodified-since"), get("range"));
  for (const auto& [name, value] : ms) s += fmt::format("{}:{}\n", name, value);

  // Canonicalized resource: /account/path, then each query parameter on its
  // own line, names lower-cased and sorted, values decoded.
  std::string_view url = r.url;
  auto scheme = url.find("://");
  auto path_start = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  std::string_view path_query =
      path_start == std::string_view::npos ? std::string_view("/") : url.substr(path_start);
  auto q = path_query.find('?');
  std::string_view path = path_query.substr(0, q);
  s += fmt::format("/{}{}", account, path);
  if (q != std::string_view::npos) {
    std::map<std::string, std::vector<std::string>> params;
    std::string_view query = path_query.substr(q + 1);
    while (!query.empty()) {
      auto amp = query.find('&');
      auto part = query.substr(0, amp);
      auto eq = part.find('=');
      auto name = lower(url_decode(part.substr(0, eq)));
      auto value = eq == std::string_view::npos ? std::string() : url_decode(part.substr(eq + 1));
      if (!name.empty()) params[name].push_back(value);
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
    for (auto& [name, values] : params) {
      std::sort(values.begin(), values.end());
      s += fmt::format("\n{}:{}", name, fmt::join(values, ","));
    }
  }
  return s;
}

result<azure_signer> azure_signer::make(azure_credentials creds) {
  if (creds.account.empty())
    return make_error(errc::invalid_config, "Azure: no account name given");
  if (!creds.sas_token.empty() && creds.sas_token.front() == '?') creds.sas_token.erase(0, 1);
  if (creds.account_key.empty() == creds.sas_token.empty()) {
    return make_error(errc::invalid_config,
                      "Azure: give either an account key (Shared Key) or a SAS token");
  }
  std::string key;
  if (!creds.account_key.empty()) {
    auto decoded = base64_decode(creds.account_key);
    if (!decoded || decoded.value().empty()) {
      return make_error(errc::invalid_config, "Azure: the account key is not base64");
    }
    key = std::move(decoded).value();
  }
  return azure_signer(std::move(creds), std::move(key));
}

std::string azure_signer::with_sas(std::string url) const {
  if (!uses_sas()) return url;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += creds_.sas_token;
  return url;
}

void azure_signer::sign(http_request& r) const {
  r.headers.push_back("x-ms-date: " + rfc1123_now());
  r.headers.push_back(fmt::format("x-ms-version: {}", azure_api_version));
  if (uses_sas()) {
    r.url = with_sas(std::move(r.url));
    return;
  }
  auto signature = base64_encode(hmac_sha256(key_, azure_string_to_sign(r, creds_.account)));
  r.headers.push_back(fmt::format("Authorization: SharedKey {}:{}", creds_.account, signature));
}

}  // namespace runnel::connect::objstore
