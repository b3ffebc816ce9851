// broker_process: a real `runnel serve` child process for tests, on a port
// the kernel picks (--listen 127.0.0.1:0), with its own temporary data
// directory. start() waits for the "runnel: ready on HOST:PORT" line; the
// destructor stops the broker (SIGTERM, then SIGKILL) and removes the
// directory.
//
// Owned by one test process; not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace runnel::test {

class broker_process {
 public:
  broker_process() = default;
  broker_process(const broker_process&) = delete;
  broker_process& operator=(const broker_process&) = delete;
  ~broker_process();

  // Starts `binary serve` with these --set name=value settings. An empty
  // string on success, else what went wrong (with the broker's stderr).
  std::string start(const std::string& binary,
                    const std::vector<std::pair<std::string, std::string>>& settings,
                    std::chrono::seconds timeout = std::chrono::seconds(60));
  void stop();
  // SIGSTOP / SIGCONT: the broker keeps its connections open but answers
  // nothing until resumed (a coordinator that hangs). stop() resumes first.
  void suspend();
  void resume();

  // "127.0.0.1:PORT", once started.
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  std::string log_tail() const;

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::filesystem::path dir_;
  std::string bootstrap_;
};

}  // namespace runnel::test
