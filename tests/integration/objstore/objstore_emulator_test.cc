// The storage backends (src/connect/objstore) against real servers: the same
// contract run on two independent S3 implementations (moto's server mode and
// s3rver), each path-style and virtual-host style, on Azurite with Shared
// Key and with a SAS token, and on a local directory. The official SDKs
// of three languages read what runnel wrote and write what runnel reads:
// Python's boto3 and azure-storage-blob (sdk.py), JavaScript's
// @aws-sdk/client-s3 and @azure/storage-blob (sdk.mjs) and Go's
// aws-sdk-go-v2 and azblob (tests/integration/go/objsdk). s3rver and Azurite check signatures, so a
// wrong secret must be refused.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <tuple>
#include <utility>

#include "../../common/source_task_driver.h"
#include "connect/objstore/azure_blob_store.h"
#include "connect/objstore/directory_store.h"
#include "connect/objstore/s3_store.h"
#include "connect/objstore/sink_task.h"
#include "connect/objstore/source_task.h"
#include "emulators.h"

namespace runnel::connect::objstore {
namespace {

using test::emulator_dir;
using test::run_sdk;
using test::server_process;
using test::temp_dir;

// Azurite's well-known development account.
constexpr const char* azurite_account = "devstoreaccount1";
constexpr const char* azurite_key =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
constexpr const char* s3rver_key = "S3RVER";  // s3rver's fixed credentials (key = secret)

// The servers, started once for the whole program and stopped at its end.
struct emulators {
  temp_dir data;
  std::unique_ptr<server_process> moto, s3rver, azurite, azurite_queue;
  std::string sas;  // a container SAS for "runnel-sas"
  // moto checks SigV4 signatures against its IAM users once the first five
  // requests (the setup: a user, its key, its policy, two buckets) are done.
  std::string moto_key, moto_secret;

  emulators() {
    int p = test::free_port();
    moto = std::make_unique<server_process>(
        "moto",
        std::vector<std::string>{(emulator_dir / ".venv/bin/moto_server").string(), "-H",
                                 "127.0.0.1", "-p", std::to_string(p)},
        p, data.path() / "moto.log", std::vector<std::string>{"INITIAL_NO_AUTH_ACTION_COUNT=5"});
    p = test::free_port();
    std::filesystem::create_directories(data.path() / "s3rver");
    s3rver = std::make_unique<server_process>(
        "s3rver",
        std::vector<std::string>{(emulator_dir / "node_modules/.bin/s3rver").string(), "-d",
                                 (data.path() / "s3rver").string(), "-a", "127.0.0.1", "-p",
                                 std::to_string(p), "--silent", "--service-endpoint", "localhost",
                                 "--configure-bucket", "runnel-path", "--configure-bucket",
                                 "runnel-vhost"},
        p, data.path() / "s3rver.log",
        // s3rver's continuation tokens use a cipher OpenSSL 3 keeps in its
        // legacy provider.
        std::vector<std::string>{"NODE_OPTIONS=--openssl-legacy-provider"});
    p = test::free_port();
    std::filesystem::create_directories(data.path() / "azurite");
    azurite = std::make_unique<server_process>(
        "azurite",
        std::vector<std::string>{(emulator_dir / "node_modules/.bin/azurite-blob").string(),
                                 "--blobHost", "127.0.0.1", "--blobPort", std::to_string(p),
                                 "--location", (data.path() / "azurite").string(), "--silent",
                                 "--skipApiVersionCheck"},
        p, data.path() / "azurite.log");
    p = test::free_port();
    std::filesystem::create_directories(data.path() / "azurite-queue");
    azurite_queue = std::make_unique<server_process>(
        "azurite-queue",
        std::vector<std::string>{(emulator_dir / "node_modules/.bin/azurite-queue").string(),
                                 "--queueHost", "127.0.0.1", "--queuePort", std::to_string(p),
                                 "--location", (data.path() / "azurite-queue").string(), "--silent",
                                 "--skipApiVersionCheck"},
        p, data.path() / "azurite-queue.log");
    auto creds = run_sdk({"moto-setup", moto_endpoint(), "runnel-path", "runnel-vhost"}, {},
                         {"AWS_ACCESS_KEY_ID=setup", "AWS_SECRET_ACCESS_KEY=setup"});
    auto space = creds.find(' ');
    moto_key = creds.substr(0, space);
    moto_secret = creds.substr(space + 1);
    while (!moto_secret.empty() && moto_secret.back() == '\n') moto_secret.pop_back();
    for (auto c : {"runnel-key", "runnel-sas", "runnel-sdk"}) {
      run_sdk({"azure-create-container", azurite_endpoint(), azurite_account, azurite_key, c});
    }
    sas = run_sdk({"azure-sas", azurite_account, azurite_key, "runnel-sas"});
    while (!sas.empty() && (sas.back() == '\n' || sas.back() == '\r')) sas.pop_back();
  }

  std::string moto_endpoint() const { return fmt::format("http://127.0.0.1:{}", moto->port()); }
  std::string s3rver_endpoint() const { return fmt::format("http://127.0.0.1:{}", s3rver->port()); }
  std::string azurite_queue_endpoint() const {
    return fmt::format("http://127.0.0.1:{}/{}", azurite_queue->port(), azurite_account);
  }
  std::string azurite_endpoint() const {
    return fmt::format("http://127.0.0.1:{}/{}", azurite->port(), azurite_account);
  }
  std::vector<std::string> moto_env() const {
    return {"AWS_ACCESS_KEY_ID=" + moto_key, "AWS_SECRET_ACCESS_KEY=" + moto_secret};
  }

  static emulators& get() {
    static emulators e;
    return e;
  }
};

struct backend_case {
  std::string name;
};

std::unique_ptr<blob_store> open_backend(const std::string& name, const temp_dir& dir) {
  auto& e = emulators::get();
  if (name == "moto_path" || name == "moto_vhost") {
    s3_config c;
    c.bucket = name == "moto_path" ? "runnel-path" : "runnel-vhost";
    c.path_style = name == "moto_path";
    // Virtual-host style needs a name: *.localhost resolves to loopback.
    c.endpoint =
        c.path_style ? e.moto_endpoint() : fmt::format("http://localhost:{}", e.moto->port());
    c.access_key = e.moto_key;
    c.secret_key = e.moto_secret;
    return s3_store::open(c).value();
  }
  if (name == "s3rver_path" || name == "s3rver_vhost") {
    s3_config c;
    c.bucket = name == "s3rver_path" ? "runnel-path" : "runnel-vhost";
    c.path_style = name == "s3rver_path";
    c.endpoint = c.path_style ? e.s3rver_endpoint()
                              : fmt::format("http://s3.localhost:{}", e.s3rver->port());
    c.access_key = c.secret_key = s3rver_key;
    return s3_store::open(c).value();
  }
  if (name == "azurite_key" || name == "azurite_sas") {
    azure_blob_config c;
    c.endpoint = e.azurite_endpoint();
    c.credentials.account = azurite_account;
    if (name == "azurite_key") {
      c.container = "runnel-key";
      c.credentials.account_key = azurite_key;
    } else {
      c.container = "runnel-sas";
      c.credentials.sas_token = e.sas;
    }
    return azure_blob_store::open(c).value();
  }
  return directory_store::open(dir.path()).value();
}

class backend_test : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    store_ = open_backend(GetParam(), dir_);
    // Each test works under its own prefix: the buckets are shared.
    prefix_ = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (auto& c : prefix_) {
      if (c == '/') c = '-';
    }
    prefix_ += "/";
  }
  std::string k(std::string_view name) const { return prefix_ + std::string(name); }

  std::vector<std::string> all_keys(const std::string& prefix, int page_size = 1000) {
    std::vector<std::string> keys;
    list_request req;
    req.prefix = prefix;
    req.max_keys = page_size;
    for (int pages = 0; pages < 1000; ++pages) {
      auto page = store_->list(req);
      EXPECT_TRUE(page) << page.error().message;
      if (!page) break;
      for (auto& o : page.value().objects) keys.push_back(o.key);
      if (page.value().next_token.empty()) break;
      req.token = page.value().next_token;
    }
    return keys;
  }

  temp_dir dir_;
  std::unique_ptr<blob_store> store_;
  std::string prefix_;
};

TEST_P(backend_test, write_then_read_whole_and_ranges) {
  std::string body = "line one\nline two\nline three\n";
  auto etag = store_->write(k("a.txt"), body);
  ASSERT_TRUE(etag) << etag.error().message;
  EXPECT_FALSE(etag.value().empty());
  EXPECT_EQ(store_->read(k("a.txt")).value(), body);
  EXPECT_EQ(store_->read(k("a.txt"), 5, 3).value(), "one");
  EXPECT_EQ(store_->read(k("a.txt"), 9).value(), "line two\nline three\n");
  EXPECT_EQ(store_->read(k("a.txt"), 23, 1000).value(), "three\n");
  EXPECT_EQ(store_->read(k("a.txt"), int64_t(body.size())).value(), "");
  EXPECT_EQ(store_->read(k("a.txt"), 1000).value(), "");
  EXPECT_EQ(store_->read(k("a.txt"), 0, 0).value(), "");
  auto st = store_->stat(k("a.txt"));
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st.value().size, int64_t(body.size()));
  EXPECT_EQ(st.value().etag, etag.value());
  auto age = std::chrono::system_clock::now() - st.value().last_modified;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(5));
}

TEST_P(backend_test, empty_binary_and_large_objects_round_trip) {
  ASSERT_TRUE(store_->write(k("empty"), ""));
  EXPECT_EQ(store_->read(k("empty")).value(), "");
  EXPECT_EQ(store_->stat(k("empty")).value().size, 0);
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(char(i));
  ASSERT_TRUE(store_->write(k("binary"), binary));
  EXPECT_EQ(store_->read(k("binary")).value(), binary);
  // 3 MiB: more than one curl buffer either way.
  std::string big;
  for (int i = 0; big.size() < 3 * 1024 * 1024; ++i) big += fmt::format("record {:08}\n", i);
  ASSERT_TRUE(store_->write(k("big"), big));
  EXPECT_EQ(store_->read(k("big")).value(), big);
  EXPECT_EQ(store_->read(k("big"), 2'000'000, 16).value(), big.substr(2'000'000, 16));
}

TEST_P(backend_test, keys_with_spaces_and_unicode) {
  for (std::string name : {"with space.txt", "dt=2026-12-03/hour=11/part 0+1.json",
                           "caf\xc3\xa9/\xe2\x82\xac%25.csv"}) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(store_->write(k(name), name)) << name;
    EXPECT_EQ(store_->read(k(name)).value(), name);
    EXPECT_EQ(store_->stat(k(name)).value().size, int64_t(name.size()));
  }
  auto keys = all_keys(prefix_);
  std::set<std::string> got(keys.begin(), keys.end());
  EXPECT_EQ(got.size(), 3u);
  EXPECT_TRUE(got.count(k("caf\xc3\xa9/\xe2\x82\xac%25.csv")));
}

TEST_P(backend_test, listing_pages_in_key_order_with_prefix_and_start_after) {
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    auto key = k(fmt::format("in/{:03}.json", i));
    ASSERT_TRUE(store_->write(key, fmt::format("{{\"n\":{}}}\n", i)));
    expected.push_back(key);
  }
  ASSERT_TRUE(store_->write(k("other/x"), "x"));
  EXPECT_EQ(all_keys(k("in/"), 7), expected);
  EXPECT_EQ(all_keys(k("in/")), expected);
  EXPECT_EQ(all_keys(k("nothing/")), std::vector<std::string>{});

  list_request req;
  req.prefix = k("in/");
  req.start_after = k("in/019.json");
  auto page = store_->list(req);
  ASSERT_TRUE(page) << page.error().message;
  std::vector<std::string> after;
  for (auto& o : page.value().objects) after.push_back(o.key);
  EXPECT_EQ(after, std::vector<std::string>(expected.begin() + 20, expected.end()));
  // Every entry carries size, etag and time.
  for (auto& o : page.value().objects) {
    EXPECT_GT(o.size, 0);
    EXPECT_FALSE(o.etag.empty());
    EXPECT_GT(o.last_modified.time_since_epoch().count(), 0);
  }
}

TEST_P(backend_test, missing_objects_are_not_found_and_remove_is_idempotent) {
  auto r = store_->read(k("missing"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, errc::not_found) << r.error().message;
  auto s = store_->stat(k("missing"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, errc::not_found) << s.error().message;
  EXPECT_TRUE(store_->remove(k("missing")));
  ASSERT_TRUE(store_->write(k("gone"), "x"));
  EXPECT_TRUE(store_->remove(k("gone")));
  EXPECT_EQ(store_->stat(k("gone")).error().kind, errc::not_found);
  EXPECT_TRUE(store_->remove(k("gone")));
}

TEST_P(backend_test, replacing_changes_the_etag_and_if_etag_notices) {
  auto first = store_->write(k("f"), "version 1");
  ASSERT_TRUE(first);
  EXPECT_EQ(store_->read(k("f"), 0, std::nullopt, first.value()).value(), "version 1");
  auto second = store_->write(k("f"), "version 2, longer");
  ASSERT_TRUE(second);
  EXPECT_NE(first.value(), second.value());
  auto stale = store_->read(k("f"), 0, std::nullopt, first.value());
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().kind, errc::conflict) << stale.error().message;
  EXPECT_EQ(store_->read(k("f"), 8, std::nullopt, second.value()).value(), "2, longer");
}

TEST_P(backend_test, copy_and_move) {
  ASSERT_TRUE(store_->write(k("src.csv"), "a,b\n1,2\n"));
  auto c = store_->copy(k("src.csv"), k("copies/src.csv"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(store_->read(k("copies/src.csv")).value(), "a,b\n1,2\n");
  EXPECT_EQ(store_->read(k("src.csv")).value(), "a,b\n1,2\n");
  auto m = store_->move(k("src.csv"), k("done/2026/src.csv"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(store_->read(k("done/2026/src.csv")).value(), "a,b\n1,2\n");
  EXPECT_EQ(store_->stat(k("src.csv")).error().kind, errc::not_found);
  auto missing = store_->copy(k("nope"), k("nope2"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, errc::not_found) << missing.error().message;
}

INSTANTIATE_TEST_SUITE_P(backends, backend_test,
                         ::testing::Values("moto_path", "moto_vhost", "s3rver_path", "s3rver_vhost",
                                           "azurite_key", "azurite_sas", "directory"),
                         [](const auto& info) { return info.param; });

// What runnel writes, boto3 reads back; what boto3 writes, runnel lists
// and reads.
TEST(s3_sdk, boto3_and_runnel_read_each_other) {
  auto& e = emulators::get();
  temp_dir unused;
  auto store = open_backend("moto_path", unused);
  ASSERT_TRUE(store->write("sdk/from-runnel.txt", "written by runnel\n"));
  EXPECT_EQ(run_sdk({"s3-get", e.moto_endpoint(), "runnel-path", "sdk/from-runnel.txt"}, {},
                    e.moto_env()),
            "written by runnel\n");
  run_sdk({"s3-put", e.moto_endpoint(), "runnel-path", "sdk/from boto3.json"}, "{\"by\":\"boto3\"}",
          e.moto_env());
  EXPECT_EQ(store->read("sdk/from boto3.json").value(), "{\"by\":\"boto3\"}");
  list_request req;
  req.prefix = "sdk/";
  auto page = store->list(req).value();
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "sdk/from boto3.json");
  EXPECT_EQ(page.objects[0].size, 14);
}

TEST(azure_sdk, azure_storage_blob_and_runnel_read_each_other) {
  auto& e = emulators::get();
  azure_blob_config c;
  c.endpoint = e.azurite_endpoint();
  c.credentials = {azurite_account, azurite_key, {}};
  c.container = "runnel-sdk";
  auto store = azure_blob_store::open(c).value();
  ASSERT_TRUE(store->write("from-runnel.txt", "written by runnel\n"));
  EXPECT_EQ(run_sdk({"azure-get", e.azurite_endpoint(), azurite_account, azurite_key, "runnel-sdk",
                     "from-runnel.txt"}),
            "written by runnel\n");
  run_sdk({"azure-put", e.azurite_endpoint(), azurite_account, azurite_key, "runnel-sdk",
           "dir/from sdk.json"},
          "{\"by\":\"azure-storage-blob\"}");
  EXPECT_EQ(store->read("dir/from sdk.json").value(), "{\"by\":\"azure-storage-blob\"}");
  EXPECT_EQ(store->stat("dir/from sdk.json").value().size, 27);
}

// The same both ways with the official JavaScript SDK (@aws-sdk/client-s3,
// through sdk.mjs) and Go SDK (aws-sdk-go-v2, through go/objsdk): each
// reads an object runnel wrote and writes one runnel lists and reads.
TEST(s3_sdk, js_and_go_sdks_and_runnel_read_each_other) {
  auto& e = emulators::get();
  temp_dir unused;
  auto store = open_backend("moto_path", unused);
  ASSERT_TRUE(store->write("sdk-js-go/from-runnel.txt", "written by runnel\n"));
  using runner = std::string (*)(const std::vector<std::string>&, const std::string&,
                                 const std::vector<std::string>&);
  for (auto [name, run] : {std::pair<std::string, runner>{"js", test::run_js_sdk},
                           std::pair<std::string, runner>{"go", test::run_go_sdk}}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(run({"s3-get", e.moto_endpoint(), "runnel-path", "sdk-js-go/from-runnel.txt"}, {},
                  e.moto_env()),
              "written by runnel\n");
    auto key = "sdk-js-go/from " + name + ".json";
    auto body = "{\"by\":\"" + name + "\"}\n";
    run({"s3-put", e.moto_endpoint(), "runnel-path", key}, body, e.moto_env());
    auto got = store->read(key);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got.value(), body);
    EXPECT_EQ(store->stat(key).value().size, int64_t(body.size()));
  }
  list_request req;
  req.prefix = "sdk-js-go/";
  auto page = store->list(req).value();
  std::vector<std::string> keys;
  for (auto& o : page.objects) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"sdk-js-go/from go.json", "sdk-js-go/from js.json",
                                            "sdk-js-go/from-runnel.txt"}));
}

TEST(azure_sdk, js_and_go_sdks_and_runnel_read_each_other) {
  auto& e = emulators::get();
  azure_blob_config c;
  c.endpoint = e.azurite_endpoint();
  c.credentials = {azurite_account, azurite_key, {}};
  c.container = "runnel-sdk";
  auto store = azure_blob_store::open(c).value();
  ASSERT_TRUE(store->write("js-go/from-runnel.txt", "written by runnel\n"));
  using runner = std::string (*)(const std::vector<std::string>&, const std::string&,
                                 const std::vector<std::string>&);
  for (auto [name, run] : {std::pair<std::string, runner>{"js", test::run_js_sdk},
                           std::pair<std::string, runner>{"go", test::run_go_sdk}}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(run({"azure-get", e.azurite_endpoint(), azurite_account, azurite_key, "runnel-sdk",
                   "js-go/from-runnel.txt"},
                  {}, {}),
              "written by runnel\n");
    auto blob = "js-go/dir/from " + name + ".json";
    auto body = "{\"by\":\"" + name + "\"}\n";
    run({"azure-put", e.azurite_endpoint(), azurite_account, azurite_key, "runnel-sdk", blob}, body,
        {});
    auto got = store->read(blob);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got.value(), body);
    EXPECT_EQ(store->stat(blob).value().size, int64_t(body.size()));
  }
  list_request req;
  req.prefix = "js-go/";
  auto page = store->list(req).value();
  std::vector<std::string> keys;
  for (auto& o : page.objects) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"js-go/dir/from go.json", "js-go/dir/from js.json",
                                            "js-go/from-runnel.txt"}));
}

// moto and Azurite check signatures (s3rver does not check SigV4): every
// moto and Azurite test above was signed right, and a wrong secret is
// refused, not ignored.
TEST(signatures, a_wrong_s3_secret_is_refused_by_moto) {
  auto& e = emulators::get();
  s3_config c;
  c.bucket = "runnel-path";
  c.path_style = true;
  c.endpoint = e.moto_endpoint();
  c.access_key = e.moto_key;
  c.secret_key = "not-the-secret";
  auto store = s3_store::open(c).value();
  auto w = store->write("x", "x");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().kind, errc::fatal) << w.error().message;
  EXPECT_NE(w.error().message.find("SignatureDoesNotMatch"), std::string::npos)
      << w.error().message;
  EXPECT_FALSE(store->list({}));
}

TEST(signatures, a_wrong_azure_key_is_refused_by_azurite) {
  auto& e = emulators::get();
  azure_blob_config c;
  c.endpoint = e.azurite_endpoint();
  c.container = "runnel-key";
  c.credentials.account = azurite_account;
  // A valid base64 key, but not the account's.
  c.credentials.account_key =
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
  auto store = azure_blob_store::open(c).value();
  auto w = store->write("x", "x");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().kind, errc::fatal) << w.error().message;
  EXPECT_FALSE(store->list({}));
}

TEST(signatures, an_unreachable_endpoint_is_retriable) {
  s3_config c;
  c.bucket = "b";
  c.path_style = true;
  c.endpoint = fmt::format("http://127.0.0.1:{}", test::free_port());
  c.access_key = c.secret_key = "x";
  auto store = s3_store::open(c).value();
  auto r = store->read("k");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, errc::retriable) << r.error().message;
}

// The source task over S3 (moto) and Azure Blob (Azurite): files written by
// the official SDKs become records once each, a restart mid-file continues
// at the first record not committed, and a file re-uploaded unchanged
// (same etag and size) is not read again.
std::string numbered_lines(int from, int to) {
  std::string s;
  for (int i = from; i < to; ++i) s += fmt::format("{{\"n\":{}}}\n", i);
  return s;
}

std::vector<int> numbers(const std::vector<source_record>& rs, const std::string& key) {
  std::vector<int> out;
  for (auto& r : rs) {
    if (!r.offset_only() && r.key == key) out.push_back(r.value["n"].get<int>());
  }
  return out;
}

TEST(s3_source, sdk_files_once_each_across_a_restart_mid_file_and_a_reupload) {
  auto& e = emulators::get();
  config_map props{{"s3.bucket.name", "runnel-path"},
                   {"store.url", e.moto_endpoint()},
                   {"s3.path.style.access.enabled", "true"},
                   {"aws.access.key.id", e.moto_key},
                   {"aws.secret.access.key", e.moto_secret},
                   {"topic", "files"},
                   {"format", "json"},
                   {"prefix", "source/"},
                   {"poll.interval.ms", "50"},
                   {"read.chunk.bytes", "4096"},
                   {"max.bytes.per.poll", "8192"}};
  std::string big = numbered_lines(0, 3000);
  run_sdk({"s3-put", e.moto_endpoint(), "runnel-path", "source/a.json"}, big, e.moto_env());
  run_sdk({"s3-put", e.moto_endpoint(), "runnel-path", "source/b.json"}, numbered_lines(0, 5),
          e.moto_env());
  test::source_task_driver d(props);
  std::vector<int> a;
  {
    objstore_source_task t(store_kind::s3);
    ASSERT_TRUE(t.start(props, d));
    auto got = d.run(t, 1500, 100, /*commit=*/1000);
    auto first = numbers(got, "source/a.json");
    ASSERT_GE(first.size(), 1000u);
    a.assign(first.begin(), first.begin() + 1000);
  }
  objstore_source_task t(store_kind::s3);
  ASSERT_TRUE(t.start(props, d));
  auto got = d.run(t, 2005, 200);
  EXPECT_TRUE(d.errors.empty()) << d.errors.front();
  auto rest = numbers(got, "source/a.json");
  a.insert(a.end(), rest.begin(), rest.end());
  std::vector<int> want(3000);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(a, want);
  EXPECT_EQ(numbers(got, "source/b.json"), (std::vector<int>{0, 1, 2, 3, 4}));
  // The same bytes uploaded again: same etag and size, not read again; new
  // bytes under the same key are a new version, read whole.
  run_sdk({"s3-put", e.moto_endpoint(), "runnel-path", "source/b.json"}, numbered_lines(0, 5),
          e.moto_env());
  EXPECT_EQ(test::source_task_driver::count(d.run(t, 1, 6)), 0u);
  run_sdk({"s3-put", e.moto_endpoint(), "runnel-path", "source/b.json"}, numbered_lines(7, 9),
          e.moto_env());
  EXPECT_EQ(numbers(d.run(t, 2), "source/b.json"), (std::vector<int>{7, 8}));
}

TEST(azure_source, csv_and_pointer_events_from_blobs_the_sdk_wrote) {
  auto& e = emulators::get();
  config_map props{{"azblob.account.name", azurite_account},
                   {"azblob.account.key", azurite_key},
                   {"azblob.container.name", "runnel-sdk"},
                   {"store.url", e.azurite_endpoint()},
                   {"topic", "files"},
                   {"format", "csv"},
                   {"prefix", "csv/"},
                   {"poll.interval.ms", "50"}};
  run_sdk({"azure-put", e.azurite_endpoint(), azurite_account, azurite_key, "runnel-sdk",
           "csv/people.csv"},
          "id,name\n1,Ann\n2,\"Bob, Jr.\"\n");
  {
    test::source_task_driver d(props);
    objstore_source_task t(store_kind::azure);
    ASSERT_TRUE(t.start(props, d));
    auto got = d.run(t, 2);
    ASSERT_EQ(test::source_task_driver::count(got), 2u);
    EXPECT_EQ(got[1].value.dump(), R"({"id":"2","name":"Bob, Jr."})");
    EXPECT_EQ(got[1].source_offset["done"], true);
  }
  props["format"] = "pointer";
  test::source_task_driver d(props);
  objstore_source_task t(store_kind::azure);
  ASSERT_TRUE(t.start(props, d));
  auto got = d.run(t, 1);
  ASSERT_EQ(test::source_task_driver::count(got), 1u);
  EXPECT_EQ(got[0].value["source"], "azure://runnel-sdk");
  EXPECT_EQ(got[0].value["subject"], "csv/people.csv");
  EXPECT_EQ(got[0].value["data"]["size"], 27);
}

// A moto bucket whose object-created events go to an SQS queue, and a
// notifications-mode source config for it (`poll_ms` between receives).
config_map notified_bucket(const std::string& bucket, const std::string& poll_ms) {
  auto& e = emulators::get();
  auto endpoint = e.moto_endpoint();
  run_sdk({"s3-create-bucket", endpoint, bucket}, {}, e.moto_env());
  auto url = run_sdk({"s3-notify", endpoint, bucket, bucket + "-q"}, {}, e.moto_env());
  while (!url.empty() && url.back() == '\n') url.pop_back();
  return {{"s3.bucket.name", bucket},
          {"store.url", endpoint},
          {"s3.path.style.access.enabled", "true"},
          {"aws.access.key.id", e.moto_key},
          {"aws.secret.access.key", e.moto_secret},
          {"topic", "files"},
          {"format", "json"},
          {"discovery.mode", "notifications"},
          {"sqs.queue.url", url},
          {"sqs.endpoint", endpoint},
          {"poll.interval.ms", poll_ms}};
}

// Discovery by S3 event notifications through SQS (moto sends them as S3
// does): every file once; a duplicated notification reads nothing again;
// a lost one (the queue purged) is missed by notifications alone and found
// by hybrid's backfill listing; notifications are deleted once their file
// is done.
TEST(s3_notifications, duplicated_and_lost_events_with_notifications_and_hybrid) {
  auto& e = emulators::get();
  config_map props = notified_bucket("runnel-events", "50");
  const auto endpoint = props.at("store.url");
  const auto url = props.at("sqs.queue.url");
  auto count = [&] {
    auto n = run_sdk({"sqs-count", endpoint, url}, {}, e.moto_env());
    return std::stoi(n);
  };
  run_sdk({"s3-put", endpoint, "runnel-events", "a.json"}, numbered_lines(0, 2), e.moto_env());
  run_sdk({"s3-put", endpoint, "runnel-events", "b.json"}, numbered_lines(2, 3), e.moto_env());
  test::source_task_driver d(props);
  objstore_source_task t(store_kind::s3);
  ASSERT_TRUE(t.start(props, d));
  auto got = d.run(t, 3, 100);
  EXPECT_TRUE(d.errors.empty()) << (d.errors.empty() ? "" : d.errors.front());
  EXPECT_EQ(numbers(got, "a.json"), (std::vector<int>{0, 1}));
  EXPECT_EQ(numbers(got, "b.json"), (std::vector<int>{2}));
  EXPECT_EQ(count(), 0);  // done, so deleted

  // The same event again (a duplicate, or late): nothing is read twice.
  run_sdk({"s3-put", endpoint, "runnel-events", "c.json"}, numbered_lines(3, 4), e.moto_env());
  got = d.run(t, 1, 100);
  EXPECT_EQ(numbers(got, "c.json"), (std::vector<int>{3}));
  std::string event =
      R"({"Records":[{"eventName":"ObjectCreated:Put","eventTime":"2026-12-03T11:00:00.000Z",)"
      R"("s3":{"bucket":{"name":"runnel-events"},"object":{"key":"c.json","size":)" +
      std::to_string(numbered_lines(3, 4).size()) + R"(,"eTag":")" +
      s3_store::open({.bucket = "runnel-events",
                      .endpoint = endpoint,
                      .path_style = true,
                      .access_key = e.moto_key,
                      .secret_key = e.moto_secret})
          .value()
          ->stat("c.json")
          .value()
          .etag +
      R"("}}}]})";
  run_sdk({"sqs-send", endpoint, url}, event, e.moto_env());
  EXPECT_EQ(test::source_task_driver::count(d.run(t, 1, 10)), 0u);
  EXPECT_EQ(count(), 0);  // the duplicate was recognised and deleted

  // A lost notification: notifications alone miss the file...
  run_sdk({"s3-put", endpoint, "runnel-events", "d.json"}, numbered_lines(4, 5), e.moto_env());
  run_sdk({"sqs-purge", endpoint, url}, {}, e.moto_env());
  EXPECT_EQ(test::source_task_driver::count(d.run(t, 1, 10)), 0u);
  // ... hybrid's backfill listing finds it, and only it.
  props["discovery.mode"] = "hybrid";
  props["backfill.interval.ms"] = "100";
  test::source_task_driver h(props);
  // The offsets so far, as the runtime would give them to a new task.
  for (auto key : {"a.json", "b.json", "c.json"}) {
    auto p = partition_of("runnel-events", key);
    h.store(p, *d.offset(p));
  }
  objstore_source_task hybrid(store_kind::s3);
  ASSERT_TRUE(hybrid.start(props, h));
  got = h.run(hybrid, 1, 100);
  EXPECT_EQ(test::source_task_driver::count(got), 1u);
  EXPECT_EQ(numbers(got, "d.json"), (std::vector<int>{4}));
}

// A burst of notifications (more than one ReceiveMessage batch of 10) is
// read at once, not 10 files per poll.interval.ms: the source receives
// again straight away while the queue hands out full batches.
TEST(s3_notifications, a_burst_is_drained_without_waiting_for_the_poll_interval) {
  auto& e = emulators::get();
  // A poll interval far longer than the test: a second receive on this
  // schedule would never come.
  config_map props = notified_bucket("runnel-burst", "600000");
  run_sdk({"s3-put-many", props.at("store.url"), "runnel-burst", "f", "35"}, {}, e.moto_env());
  test::source_task_driver d(props);
  objstore_source_task t(store_kind::s3);
  ASSERT_TRUE(t.start(props, d));
  auto got = d.run(t, 35, 20);
  EXPECT_TRUE(d.errors.empty()) << (d.errors.empty() ? "" : d.errors.front());
  std::multiset<int> seen;
  for (auto& r : got) {
    if (!r.offset_only()) seen.insert(r.value["n"].get<int>());
  }
  ASSERT_EQ(seen.size(), 35u);
  for (int i = 0; i < 35; ++i) EXPECT_EQ(seen.count(i), 1u) << i;
}

// Event Grid BlobCreated events through an Azure Storage queue (Azurite's
// queue service; the events are written as Event Grid writes them, since
// Azurite has no Event Grid).
TEST(azure_notifications, blob_created_events_once_each_and_deleted_when_done) {
  auto& e = emulators::get();
  auto qe = e.azurite_queue_endpoint();
  auto be = e.azurite_endpoint();
  run_sdk({"azqueue-create", qe, azurite_account, azurite_key, "blob-events"});
  for (auto [blob, from, to] : {std::tuple{"ev/a.json", 0, 2}, std::tuple{"ev/b.json", 2, 3}}) {
    run_sdk({"azure-put", be, azurite_account, azurite_key, "runnel-sdk", blob},
            numbered_lines(from, to));
    run_sdk({"azqueue-blob-created", qe, be, azurite_account, azurite_key, "blob-events",
             "runnel-sdk", blob});
  }
  config_map props{{"azblob.account.name", azurite_account},
                   {"azblob.account.key", azurite_key},
                   {"azblob.container.name", "runnel-sdk"},
                   {"store.url", be},
                   {"topic", "files"},
                   {"format", "json"},
                   {"prefix", "ev/"},
                   {"discovery.mode", "notifications"},
                   {"azqueue.name", "blob-events"},
                   {"azqueue.url", qe},
                   {"poll.interval.ms", "50"}};
  test::source_task_driver d(props);
  objstore_source_task t(store_kind::azure);
  auto started = t.start(props, d);
  ASSERT_TRUE(started) << started.error().message;
  auto got = d.run(t, 3, 100);
  EXPECT_TRUE(d.errors.empty()) << (d.errors.empty() ? "" : d.errors.front());
  EXPECT_EQ(numbers(got, "ev/a.json"), (std::vector<int>{0, 1}));
  EXPECT_EQ(numbers(got, "ev/b.json"), (std::vector<int>{2}));
  auto count = [&] {
    return std::stoi(run_sdk({"azqueue-count", qe, azurite_account, azurite_key, "blob-events"}));
  };
  EXPECT_EQ(count(), 0);
  // The same event again: nothing read twice, and the message is deleted.
  run_sdk({"azqueue-blob-created", qe, be, azurite_account, azurite_key, "blob-events",
           "runnel-sdk", "ev/a.json"});
  EXPECT_EQ(test::source_task_driver::count(d.run(t, 1, 10)), 0u);
  EXPECT_EQ(count(), 0);
}

// The sink writes to S3 (moto) and Azure (Azurite); the SDKs read the files
// back under their exactly-once names.
class null_sink_context : public sink_task_context {
 public:
  explicit null_sink_context(config_map p) : props_(std::move(p)) {}
  const config_map& configs() const override { return props_; }
  void offset(const client::topic_partition&, int64_t) override {}
  void timeout(std::chrono::milliseconds) override {}
  std::vector<client::topic_partition> assignment() const override { return {}; }
  void pause(const std::vector<client::topic_partition>&) override {}
  void resume(const std::vector<client::topic_partition>&) override {}
  void request_commit() override {}
  result<void> report(const sink_record&, const error& e) override { return e; }

 private:
  config_map props_;
};

std::vector<sink_record> sink_batch(int n) {
  std::vector<sink_record> out;
  for (int i = 0; i < n; ++i) {
    sink_record r;
    r.topic = "clicks";
    r.kafka_partition = 2;
    r.kafka_offset = 40 + i;
    r.value = data{{"n", i}};
    out.push_back(std::move(r));
  }
  return out;
}

TEST(s3_sink, files_land_under_offset_names_and_boto3_reads_them) {
  auto& e = emulators::get();
  config_map props{{"s3.bucket.name", "runnel-vhost"},
                   {"store.url", fmt::format("http://localhost:{}", e.moto->port())},
                   {"aws.access.key.id", e.moto_key},
                   {"aws.secret.access.key", e.moto_secret},
                   {"flush.size", "2"},
                   {"topics.dir", "out"}};
  null_sink_context ctx(props);
  objstore_sink_task t(store_kind::s3);
  ASSERT_TRUE(t.start(props, ctx));
  auto batch = sink_batch(3);
  ASSERT_TRUE(t.put(batch));
  EXPECT_EQ(run_sdk({"s3-get", fmt::format("http://127.0.0.1:{}", e.moto->port()), "runnel-vhost",
                     "out/clicks/partition=2/clicks+2+0000000040.json"},
                    {}, e.moto_env()),
            "{\"n\":0}\n{\"n\":1}\n");
}

TEST(azure_sink, files_land_under_offset_names_and_the_sdk_reads_them) {
  auto& e = emulators::get();
  config_map props{{"azblob.account.name", azurite_account},
                   {"azblob.account.key", azurite_key},
                   {"azblob.container.name", "runnel-sdk"},
                   {"store.url", e.azurite_endpoint()},
                   {"flush.size", "3"},
                   {"format", "csv"}};
  null_sink_context ctx(props);
  objstore_sink_task t(store_kind::azure);
  ASSERT_TRUE(t.start(props, ctx));
  auto batch = sink_batch(3);
  ASSERT_TRUE(t.put(batch));
  EXPECT_EQ(run_sdk({"azure-get", e.azurite_endpoint(), azurite_account, azurite_key, "runnel-sdk",
                     "topics/clicks/partition=2/clicks+2+0000000040.csv"}),
            "n\n0\n1\n2\n");
}

}  // namespace
}  // namespace runnel::connect::objstore
