#include "connect/objstore/source_task.h"

#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connect/objstore/azure_queue.h"
#include "connect/objstore/s3_events.h"
#include "connect/objstore/sqs_queue.h"

namespace runnel::connect::objstore {

namespace {

// The source partition that records "this connector has started before",
// so that include.existing=false skips only what was there the first time.
data started_partition(const std::string& container) {
  return partition_of(container, "");
}

// Messages asked for per receive: SQS's maximum per ReceiveMessage.
constexpr int notification_batch = 10;

int64_t millis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  auto ms = millis(t);
  std::time_t s = ms / 1000;
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf, ms % 1000);
}

}  // namespace

result<void> objstore_source_task::start(const config_map& props, source_task_context& ctx) {
  CONNECT_TRY(settings_, parse_source_settings(kind_, props));
  CONNECT_TRY(store_, open_store(kind_, props));
  dedup_ = std::make_unique<dedup_store>(store_->container(), &ctx.offsets());
  listing_ = std::make_unique<listing_discovery>(settings_.listing);
  skip_existing_ =
      !settings_.include_existing && !ctx.offsets().offset(started_partition(store_->container()));
  auto get = [&props](const char* k, const char* env) {
    auto it = props.find(k);
    if (it != props.end() && !it->second.empty()) return it->second;
    const char* e = env ? std::getenv(env) : nullptr;
    return std::string(e ? e : "");
  };
  if (settings_.discovery != discovery_mode::listing && kind_ == store_kind::s3) {
    sqs_config q;
    q.queue_url = settings_.sqs_queue_url;
    q.region = settings_.sqs_region;
    q.endpoint = settings_.sqs_endpoint;
    q.access_key = get("aws.access.key.id", "AWS_ACCESS_KEY_ID");
    q.secret_key = get("aws.secret.access.key", "AWS_SECRET_ACCESS_KEY");
    q.session_token = get("aws.session.token", "AWS_SESSION_TOKEN");
    CONNECT_TRY(events_, sqs_queue::open(std::move(q)));
  } else if (settings_.discovery != discovery_mode::listing && kind_ == store_kind::azure) {
    azure_queue_config q;
    q.credentials = {get("azblob.account.name", nullptr), get("azblob.account.key", nullptr),
                     get("azblob.sas.token", nullptr)};
    q.queue = settings_.azure_queue;
    q.endpoint = settings_.azure_queue_url;
    CONNECT_TRY(events_, azure_queue::open(std::move(q)));
  }
  if (settings_.discovery != discovery_mode::listing && kind_ == store_kind::directory) {
    CONNECT_TRY(watcher_, directory_watcher::open(store_->container()));
  }
  // notifications: no listing; but a directory lists once at the start,
  // because inotify events do not outlive the process (a file that landed
  // while it was down, or was announced and not read before a crash).
  if (settings_.discovery == discovery_mode::notifications && !watcher_) {
    next_listing_ = std::chrono::steady_clock::time_point::max();
  }
  return ok();
}

result<size_t> objstore_source_task::receive_notifications() {
  CONNECT_TRY(auto messages,
              events_->receive(notification_batch, settings_.notification_visibility));
  for (auto& m : messages) {
    auto objects =
        kind_ == store_kind::s3 ? parse_s3_event(m.body) : parse_blob_created_event(m.body);
    if (!objects) {
      spdlog::warn("objstore source: queue message {} is not a storage event ({}); deleting it",
                   m.id, objects.error().message);
      to_remove_.push_back(m.handle);
      continue;
    }
    std::set<std::pair<std::string, std::string>> pending;
    for (auto& c : objects.value()) {
      if (c.bucket != store_->container() || !c.object.key.starts_with(settings_.listing.prefix)) {
        continue;
      }
      // Duplicated and late notifications of a done version end here.
      if (!dedup_->start_record(c.object)) continue;
      pending.emplace(c.object.key, c.object.etag);
      if (queued_.emplace(c.object.key, c.object.etag).second) queue_.push_back(c.object);
    }
    if (pending.empty()) {
      to_remove_.push_back(m.handle);
      continue;
    }
    for (auto& p : pending) receipts_.emplace(p, m.handle);
    message_pending_[m.handle] = std::move(pending);
  }
  // Duplicates and foreign messages, deleted at once.
  remove_settled();
  return messages.size();
}

void objstore_source_task::settle(const std::string& key, const std::string& etag) {
  auto version = std::make_pair(key, etag);
  auto [first, last] = receipts_.equal_range(version);
  for (auto it = first; it != last; ++it) {
    auto m = message_pending_.find(it->second);
    if (m == message_pending_.end()) continue;
    m->second.erase(version);
    if (m->second.empty()) {
      to_remove_.push_back(m->first);
      message_pending_.erase(m);
    }
  }
  receipts_.erase(first, last);
  // Ten make a batch; and once nothing else is pending (the end of a
  // burst, a single file) the rest go at once.
  if (to_remove_.size() >= 10 || message_pending_.empty()) remove_settled();
}

void objstore_source_task::remove_settled() {
  if (!events_ || to_remove_.empty()) return;
  if (auto r = events_->remove_batch(to_remove_); !r) {
    // They come back after their visibility timeout; the dedup store
    // drops them then.
    spdlog::warn("objstore source: deleting queue messages: {}", r.error().message);
  }
  to_remove_.clear();
}

void objstore_source_task::wakeup() {
  std::lock_guard lock(mu_);
  woken_ = true;
  cv_.notify_all();
  if (watcher_) watcher_->wakeup();
}

void objstore_source_task::take_directory_events(const directory_watcher::events& ev) {
  if (ev.needs_listing) next_listing_ = {};
  for (const auto& key : ev.keys) {
    if (!key.starts_with(settings_.listing.prefix)) continue;
    auto o = store_->stat(key);
    if (!o) continue;  // gone again; a listing finds what is there
    if (!dedup_->start_record(o.value())) continue;
    if (queued_.emplace(o.value().key, o.value().etag).second) queue_.push_back(o.value());
  }
}

result<void> objstore_source_task::discover(std::chrono::system_clock::time_point now) {
  CONNECT_TRY(auto found, listing_->scan(*store_, *dedup_, now));
  for (auto& o : found) {
    if (queued_.emplace(o.key, o.etag).second) queue_.push_back(std::move(o));
  }
  return ok();
}

source_record objstore_source_task::make_record(const object_info& o, data value, int64_t records,
                                                bool done) const {
  source_record r;
  r.topic = settings_.topic;
  r.key = o.key;
  r.value = std::move(value);
  r.timestamp = millis(o.last_modified);
  r.source_partition = partition_of(store_->container(), o.key);
  r.source_offset = offset_of({o.etag, o.size, records, done});
  return r;
}

source_record objstore_source_task::pointer_event(const object_info& o) const {
  // A CloudEvent (structured mode, JSON) per file, as storage events look.
  std::string scheme = std::string(store_->kind());
  data ev = data::object();
  ev["specversion"] = "1.0";
  ev["id"] = fmt::format("{}/{}/{}", store_->container(), o.key, o.etag);
  ev["source"] = fmt::format("{}://{}", scheme, store_->container());
  ev["type"] = "runnel.objstore.object.created";
  ev["subject"] = o.key;
  ev["time"] = iso8601(o.last_modified);
  ev["datacontenttype"] = "application/json";
  data d = data::object();
  d["container"] = store_->container();
  d["key"] = o.key;
  d["size"] = o.size;
  d["etag"] = o.etag;
  d["url"] = fmt::format("{}://{}/{}", scheme, store_->container(), o.key);
  ev["data"] = std::move(d);
  return make_record(o, std::move(ev), 1, true);
}

result<bool> objstore_source_task::read_current(std::vector<source_record>& out, int64_t& budget) {
  auto& f = *current_;
  while (budget > 0 || f.read_pos >= f.info.size) {
    // Records already complete in the reader first.
    while (true) {
      auto rec = f.reader->next();
      if (!rec) {
        // A record that cannot be read (not JSON, an unclosed quote): it
        // goes out as a failed record, and errors.tolerance decides —
        // the task fails, or it is skipped (to the dead-letter topic with
        // its raw text) and reading goes on after it.
        int64_t records = f.reader->records();
        dedup_->update(f.info.key, {f.info.etag, f.info.size, records, false});
        if (records - 1 < f.skip) continue;  // handled before the restart
        auto bad = make_record(f.info, data(f.reader->refused_text()), records, false);
        bad.failure = make_error(errc::data,
                                 fmt::format("{}://{}/{}: {}", store_->kind(), store_->container(),
                                             f.info.key, rec.error().message));
        out.push_back(std::move(bad));
        continue;
      }
      if (!rec.value()) break;
      int64_t records = rec.value()->index + 1;
      dedup_->update(f.info.key, {f.info.etag, f.info.size, records, false});
      if (rec.value()->index < f.skip) continue;  // in Kafka before the restart
      out.push_back(make_record(f.info, std::move(rec.value()->value), records, false));
    }
    if (f.reader->done()) {
      file_progress done{f.info.etag, f.info.size, f.reader->records(), true};
      dedup_->update(f.info.key, done);
      if (!out.empty() &&
          out.back().source_partition == partition_of(store_->container(), f.info.key)) {
        out.back().source_offset = offset_of(done);
      } else {
        // Nothing left to send (an empty file, or every record was sent
        // before a restart): an offset-only record marks the file done.
        source_record marker;
        marker.source_partition = partition_of(store_->container(), f.info.key);
        marker.source_offset = offset_of(done);
        out.push_back(std::move(marker));
      }
      return true;
    }
    if (f.read_pos >= f.info.size) {
      CONNECT_TRY(f.inflate->finish());
      f.reader->end();
      continue;
    }
    int64_t n = std::min(settings_.read_chunk_bytes, f.info.size - f.read_pos);
    CONNECT_TRY(auto bytes, store_->read(f.info.key, f.read_pos, n, f.info.etag));
    if (bytes.empty()) {
      // Shorter than listed: the object changed under us (a directory
      // file truncated); read it again as whatever it is now.
      return make_error(errc::conflict, "shorter than listed");
    }
    f.read_pos += int64_t(bytes.size());
    budget -= int64_t(bytes.size());
    std::string plain;
    CONNECT_TRY(f.inflate->feed(bytes, plain));
    f.reader->feed(plain);
  }
  return false;
}

result<std::vector<source_record>> objstore_source_task::poll(std::chrono::milliseconds timeout) {
  if (pending_error_) {
    auto e = std::move(*pending_error_);
    pending_error_.reset();
    return e;
  }
  // What commit_record settled since the last poll.
  remove_settled();
  std::vector<source_record> out;
  // An error after some records were made: those go out first (the dedup
  // store already counts them), the error with the next poll.
  auto fail = [&](error e) -> result<std::vector<source_record>> {
    if (out.empty()) return e;
    pending_error_ = std::move(e);
    return std::move(out);
  };
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int64_t budget = settings_.max_bytes_per_poll;
  int files = 0;
  while (true) {
    auto now = std::chrono::steady_clock::now();
    // What was made goes out once the poll's time is up, even before
    // max.files.per.poll: against a slow store (or one queue request per
    // file) the first records would otherwise wait for a hundred requests.
    if (!out.empty() && now >= deadline) return out;
    if (events_ && now >= next_receive_ && queue_.size() < 1000) {
      auto received = receive_notifications();
      if (!received) {
        next_receive_ = now + settings_.poll_interval;
        return fail(make_error(errc::retriable, received.error().message));
      }
      // A full batch (SQS gives at most 10 per request): more are probably
      // waiting, so receive again at once rather than after
      // poll.interval.ms — else a burst of files is read at 10 per interval.
      next_receive_ =
          received.value() >= size_t(notification_batch) ? now : now + settings_.poll_interval;
    }
    // inotify's files (after include.existing=false's first listing).
    if (watcher_ && !(skip_existing_ && first_listing_)) {
      auto ev = watcher_->poll(std::chrono::milliseconds(0));
      if (!ev) return fail(make_error(errc::retriable, ev.error().message));
      take_directory_events(ev.value());
    }
    if (!current_ && queue_.empty() && now >= next_listing_) {
      auto listed = discover(std::chrono::system_clock::now());
      next_listing_ = settings_.discovery == discovery_mode::notifications
                          ? std::chrono::steady_clock::time_point::max()
                      : settings_.discovery == discovery_mode::hybrid
                          ? now + settings_.backfill_interval
                          : now + settings_.poll_interval;
      if (!listed) return fail(make_error(errc::retriable, listed.error().message));
      if (first_listing_) {
        first_listing_ = false;
        if (skip_existing_) {
          // include.existing=false: what is there now is done, durably.
          for (auto& o : queue_) {
            // records -1: done without being read (no after.action).
            file_progress p{o.etag, o.size, -1, true};
            dedup_->update(o.key, p);
            source_record marker;
            marker.source_partition = partition_of(store_->container(), o.key);
            marker.source_offset = offset_of(p);
            out.push_back(std::move(marker));
          }
          queue_.clear();
          queued_.clear();
          source_record started;
          started.source_partition = started_partition(store_->container());
          started.source_offset = data::object({{"started", true}});
          out.push_back(std::move(started));
          return out;
        }
      }
    }
    if (!current_ && !queue_.empty() && files < settings_.max_files_per_poll && budget > 0) {
      object_info o = std::move(queue_.front());
      queue_.pop_front();
      auto start = dedup_->start_record(o);
      if (!start) {
        queued_.erase({o.key, o.etag});
        continue;
      }
      ++files;
      if (!settings_.format) {
        dedup_->update(o.key, {o.etag, o.size, 1, true});
        queued_.erase({o.key, o.etag});
        out.push_back(pointer_event(o));
        continue;
      }
      current_ = open_file{o, *start, 0, make_decompressor(compression_of(o.key)),
                           std::make_unique<record_reader>(*settings_.format, settings_.csv)};
    }
    if (current_) {
      auto finished = read_current(out, budget);
      if (!finished &&
          (finished.error().kind == errc::conflict || finished.error().kind == errc::not_found)) {
        // Replaced or removed while read: forget this version; the next
        // listing finds what is there now.
        spdlog::warn("objstore source: {}://{}/{} changed while read ({}); reading it again",
                     store_->kind(), store_->container(), current_->info.key,
                     finished.error().message);
        dedup_->forget_version(current_->info.key, current_->info.etag);
        queued_.erase({current_->info.key, current_->info.etag});
        if (events_) settle(current_->info.key, current_->info.etag);
        current_.reset();
        if (settings_.discovery != discovery_mode::notifications) next_listing_ = {};
        continue;
      }
      if (!finished) return fail(finished.error());
      if (finished.value()) {
        queued_.erase({current_->info.key, current_->info.etag});
        current_.reset();
      }
    }
    bool more_now = (current_ || !queue_.empty()) && budget > 0 &&
                    (current_ || files < settings_.max_files_per_poll);
    if (!out.empty() && !more_now) return out;
    if (more_now) continue;
    // Nothing to return: wait for the next listing, the deadline or wakeup.
    auto until = std::min(deadline, next_listing_);
    if (events_) until = std::min(until, next_receive_);
    if (watcher_) {
      // Wait in inotify (wakeup() ends it too); its files are taken above.
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(until - now);
      auto ev = watcher_->poll(std::max(wait, std::chrono::milliseconds(0)));
      if (!ev) return fail(make_error(errc::retriable, ev.error().message));
      take_directory_events(ev.value());
    }
    std::unique_lock lock(mu_);
    if (!watcher_) cv_.wait_until(lock, until, [this] { return woken_; });
    if (woken_ || std::chrono::steady_clock::now() >= deadline) {
      woken_ = false;
      return out;
    }
  }
}

void objstore_source_task::commit_record(const source_record& r, const record_metadata*) {
  auto p = parse_offset(r.source_offset);
  if (!p || !p->done || !r.source_partition.contains("key")) return;
  auto key = r.source_partition["key"].get<std::string>();
  if (key.empty()) return;
  if (events_) settle(key, p->etag);
  if (settings_.after == after_action::none) return;
  // Only a version that was read is acted on (not the files that
  // include.existing=false marked done unread).
  if (p->records < 0) return;
  result<void> done = settings_.after == after_action::remove
                          ? store_->remove(key)
                          : store_->move(key, settings_.move_prefix + key);
  if (!done) {
    spdlog::warn("objstore source: after.action on {}://{}/{} failed: {}", store_->kind(),
                 store_->container(), key, done.error().message);
  }
}

}  // namespace runnel::connect::objstore
