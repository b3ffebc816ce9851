#include "sql/catalog/fenced_writer.h"

#include <spdlog/spdlog.h>

#include "runnel/client/producer.h"

namespace runnel::sql {

namespace {

constexpr std::chrono::seconds cluster_wait{30};

// librdkafka's codes (kafka_category): the broker's PRODUCER_FENCED and
// INVALID_PRODUCER_EPOCH, librdkafka's own "fenced by a newer instance",
// and its fatal state, which a transactional producer enters when fenced
// (every later call fails with it).
constexpr int invalid_producer_epoch = 47;
constexpr int producer_fenced = 90;
constexpr int client_fenced = -144;
constexpr int client_fatal = -150;

}  // namespace

client::result<std::unique_ptr<client::producer>> start_transactional(
    const client::client_config& cluster, const std::string& transactional_id,
    std::function<void(const client::delivery_report&)> on_delivery,
    std::chrono::milliseconds linger) {
  client::producer_options po;
  po.client = cluster;
  po.transactional_id = transactional_id;
  po.linger = linger;
  po.on_delivery = std::move(on_delivery);
  auto producer = client::producer::create(po);
  if (!producer) return producer.error();
  auto p = std::make_unique<client::producer>(std::move(producer.value()));
  if (auto r = p->init_transactions(cluster_wait); !r) return r.error();
  return p;
}

bool is_fenced(const client::error& e) {
  if (e.code.category() != client::kafka_category()) return false;
  switch (e.code.value()) {
    case invalid_producer_epoch:
    case producer_fenced:
    case client_fenced:
    case client_fatal:
      return true;
    default:
      return false;
  }
}

struct fenced_writer::impl {
  std::string what;
  std::string transactional_id;
  std::unique_ptr<client::producer> producer;
  bool fenced = false;

  sql_error fenced_error() const {
    return make_error(errc::unavailable, -1,
                      "{}: another SQL process took over its writes (this one was fenced: "
                      "transactional id \"{}\"), so this statement wrote nothing; retry",
                      what, transactional_id);
  }
};

result<std::unique_ptr<fenced_writer>> fenced_writer::start(const client::client_config& cluster,
                                                            const std::string& transactional_id,
                                                            std::string what) {
  auto p = std::make_unique<impl>();
  p->what = std::move(what);
  p->transactional_id = transactional_id;
  // No linger: a statement's records are all queued before its commit,
  // which waits for them (5 ms of linger would be most of an INSERT's time).
  auto producer = start_transactional(cluster, transactional_id, {}, std::chrono::milliseconds(0));
  if (!producer)
    return make_error(errc::io_error, -1,
                      "{}: the SQL processes sharing the work write through transactions, and "
                      "init_transactions for \"{}\" failed: {}",
                      p->what, transactional_id, producer.error().message);
  p->producer = std::move(producer.value());
  return std::unique_ptr<fenced_writer>(new fenced_writer(std::move(p)));
}

fenced_writer::fenced_writer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
fenced_writer::~fenced_writer() = default;

bool fenced_writer::fenced() const {
  return impl_->fenced;
}

result<void> fenced_writer::write(const std::string& topic, const std::vector<record>& records) {
  auto& p = *impl_;
  if (p.fenced) return p.fenced_error();
  auto fail = [&](const client::error& e) -> sql_error {
    if (is_fenced(e)) {
      // Unusable from now on; never initialized again here, which would
      // fence the process that holds the role now.
      p.fenced = true;
      spdlog::warn("{}: fenced by another SQL process: {}", p.what, e.message);
      return p.fenced_error();
    }
    if (auto a = p.producer->abort_transaction(cluster_wait); !a) {
      if (is_fenced(a.error())) {
        p.fenced = true;
        return p.fenced_error();
      }
      spdlog::error("{}: the abort of a failed write failed too: {}", p.what, a.error().message);
    }
    return make_error(errc::io_error, -1, "{}: topic \"{}\": {}", p.what, topic, e.message);
  };
  if (auto r = p.producer->begin_transaction(); !r) return fail(r.error());
  for (const auto& c : records) {
    client::outgoing_message m;
    m.topic = topic;
    m.partition = runnel::partition_id{0};
    m.key = c.key;
    m.value = c.value;
    if (auto r = p.producer->send(m); !r) return fail(r.error());
  }
  if (auto r = p.producer->commit_transaction(cluster_wait); !r) return fail(r.error());
  return outcome::success();
}

}  // namespace runnel::sql
