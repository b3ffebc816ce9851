// How the HTTP sink turns records into requests: each record's text
// (request.body.format), its URL (http.api.url with ${topic} and ${key}),
// and batches of at most batch.max.size records per URL, each body the
// records' texts between batch.prefix and batch.suffix, joined by
// batch.separator (a JSON array by default when batches hold more than
// one record, sink_config.h).
//
// Order: a batch holds its records in the order given, and batches come out
// in the order of their first records, so sending them one after another
// keeps the order of every partition (and of every URL).
//
// Pure functions, any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "connect/api/record.h"
#include "connect/http/sink_config.h"

namespace runnel::connect::http {

struct batch {
  std::string url;
  std::vector<std::size_t> records;  // indexes into make_batches' input, ascending
  std::string body;
};

// The record's value as the body text of request.body.format.
std::string record_text(const sink_record& r, body_format f);

// http.api.url with ${topic} and ${key} (percent-encoded) replaced.
std::string resolve_url(const std::string& pattern, const sink_record& r);

std::vector<batch> make_batches(const sink_config& c, std::span<const sink_record* const> records);

}  // namespace runnel::connect::http
