// The storage backends' pure parts (encoding, dates, the S3 query, Azure's
// string-to-sign) and the directory backend and its inotify watcher on a
// private temp dir. The S3 and Azure backends themselves are tested against
// real servers: tests/integration/objstore.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "connect/objstore/azure_auth.h"
#include "connect/objstore/directory_store.h"
#include "connect/objstore/directory_watcher.h"
#include "connect/objstore/http.h"
#include "connect/objstore/s3_events.h"
#include "connect/objstore/s3_store.h"
#include "connect/objstore/time_format.h"

namespace runnel::connect::objstore {
namespace {

namespace fs = std::filesystem;

class temp_root {
 public:
  temp_root() {
    std::string t = (fs::temp_directory_path() / "runnel-objstore-unit-XXXXXX").string();
    EXPECT_NE(::mkdtemp(t.data()), nullptr);
    path = t;
  }
  ~temp_root() { fs::remove_all(path); }
  fs::path path;
};

TEST(objstore_encoding, uri_encode_keeps_only_unreserved_characters) {
  EXPECT_EQ(uri_encode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(uri_encode("dt=2026/a b+c"), "dt%3D2026%2Fa%20b%2Bc");
  EXPECT_EQ(uri_encode("dt=2026/a b", true), "dt%3D2026/a%20b");
  EXPECT_EQ(uri_encode("caf\xc3\xa9"), "caf%C3%A9");
}

TEST(objstore_encoding, list_objects_v2_query_is_in_canonical_order) {
  list_request r;
  r.prefix = "in/";
  r.start_after = "in/a b";
  r.max_keys = 7;
  EXPECT_EQ(list_objects_v2_query(r), "list-type=2&max-keys=7&prefix=in%2F&start-after=in%2Fa%20b");
  r.token = "tok/=";  // a token replaces start-after
  EXPECT_EQ(list_objects_v2_query(r),
            "continuation-token=tok%2F%3D&list-type=2&max-keys=7&prefix=in%2F");
}

TEST(objstore_encoding, sha256_and_base64_match_known_vectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_EQ(base64_decode("aGVsbG8=").value(), "hello");
  EXPECT_EQ(base64_decode("aGVsbA==").value(), "hell");
  EXPECT_FALSE(base64_decode("not base64!"));
  // RFC 4231 test case 2.
  std::string mac = hmac_sha256("Jefe", "what do ya want for nothing?");
  std::string hex;
  for (unsigned char c : mac) hex += fmt::format("{:02x}", c);
  EXPECT_EQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(objstore_dates, iso8601_and_http_dates_parse) {
  auto a = parse_iso8601("2026-12-03T11:40:00.250Z");
  ASSERT_TRUE(a);
  auto b = parse_http_date("Thu, 03 Dec 2026 11:40:00 GMT");
  ASSERT_TRUE(b);
  EXPECT_EQ(*a - *b, std::chrono::milliseconds(250));
  EXPECT_TRUE(parse_iso8601("2026-12-03T11:40:00Z"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_FALSE(parse_iso8601("2026-12-03T11:40:00+02:00"));
  EXPECT_FALSE(parse_http_date("not a date"));
}

TEST(objstore_azure, string_to_sign_follows_the_shared_key_layout) {
  http_request r;
  r.method = "PUT";
  r.url = "http://127.0.0.1:10000/devstoreaccount1/c/dir/a%20b?restype=x&COMP=list&comp=b";
  r.body = "abc";
  r.headers = {"Content-Type: text/plain", "x-ms-version: 2021-08-06", "X-MS-Date:  today ",
               "If-Match: \"e\""};
  EXPECT_EQ(azure_string_to_sign(r, "devstoreaccount1"),
            "PUT\n\n\n3\n\ntext/plain\n\n\n\"e\"\n\n\n\n"
            "x-ms-date:today\nx-ms-version:2021-08-06\n"
            "/devstoreaccount1/devstoreaccount1/c/dir/a%20b\ncomp:b,list\nrestype:x");
  r.body = "";  // a zero length is signed as empty
  EXPECT_TRUE(azure_string_to_sign(r, "a").starts_with("PUT\n\n\n\n"));
}

TEST(objstore_azure, credentials_need_exactly_one_of_key_and_sas) {
  EXPECT_EQ(azure_signer::make({"acct", "", ""}).error().kind, errc::invalid_config);
  EXPECT_EQ(azure_signer::make({"acct", "aGVsbG8=", "sv=1&sig=2"}).error().kind,
            errc::invalid_config);
  EXPECT_EQ(azure_signer::make({"acct", "not base64", ""}).error().kind, errc::invalid_config);
  auto sas = azure_signer::make({"acct", "", "?sv=1&sig=2"}).value();
  EXPECT_EQ(sas.with_sas("http://h/c/b"), "http://h/c/b?sv=1&sig=2");
  EXPECT_EQ(sas.with_sas("http://h/c?comp=list"), "http://h/c?comp=list&sv=1&sig=2");
}

TEST(objstore_s3, events_name_the_created_objects_with_decoded_keys) {
  // The shape of AWS's documented example, two records: one created, one
  // removed (ignored).
  auto objs = parse_s3_event(R"({"Records":[
    {"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2026-12-03T11:40:00.000Z",
     "eventName":"ObjectCreated:Put",
     "s3":{"bucket":{"name":"landing"},
           "object":{"key":"in/caf%C3%A9+au+lait.json","size":1024,"eTag":"d41d8cd9"}}},
    {"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"landing"},
     "object":{"key":"gone"}}}]})");
  ASSERT_TRUE(objs) << objs.error().message;
  ASSERT_EQ(objs.value().size(), 1u);
  auto& c = objs.value()[0];
  EXPECT_EQ(c.bucket, "landing");
  EXPECT_EQ(c.object.key, "in/caf\xc3\xa9 au lait.json");
  EXPECT_EQ(c.object.size, 1024);
  EXPECT_EQ(c.object.etag, "d41d8cd9");
  EXPECT_EQ(c.object.last_modified, *parse_iso8601("2026-12-03T11:40:00Z"));
  // The test event S3 sends when notifications are set up names nothing.
  EXPECT_TRUE(parse_s3_event(R"({"Service":"Amazon S3","Event":"s3:TestEvent"})").value().empty());
  EXPECT_EQ(parse_s3_event("not json").error().kind, errc::data);
  EXPECT_EQ(parse_s3_event("{}").error().kind, errc::data);
}

TEST(objstore_azure, event_grid_blob_created_events_in_both_schemas) {
  // Event Grid schema (an array, as delivered to a Storage queue).
  auto grid = parse_blob_created_event(R"([{
    "subject":"/blobServices/default/containers/landing/blobs/in/a b.json",
    "eventType":"Microsoft.Storage.BlobCreated","eventTime":"2026-12-03T11:40:00.1234567Z",
    "data":{"api":"PutBlob","eTag":"0x8D4BCC2E4835CD0","contentLength":524288}},
   {"subject":"/blobServices/default/containers/landing/blobs/x",
    "eventType":"Microsoft.Storage.BlobDeleted","data":{}}])");
  ASSERT_TRUE(grid) << grid.error().message;
  ASSERT_EQ(grid.value().size(), 1u);
  EXPECT_EQ(grid.value()[0].bucket, "landing");
  EXPECT_EQ(grid.value()[0].object.key, "in/a b.json");
  EXPECT_EQ(grid.value()[0].object.etag, "0x8D4BCC2E4835CD0");
  EXPECT_EQ(grid.value()[0].object.size, 524288);
  // CloudEvents schema, one event, a quoted eTag.
  auto ce = parse_blob_created_event(R"({"specversion":"1.0",
    "type":"Microsoft.Storage.BlobCreated","time":"2026-12-03T11:40:00Z",
    "subject":"/blobServices/default/containers/c/blobs/k",
    "data":{"eTag":"\"0x1\"","contentLength":3}})");
  ASSERT_TRUE(ce) << ce.error().message;
  ASSERT_EQ(ce.value().size(), 1u);
  EXPECT_EQ(ce.value()[0].object.etag, "0x1");
  EXPECT_EQ(parse_blob_created_event("nope").error().kind, errc::data);
}

TEST(objstore_s3, open_refuses_incomplete_configs) {
  s3_config c;
  EXPECT_EQ(s3_store::open(c).error().kind, errc::invalid_config);
  c.bucket = "b";
  EXPECT_EQ(s3_store::open(c).error().kind, errc::invalid_config);
  c.access_key = c.secret_key = "k";
  EXPECT_TRUE(s3_store::open(c));  // AWS's endpoint for the region
  c.endpoint = "127.0.0.1:9000";
  EXPECT_EQ(s3_store::open(c).error().kind, errc::invalid_config);
  c.endpoint = "ftp://host";
  EXPECT_EQ(s3_store::open(c).error().kind, errc::invalid_config);
  c.endpoint = "http://host:9000/path";
  EXPECT_EQ(s3_store::open(c).error().kind, errc::invalid_config);
}

TEST(directory_store_test, keys_cannot_leave_the_root) {
  for (auto bad : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/."}) {
    EXPECT_FALSE(is_safe_key(bad)) << bad;
  }
  EXPECT_TRUE(is_safe_key("a/b.json"));
  EXPECT_TRUE(is_safe_key("..a/b.."));
  temp_root t;
  auto store = directory_store::open(t.path).value();
  auto r = store->write("../escape", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, errc::bad_request);
  EXPECT_FALSE(fs::exists(t.path.parent_path() / "escape"));
  EXPECT_EQ(directory_store::open(t.path / "missing").error().kind, errc::not_found);
}

TEST(directory_store_test, temporary_files_are_not_listed_and_writes_leave_none) {
  temp_root t;
  auto store = directory_store::open(t.path).value();
  ASSERT_TRUE(store->write("a/b/c.txt", "c"));
  std::ofstream(t.path / "a" / ".runnel-tmp-half-written") << "partial";
  auto page = store->list({}).value();
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].key, "a/b/c.txt");
  size_t files = 0;
  for (auto& e : fs::recursive_directory_iterator(t.path)) files += e.is_regular_file();
  EXPECT_EQ(files, 2u);  // c.txt and the planted one: write left no temporary
}

// A listing of N files is one walk of the tree, not one per page: the
// pages after the first come from the first page's walk (a listing of
// 10,000 files once walked the tree ten times, so a source polling a big
// landing directory spent most of its time walking it).
TEST(directory_store_test, a_paged_listing_walks_the_tree_once) {
  temp_root t;
  auto store = directory_store::open(t.path).value();
  for (int i = 0; i < 25; ++i) {
    std::ofstream(t.path / fmt::format("f{:03}.json", i)) << i;
  }
  std::vector<std::string> keys;
  list_request req;
  req.max_keys = 10;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = store->list(req).value();
    for (auto& o : page.objects) keys.push_back(o.key);
    if (page.next_token.empty()) break;
    req.token = page.next_token;
  }
  ASSERT_EQ(keys.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(keys[size_t(i)], fmt::format("f{:03}.json", i));
  EXPECT_EQ(store->walks(), 1);
  // A new listing walks again and sees a file added since.
  std::ofstream(t.path / "f100.json") << 100;
  list_request again;
  again.start_after = "f024.json";
  auto page = store->list(again).value();
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].key, "f100.json");
  EXPECT_EQ(store->walks(), 2);
}

TEST(directory_store_test, etag_changes_when_a_file_is_modified_in_place) {
  temp_root t;
  auto store = directory_store::open(t.path).value();
  auto first = store->write("f", "one").value();
  EXPECT_EQ(store->stat("f").value().etag, first);
  // Another program appends (mtime moves on even within the same second).
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::ofstream(t.path / "f", std::ios::app) << "two";
  auto st = store->stat("f").value();
  EXPECT_NE(st.etag, first);
  EXPECT_EQ(st.size, 6);
  EXPECT_EQ(store->read("f", 0, std::nullopt, first).error().kind, errc::conflict);
}

TEST(directory_watcher_test, reports_closed_and_moved_in_files_and_new_directories) {
  temp_root t;
  auto w = directory_watcher::open(t.path).value();
  auto store = directory_store::open(t.path).value();
  // A store write is a rename into place: one moved-in event, no temp file.
  ASSERT_TRUE(store->write("a.json", "{}"));
  // A plain writer: created, written, closed.
  std::ofstream(t.path / "b.log") << "line\n";
  std::set<std::string> seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (seen.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    auto ev = w->poll(std::chrono::milliseconds(200)).value();
    seen.insert(ev.keys.begin(), ev.keys.end());
  }
  EXPECT_EQ(seen, (std::set<std::string>{"a.json", "b.log"}));

  // A new directory is watched from when it is seen; what landed in it
  // before is left to a listing, which the watcher asks for.
  fs::create_directories(t.path / "2026" / "12");
  bool needs_listing = false;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!needs_listing && std::chrono::steady_clock::now() < deadline) {
    needs_listing = w->poll(std::chrono::milliseconds(200)).value().needs_listing;
  }
  EXPECT_TRUE(needs_listing);
  std::ofstream(t.path / "2026" / "12" / "c.csv") << "x,y\n";
  seen.clear();
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (seen.empty() && std::chrono::steady_clock::now() < deadline) {
    auto ev = w->poll(std::chrono::milliseconds(200)).value();
    seen.insert(ev.keys.begin(), ev.keys.end());
  }
  EXPECT_EQ(seen, (std::set<std::string>{"2026/12/c.csv"}));
}

TEST(directory_watcher_test, wakeup_ends_a_waiting_poll) {
  temp_root t;
  auto w = directory_watcher::open(t.path).value();
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    w->wakeup();
  });
  auto start = std::chrono::steady_clock::now();
  auto ev = w->poll(std::chrono::seconds(30)).value();
  waker.join();
  EXPECT_TRUE(ev.keys.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

}  // namespace
}  // namespace runnel::connect::objstore
