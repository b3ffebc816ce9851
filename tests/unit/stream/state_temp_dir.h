// A unique temporary directory for one state-store test, removed with
// everything in it when the test ends.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace runnel::stream::state::testing {

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "runnel-state-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  // A store directory inside this one (not created: the store creates it).
  std::filesystem::path operator/(const char* name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// One changelog record as the task would send it.
struct change {
  std::string key;
  std::optional<std::string> value;
  friend bool operator==(const change&, const change&) = default;
};

}  // namespace runnel::stream::state::testing
