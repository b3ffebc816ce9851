// Streaming decompression of the files a source reads (and whole-file
// compression of what a sink writes), chosen by the key's
// extension as the object stores' users name them: ".gz"/".gzip" (zlib,
// concatenated members too) and ".zst"/".zstd" (libzstd, several frames
// too); anything else is read as it is.
//
// Threading: one instance per file, one thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "connect/api/error.h"

namespace runnel::connect::objstore {

enum class compression { none, gzip, zstd };

compression compression_of(std::string_view key);
std::string_view compression_name(compression c);  // "none", "gzip", "zstd"

class decompressor {
 public:
  virtual ~decompressor() = default;
  // Appends what `in` decompresses to to `out`. errc::data when the bytes
  // are not of the format.
  virtual result<void> feed(std::string_view in, std::string& out) = 0;
  // At the end of the input: errc::data when it stopped inside a member
  // or frame (a truncated file).
  virtual result<void> finish() = 0;
};

std::unique_ptr<decompressor> make_decompressor(compression c);

// The whole of `plain` compressed (one gzip member, one zstd frame): what
// the sinks write. The extension to add: ".gz", ".zst" or "".
std::string compress_whole(compression c, std::string_view plain);
std::string_view compression_extension(compression c);

}  // namespace runnel::connect::objstore
