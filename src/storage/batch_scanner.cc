#include "storage/batch_scanner.h"

#include <algorithm>

#include "storage/errc.h"
#include "storage/log_format.h"

namespace runnel::storage {

batch_scanner::batch_scanner(file& f, uint64_t begin, uint64_t end, size_t chunk)
    : f_(f), pos_(begin), end_(end), chunk_(chunk) {}

result<void> batch_scanner::fill(uint64_t pos, size_t need) {
  if (pos >= buf_pos_ && pos + need <= buf_pos_ + buf_len_) return success();
  const size_t want = std::max(need, std::min<size_t>(chunk_, size_t(end_ - pos)));
  if (buf_.size() < want) buf_.resize(want);
  RUNNEL_TRY(size_t n, f_.read_at(pos, std::span(buf_).first(want)));
  buf_pos_ = pos;
  buf_len_ = n;
  if (n < need) return storage_errc::unexpected_eof;
  return success();
}

result<std::optional<scanned_batch>> batch_scanner::next() {
  if (current_) {
    pos_ = current_->position + current_->header.size_bytes();
    current_.reset();
  }
  if (pos_ >= end_) return std::optional<scanned_batch>{};
  if (end_ - pos_ < model::batch_layout::header_size) return model::batch_errc::truncated;
  RUNNEL_TRY(fill(pos_, model::batch_layout::header_size));
  auto bytes = std::span<const std::byte>(buf_).subspan(size_t(pos_ - buf_pos_),
                                                        model::batch_layout::header_size);
  RUNNEL_TRY(auto h, model::parse_header(bytes));
  if (h.magic != model::batch_layout::current_magic) return model::batch_errc::bad_magic;
  if (h.batch_length < int32_t(format::min_batch_bytes - model::batch_layout::log_overhead))
    return model::batch_errc::bad_length;
  if (h.size_bytes() > end_ - pos_) return model::batch_errc::truncated;
  current_ = scanned_batch{pos_, h};
  return current_;
}

result<std::span<const std::byte>> batch_scanner::body() {
  if (!current_) return storage_errc::unexpected_eof;
  const size_t size = current_->header.size_bytes();
  RUNNEL_TRY(fill(current_->position, size));
  return std::span<const std::byte>(buf_).subspan(size_t(current_->position - buf_pos_), size);
}

}  // namespace runnel::storage
