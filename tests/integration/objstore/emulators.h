// The S3 and Azure Storage emulators the object-store tests run against, each
// started as a process on 127.0.0.1 with a free port and a private temp dir,
// stopped when the test program ends: moto's server mode (PyPI), s3rver
// (npm) and Azurite (npm), installed by scripts/setup into this folder
// (RUNNEL_OBJSTORE_EMULATORS). A missing emulator is a failure, never a skip.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

extern char** environ;

namespace runnel::test {

inline const std::filesystem::path emulator_dir = RUNNEL_OBJSTORE_EMULATORS;

inline int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

inline bool port_open(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// A server process, killed (its whole process group) on destruction.
class server_process {
 public:
  // The server's output goes to `log` (its temp dir), so that a failing
  // run can be read and a passing one stays quiet.
  server_process(std::string name, std::vector<std::string> argv, int port,
                 const std::filesystem::path& log, std::vector<std::string> env = {})
      : name_(std::move(name)), port_(port) {
    if (!std::filesystem::exists(argv[0])) {
      throw std::runtime_error(
          fmt::format("{} is not installed ({} is missing): run scripts/setup", name_, argv[0]));
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    std::vector<std::string> env_text;
    for (char** e = environ; *e; ++e) env_text.emplace_back(*e);
    for (auto& e : env) env_text.push_back(e);
    std::vector<char*> envp;
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&files, 1, 2);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    int rc = posix_spawn(&pid_, args[0], &files, &attr, args.data(), envp.data());
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&files);
    if (rc != 0) throw std::runtime_error(fmt::format("cannot start {}: {}", name_, rc));
    // Bounded wait for the port (moto and Azurite take a few seconds on a
    // loaded machine).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (!port_open(port_)) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error(
            fmt::format("{} exited before listening on {} (see {})", name_, port_, log.string()));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        throw std::runtime_error(fmt::format("{} did not listen on {} in 90 s", name_, port_));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~server_process() { stop(); }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  int port() const { return port_; }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::string name_;
  int port_;
  pid_t pid_ = -1;
};

// A private temporary directory, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "runnel-objstore-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs `program` (a command line, already quoted) with `args`, `input` on
// stdin and `env` set; its stdout, or an exception with the exit status.
inline std::string run_program(const std::string& what, const std::string& program,
                               const std::vector<std::string>& args, const std::string& input,
                               const std::vector<std::string>& env) {
  temp_dir io;
  auto in = io.path() / "in";
  auto out = io.path() / "out";
  {
    FILE* f = std::fopen(in.c_str(), "wb");
    std::fwrite(input.data(), 1, input.size(), f);
    std::fclose(f);
  }
  std::string cmd;
  for (auto& e : env) cmd += e + " ";
  cmd += program;
  for (auto& a : args) cmd += " '" + a + "'";
  cmd += fmt::format(" < '{}' > '{}'", in.string(), out.string());
  int rc = std::system(cmd.c_str());
  if (rc != 0) throw std::runtime_error(fmt::format("{} {} failed ({})", what, args[0], rc));
  std::string text;
  FILE* f = std::fopen(out.c_str(), "rb");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

// Runs sdk.py (the official Python SDKs) with `input` on stdin; its stdout,
// or an exception with the exit status.
inline std::string run_sdk(const std::vector<std::string>& args, const std::string& input = {},
                           const std::vector<std::string>& env = {}) {
  return run_program(
      "sdk.py",
      (emulator_dir / ".venv/bin/python").string() + " " + (emulator_dir / "sdk.py").string(), args,
      input, env);
}

// The same verbs through the official JavaScript SDKs (sdk.mjs, with
// node_modules beside it).
inline std::string run_js_sdk(const std::vector<std::string>& args, const std::string& input = {},
                              const std::vector<std::string>& env = {}) {
  if (!std::filesystem::exists(emulator_dir / "node_modules/@aws-sdk/client-s3") ||
      !std::filesystem::exists(emulator_dir / "node_modules/@azure/storage-blob")) {
    throw std::runtime_error("the JavaScript SDKs are not installed: run scripts/setup");
  }
  return run_program("sdk.mjs", "node " + (emulator_dir / "sdk.mjs").string(), args, input, env);
}

// The same verbs through the official Go SDKs: tests/integration/go/objsdk,
// built once per test program from the module cache scripts/setup filled
// (no network here), as the other Go test programs are.
inline std::string run_go_sdk(const std::vector<std::string>& args, const std::string& input = {},
                              const std::vector<std::string>& env = {}) {
  static temp_dir bin;
  static const std::string exe = [] {
    auto path = bin.path() / "objsdk";
    auto go_dir = (emulator_dir / "../go").lexically_normal();
    auto cmd = fmt::format(
        "cd '{}' && GOPROXY=off GOFLAGS='-mod=readonly -buildvcs=false' go build -o '{}' ./objsdk",
        go_dir.string(), path.string());
    if (std::system(cmd.c_str()) != 0 || !std::filesystem::exists(path)) {
      throw std::runtime_error("go build ./objsdk failed (run scripts/setup?)");
    }
    return path.string();
  }();
  return run_program("objsdk", exe, args, input, env);
}

}  // namespace runnel::test
