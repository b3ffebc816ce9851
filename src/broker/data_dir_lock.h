// One data directory, one process (DESIGN.md decision 3): the broker holds an
// exclusive lock on <data-dir>/.lock for its whole life, taken before it
// reads anything there. Two brokers writing one directory would interleave
// their appends and lose every acknowledged record at the next recovery.
//
// The lock is flock(2) on the file (file_system::open_locked), so it ends
// when the process does, however it ends; the file is never removed. It
// holds the holder's pid in decimal and a newline, for the message a second
// process prints (docs/format/metadata.md).
#pragma once

#include <filesystem>
#include <memory>

#include "model/result.h"
#include "storage/file_system.h"

namespace runnel::broker {

// Takes the lock (creating the directory if needed) and writes our pid into
// it. Fails with broker_errc::data_dir_locked, after logging which process
// holds it, if another holder has it. Blocking.
result<std::shared_ptr<storage::file>> lock_data_dir(storage::file_system& fs,
                                                     const std::filesystem::path& data_dir);

}  // namespace runnel::broker
