#include "connect/objstore/blob_store.h"

namespace runnel::connect::objstore {

result<void> blob_store::move(std::string_view from, std::string_view to) {
  // Copy first: a crash between the two leaves the object in both places,
  // never in neither.
  CONNECT_TRY(copy(from, to));
  return remove(from);
}

}  // namespace runnel::connect::objstore
