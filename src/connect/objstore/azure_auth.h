// Azure Storage authorization (Blob and Queue services): Shared Key, the
// account key signing each request (HMAC-SHA256 over Azure's
// string-to-sign, with OpenSSL), or a SAS token appended to every URL.
// https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key
#pragma once

#include <string>
#include <string_view>

#include "connect/api/error.h"
#include "connect/objstore/http.h"

namespace runnel::connect::objstore {

// The service version every request asks for (x-ms-version).
inline constexpr std::string_view azure_api_version = "2021-08-06";

struct azure_credentials {
  std::string account;
  std::string account_key;  // base64, as the portal shows it; empty with SAS
  std::string sas_token;    // "sv=...&sig=..." (a leading '?' is dropped)
};

class azure_signer {
 public:
  // errc::invalid_config when neither or both are given, or the key is not
  // base64.
  static result<azure_signer> make(azure_credentials creds);

  // Adds x-ms-date and x-ms-version and then the Authorization header, or
  // the SAS token to the URL. Call last: the signature covers the method,
  // the URL and the headers as they are.
  void sign(http_request& r) const;

  const std::string& account() const { return creds_.account; }
  bool uses_sas() const { return key_.empty(); }
  // `url` with the SAS token appended (unchanged with Shared Key).
  std::string with_sas(std::string url) const;

 private:
  azure_signer(azure_credentials creds, std::string key)
      : creds_(std::move(creds)), key_(std::move(key)) {}

  azure_credentials creds_;
  std::string key_;  // the decoded account key
};

// Azure's string-to-sign for Shared Key (exposed for the unit test).
std::string azure_string_to_sign(const http_request& r, std::string_view account);

std::string base64_encode(std::string_view bytes);
// nullopt-like: errc::bad_request when `text` is not base64.
result<std::string> base64_decode(std::string_view text);
std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace runnel::connect::objstore
