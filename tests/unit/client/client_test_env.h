// What the client tests share: one real broker per test process (gtest
// runs each discovered test in its own process, so every test gets a fresh
// broker), started before the first test and stopped after the last, plus
// small helpers to make topics and wait for conditions.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "runnel/client/config.h"
#include "runnel/client/producer.h"

namespace runnel::test {

// "127.0.0.1:PORT" of this process's broker.
const std::string& bootstrap();
client::client_config config();

// This process's broker stops answering (SIGSTOP) until resume_broker()
// (SIGCONT) or the end of the process.
void suspend_broker();
void resume_broker();

// A topic name no other test in this process uses.
std::string unique_topic(const std::string& prefix);
// Creates `name` with `partitions` partitions; fails the test if it cannot.
void create_topic(const std::string& name, int32_t partitions);

// Sends these and waits until all are delivered; fails the test otherwise.
void produce(const std::vector<client::outgoing_message>& messages);

// Calls `step` until it returns true or `timeout` passes; true if it did.
// `step` is expected to block for a while itself (a poll with a timeout),
// so this never sleeps.
template <class Step>
bool poll_until(Step step, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (step()) return true;
  }
  return false;
}

}  // namespace runnel::test
