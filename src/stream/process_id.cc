#include "process_id.h"

#include <fstream>
#include <random>
#include <regex>
#include <system_error>

#include <fmt/format.h>

namespace runnel::stream::runtime {

namespace {

constexpr const char* file_name = ".process-id";

client::error file_error(const std::filesystem::path& p, const std::error_code& ec) {
  return client::error{ec, "process id file " + p.string() + ": " + ec.message()};
}

}  // namespace

client::result<std::string> process_id(const std::filesystem::path& app_dir) {
  static const std::regex valid("[0-9a-f]{16}");
  const auto path = app_dir / file_name;
  {
    std::ifstream in(path);
    std::string id;
    if (in && std::getline(in, id) && std::regex_match(id, valid)) return id;
  }
  std::error_code ec;
  std::filesystem::create_directories(app_dir, ec);
  if (ec) return file_error(app_dir, ec);
  std::random_device rd;
  const uint64_t r = (uint64_t{rd()} << 32) | rd();
  std::string id = fmt::format("{:016x}", r);
  // Written aside and renamed, so a crash leaves the old file or the new.
  const auto tmp = app_dir / ".process-id.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << id << "\n";
    if (!out.flush()) return file_error(tmp, std::make_error_code(std::errc::io_error));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return file_error(path, ec);
  return id;
}

}  // namespace runnel::stream::runtime
