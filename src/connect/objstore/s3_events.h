// Storage events: S3 event notifications (the JSON S3 sends to SQS, SNS or
// EventBridge targets) and Azure Event Grid's BlobCreated: the objects an ObjectCreated event
// names. Events of other kinds (removals, s3:TestEvent) name none.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "connect/api/error.h"
#include "connect/objstore/blob_store.h"

namespace runnel::connect::objstore {

struct created_object {
  std::string bucket;
  object_info object;  // last_modified: the event time
};

// errc::data when `body` is not an event document.
result<std::vector<created_object>> parse_s3_event(std::string_view body);

// Event Grid's Microsoft.Storage.BlobCreated events (Event Grid schema or
// CloudEvents, one event or an array): the container from the subject
// (/blobServices/default/containers/<c>/blobs/<key>), eTag, contentLength.
result<std::vector<created_object>> parse_blob_created_event(std::string_view body);

// S3 writes keys in events form-encoded: "%2F" and "+" for a space.
std::string decode_event_key(std::string_view key);

}  // namespace runnel::connect::objstore
