#include "stream/state/errc.h"

#include <string>

namespace runnel::stream::state {

namespace {

class state_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "runnel.stream.state"; }

  std::string message(int ev) const override {
    switch (static_cast<state_errc>(ev)) {
      case state_errc::io_error:
        return "state store I/O error";
      case state_errc::corrupt_store:
        return "state store is corrupt";
      case state_errc::store_error:
        return "state store error";
      case state_errc::wrong_kind:
        return "directory holds another kind of state store";
      case state_errc::bad_changelog_key:
        return "malformed changelog key";
      case state_errc::closed:
        return "state store is closed";
    }
    return "unknown state store error " + std::to_string(ev);
  }
};

}  // namespace

const std::error_category& state_category() {
  static const state_category_impl category;
  return category;
}

std::error_code make_error_code(state_errc e) {
  return {static_cast<int>(e), state_category()};
}

}  // namespace runnel::stream::state
