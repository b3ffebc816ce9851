// The one small interface every storage backend of the object-store and
// directory connectors implements: S3 (s3_store.h), Azure Blob Storage
// (azure_blob_store.h) and a local directory (directory_store.h). Discovery,
// the record readers and the sinks see only this.
//
// A store is one bucket, container or directory; keys are '/'-separated
// names inside it. Objects are written whole and replaced whole (the object
// store model): a reader that needs a stable view keeps the etag it listed.
//
// Threading: an instance holds one connection (a libcurl handle) or
// nothing shared; it is used by one thread at a time. Make one per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connect/api/error.h"

namespace runnel::connect::objstore {

struct object_info {
  std::string key;
  int64_t size = 0;
  // The store's entity tag, without quotes: S3's ETag, Azure's Etag, and for
  // a directory the inode and modification time. It changes whenever the
  // content may have changed: with the size it identifies one version of an
  // object for the dedup store.
  std::string etag;
  std::chrono::system_clock::time_point last_modified;
};

struct list_page {
  std::vector<object_info> objects;  // in key order (bytewise)
  // Pass back to list() for the next page; empty on the last page.
  std::string next_token;
};

struct list_request {
  std::string prefix;
  // Only keys that sort after this one (S3's StartAfter; emulated where the
  // store has no such parameter). Ignored when `token` is set.
  std::string start_after;
  std::string token;  // a page's next_token
  int max_keys = 1000;
};

class blob_store {
 public:
  virtual ~blob_store() = default;

  // "s3", "azure" or "directory".
  virtual std::string_view kind() const = 0;
  // The bucket, container or directory path: with the key and etag it names
  // an object everywhere (dedup keys, pointer events, logs).
  virtual const std::string& container() const = 0;

  virtual result<list_page> list(const list_request& req) = 0;
  // errc::not_found when the key does not exist.
  virtual result<object_info> stat(std::string_view key) = 0;
  // Bytes [offset, offset+length) (to the end without a length); fewer when
  // the object is shorter, none at or past its end. `if_etag` (non-empty)
  // makes the read fail with errc::conflict when the object was replaced.
  result<std::string> read(std::string_view key, int64_t offset = 0,
                           std::optional<int64_t> length = std::nullopt,
                           std::string_view if_etag = {}) {
    return read_bytes(key, offset, length, if_etag);
  }
  // Creates or replaces the object whole; readers see the old or the new
  // content, never a part. Returns the new etag.
  virtual result<std::string> write(std::string_view key, std::string_view bytes) = 0;
  // Idempotent: removing a missing object succeeds.
  virtual result<void> remove(std::string_view key) = 0;
  // Server-side where the store can (S3 CopyObject, Azure Copy Blob).
  virtual result<void> copy(std::string_view from, std::string_view to) = 0;
  // copy + remove; a rename where the store has one.
  virtual result<void> move(std::string_view from, std::string_view to);

 protected:
  // read() without default arguments (which would not carry over to the
  // overriding classes).
  virtual result<std::string> read_bytes(std::string_view key, int64_t offset,
                                         std::optional<int64_t> length,
                                         std::string_view if_etag) = 0;
};

}  // namespace runnel::connect::objstore
