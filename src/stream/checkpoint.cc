#include "checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace runnel::stream::runtime {

namespace {
constexpr const char* file_name = ".checkpoint";

std::error_code last_error() {
  return {errno, std::generic_category()};
}

result<void> fsync_path(const std::filesystem::path& p, int flags) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return last_error();
  int rc = ::fsync(fd);
  auto ec = last_error();
  ::close(fd);
  if (rc != 0) return ec;
  return outcome::success();
}
}  // namespace

std::optional<checkpoint> read_checkpoint(const std::filesystem::path& task_dir) {
  std::ifstream in(task_dir / file_name);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("version", 0) != 1 || !j.contains("offsets") ||
      !j["offsets"].is_object()) {
    spdlog::warn("stream: ignoring unreadable checkpoint in {}", task_dir.string());
    return std::nullopt;
  }
  checkpoint c;
  for (auto& [store, offset] : j["offsets"].items()) {
    if (!offset.is_number_integer()) return std::nullopt;
    c[store] = offset.get<int64_t>();
  }
  return c;
}

result<void> write_checkpoint(const std::filesystem::path& task_dir, const checkpoint& c) {
  nlohmann::json j;
  j["version"] = 1;
  j["offsets"] = nlohmann::json::object();
  for (auto& [store, offset] : c) j["offsets"][store] = offset;
  auto tmp = task_dir / ".checkpoint.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump();
    if (!out.flush()) return std::make_error_code(std::errc::io_error);
  }
  RUNNEL_TRY(fsync_path(tmp, O_RDONLY));
  std::error_code ec;
  std::filesystem::rename(tmp, task_dir / file_name, ec);
  if (ec) return ec;
  return fsync_path(task_dir, O_RDONLY | O_DIRECTORY);
}

void remove_checkpoint(const std::filesystem::path& task_dir) {
  std::error_code ec;
  std::filesystem::remove(task_dir / file_name, ec);
}

}  // namespace runnel::stream::runtime
