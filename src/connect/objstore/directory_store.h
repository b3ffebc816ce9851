// A local directory behind blob_store: keys are paths relative to the root
// ("2026/12/03/a.json"). Writes are atomic (a hidden temporary file in the
// same directory, fsync, rename, fsync of the directory), so a reader never
// sees half a file and a crash leaves the old file or the new one.
//
// The etag of a file is its inode and modification time (ns): it changes
// when the file is replaced or modified. Files whose names start with
// ".runnel-tmp-" (this store's own temporaries) are not listed.
//
// Keys are checked: absolute paths, empty segments, "." and ".." are
// refused (errc::bad_request), so no key reaches outside the root.
//
// Threading: any number of instances and threads; the file system orders
// the operations.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "connect/objstore/blob_store.h"

namespace runnel::connect::objstore {

class directory_store final : public blob_store {
 public:
  // errc::not_found when `root` is not a directory.
  static result<std::unique_ptr<directory_store>> open(std::filesystem::path root);

  std::string_view kind() const override { return "directory"; }
  const std::string& container() const override { return root_text_; }

  // Every regular file under the root, recursively (symbolic links to files
  // are followed, to directories are not). The token is the last key of the
  // page. The tree is walked once per listing: the pages after the first
  // (a request with the token the previous page returned) come from the
  // keys that walk found, so listing N files costs one walk, not N/1000.
  result<list_page> list(const list_request& req) override;
  result<object_info> stat(std::string_view key) override;
  result<std::string> write(std::string_view key, std::string_view bytes) override;
  result<void> remove(std::string_view key) override;
  result<void> copy(std::string_view from, std::string_view to) override;
  // A rename (parents created), atomic within one file system.
  result<void> move(std::string_view from, std::string_view to) override;

  const std::filesystem::path& root() const { return root_; }
  // How many times list() walked the tree (for tests).
  int64_t walks() const;

 protected:
  result<std::string> read_bytes(std::string_view key, int64_t offset,
                                 std::optional<int64_t> length, std::string_view if_etag) override;

 private:
  explicit directory_store(std::filesystem::path root)
      : root_(std::move(root)), root_text_(root_.string()) {}
  result<std::filesystem::path> path_of(std::string_view key) const;

  std::filesystem::path root_;
  std::string root_text_;

  // The keys of the listing in progress (sorted, under `walk_prefix_`),
  // kept while its pages are read: the next page is asked for with
  // `walk_token_`.
  mutable std::mutex walk_mu_;
  std::vector<std::string> walk_keys_;
  std::string walk_prefix_;
  std::string walk_token_;
  int64_t walks_ = 0;
};

// The prefix of this store's temporary files.
inline constexpr std::string_view directory_temp_prefix = ".runnel-tmp-";

// Whether `key` is a relative path without empty, "." or ".." segments.
bool is_safe_key(std::string_view key);

}  // namespace runnel::connect::objstore
