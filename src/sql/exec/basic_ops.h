// The stateless operators: input (where a scan's rows enter), filter,
// project, union, the window table functions, VALUES.
#pragma once

#include "sql/exec/operator.h"
#include "sql/exec/rows.h"

namespace runnel::sql {

// Forwards what it is pushed: the entry point of a scan.
class input_op : public op {
 public:
  using op::op;
  void push(int, const row_batch& in) override { emit(in); }
  void watermark(int, int column, int64_t value) override { emit_watermark(column, value); }
};

class filter_op : public op {
 public:
  filter_op(exec_env& env, expr_ptr predicate, uint32_t width)
      : op(env), pred_(std::move(predicate)), width_(width) {}
  void push(int port, const row_batch& in) override;
  void watermark(int, int column, int64_t value) override { emit_watermark(column, value); }

 private:
  expr_ptr pred_;
  uint32_t width_;
};

class project_op : public op {
 public:
  project_op(exec_env& env, std::vector<expr_ptr> exprs);
  void push(int port, const row_batch& in) override;
  void watermark(int port, int column, int64_t value) override;

 private:
  std::vector<expr_ptr> exprs_;
  std::vector<int> passthrough_;  // input column -> first output that is exactly it
};

class union_op : public op {
 public:
  union_op(exec_env& env, size_t inputs) : op(env), marks_(inputs) {}
  void push(int, const row_batch& in) override { emit(in); }
  // A column's watermark is the smallest of its inputs'.
  void watermark(int port, int column, int64_t value) override;

 private:
  std::vector<std::vector<std::pair<int, int64_t>>> marks_;
};

// TUMBLE / HOP: each row once per window it falls in, with window_start and
// window_end appended.
class window_op : public op {
 public:
  window_op(exec_env& env, uint32_t in_width, int time_column, int64_t size, int64_t slide,
            int64_t offset)
      : op(env),
        in_width_(in_width),
        time_(time_column),
        size_(size),
        slide_(slide),
        offset_(offset) {}
  void push(int port, const row_batch& in) override;
  void watermark(int port, int column, int64_t value) override;

 private:
  uint32_t in_width_;
  int time_;
  int64_t size_, slide_, offset_;
};

// VALUES: its rows, once, when the dataflow is created.
class values_op : public op {
 public:
  values_op(exec_env& env, std::vector<std::vector<expr_ptr>> rows, uint32_t width)
      : op(env), rows_(std::move(rows)), width_(width) {}
  void push(int, const row_batch&) override {}
  void on_create() override;

 private:
  std::vector<std::vector<expr_ptr>> rows_;
  uint32_t width_;
};

}  // namespace runnel::sql
