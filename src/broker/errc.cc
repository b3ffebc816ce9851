#include "broker/errc.h"

#include <string>

namespace runnel::broker {

namespace {

class broker_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "runnel.broker"; }

  std::string message(int ev) const override {
    switch (static_cast<broker_errc>(ev)) {
      case broker_errc::data_dir_locked:
        return "the data directory is in use by another process";
      case broker_errc::damaged_metadata:
        return "a metadata file in <data-dir>/meta is damaged";
    }
    return "unknown broker error " + std::to_string(ev);
  }
};

}  // namespace

const std::error_category& broker_category() {
  static const broker_category_impl category;
  return category;
}

std::error_code make_error_code(broker_errc e) {
  return {static_cast<int>(e), broker_category()};
}

}  // namespace runnel::broker
