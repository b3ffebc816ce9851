#include "broker_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace runnel::test {

namespace {

constexpr std::string_view ready_prefix = "runnel: ready on ";

}  // namespace

broker_process::~broker_process() {
  stop();
}

std::string broker_process::start(const std::string& binary,
                                  const std::vector<std::pair<std::string, std::string>>& settings,
                                  std::chrono::seconds timeout) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "runnel-client-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return std::string("mkdtemp: ") + std::strerror(errno);
  dir_ = tmpl;

  std::vector<std::string> args = {binary,
                                   "serve",
                                   "--data-dir",
                                   (dir_ / "data").string(),
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--admin-listen",
                                   "127.0.0.1:0",
                                   "--connect-listen",
                                   "off",
                                   "--sql-listen",
                                   "off"};
  for (const auto& [k, v] : settings) {
    args.push_back("--set");
    args.push_back(k + "=" + v);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = (dir_ / "broker.log").string();

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  pid_ = fork();
  if (pid_ < 0) return std::string("fork: ") + std::strerror(errno);
  if (pid_ == 0) {
    // The child: stdout to the pipe, stderr to the log, then exec. Only
    // async-signal-safe calls here. If the test process dies (a crash, an
    // abort), the broker goes with it instead of lingering.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out[1], STDOUT_FILENO);
    const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err >= 0) dup2(err, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  stdout_fd_ = out[0];

  // Read lines until the ready line, the child's exit, or the timeout.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string buffer;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return "the broker did not report ready in time:\n" + log_tail();
    pollfd p{stdout_fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char chunk[512];
    const ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) return "the broker exited during start-up:\n" + log_tail();
    buffer.append(chunk, static_cast<size_t>(n));
    for (size_t eol; (eol = buffer.find('\n')) != std::string::npos; buffer.erase(0, eol + 1)) {
      const std::string line = buffer.substr(0, eol);
      if (line.rfind(ready_prefix, 0) == 0) {
        bootstrap_ = line.substr(ready_prefix.size());
        return "";
      }
    }
  }
}

void broker_process::suspend() {
  if (pid_ > 0) kill(pid_, SIGSTOP);
}

void broker_process::resume() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

void broker_process::stop() {
  if (pid_ > 0) {
    kill(pid_, SIGCONT);
    kill(pid_, SIGTERM);
    // A clean shutdown takes well under a second; don't let a hung broker
    // hang the test.
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 300 && !exited; ++i) {
      exited = waitpid(pid_, &status, WNOHANG) == pid_;
      if (!exited) usleep(100 * 1000);
    }
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

std::string broker_process::log_tail() const {
  std::ifstream in(dir_ / "broker.log");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
}

}  // namespace runnel::test
