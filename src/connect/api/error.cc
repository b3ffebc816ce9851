#include "connect/api/error.h"

namespace runnel::connect {

namespace {

class connect_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "connect"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::retriable:
        return "retriable error";
      case errc::data:
        return "bad record";
      case errc::invalid_config:
        return "invalid configuration";
      case errc::not_found:
        return "not found";
      case errc::conflict:
        return "conflict";
      case errc::bad_request:
        return "bad request";
      case errc::unsupported:
        return "not supported";
      case errc::rebalancing:
        return "rebalance in progress";
      case errc::timeout:
        return "timed out";
      case errc::io:
        return "I/O error";
      case errc::fatal:
        return "failed";
    }
    return "unknown connect error";
  }
};

}  // namespace

const std::error_category& connect_category() {
  static const connect_category_impl c;
  return c;
}

}  // namespace runnel::connect
