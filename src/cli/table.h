// A text table with columns aligned by padding, for the human-readable
// output of the client commands.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace runnel::cli {

class table {
 public:
  explicit table(std::vector<std::string> headers);
  void add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  // Columns separated by two spaces; the last column is not padded.
  void print(std::FILE* out = stdout) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace runnel::cli
