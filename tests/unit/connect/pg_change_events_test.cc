// Debezium-compatible change events (connect/postgres/change_events.h):
// every kind of change, field by field, on the layout Debezium 3.x's
// PostgreSQL connector writes.
#include <gtest/gtest.h>

#include "connect/api/plugins.h"
#include "connect/convert/json_data.h"
#include "connect/postgres/change_events.h"

namespace runnel::connect::postgres {
namespace {

constexpr std::uint32_t int4 = 23, text = 25, varchar = 1043, numeric = 1700;
constexpr std::uint32_t customers = 16384, orders = 16390;
constexpr std::int64_t now_us = 1'796'292'000'123'456;     // when the event is made
constexpr std::int64_t commit_us = 1'796'291'999'000'001;  // when the change committed

relation customers_rel(replica_identity identity = replica_identity::default_) {
  bool full = identity == replica_identity::full;
  return relation{.oid = customers,
                  .schema = "public",
                  .name = "customers",
                  .identity = identity,
                  .columns = {
                      {"id", int4, -1, true},
                      {"name", text, -1, full},
                      {"email", varchar, 259, full},
                      {"bio", text, -1, full},
                      {"price", numeric, ((10 << 16) | 2) + 4, full},
                  }};
}

table_catalog customers_catalog() {
  return {.primary_key = {"id"}, .not_null = {"id", "name"}};
}

value t(std::string s) {
  return value{value::kind::text, std::move(s)};
}
value null() {
  return value{value::kind::null, {}};
}
value toast() {
  return value{value::kind::unchanged_toast, {}};
}

change_position at(std::uint64_t change_lsn) {
  return {.tx_id = 555,
          .change_lsn = lsn{change_lsn},
          .last_commit_lsn = lsn{100},
          .ts_us = commit_us,
          .snapshot = snapshot_marker::no};
}

change_events make_events(event_options o = {.topic_prefix = "srv", .database = "inventory"},
                          bool with_catalog = true) {
  change_events::catalog_lookup lookup;
  if (with_catalog) {
    lookup = [](const relation&) -> result<std::optional<table_catalog>> {
      return std::optional<table_catalog>(customers_catalog());
    };
  }
  return change_events(std::move(o), lookup, [] { return now_us; });
}

tuple row1() {
  return {t("1"), t("Sally"), t("sally@example.com"), t("long text"), t("9.50")};
}

TEST(PgChangeEvents, InsertIsACreateEventOnTheTablesTopic) {
  auto ev = make_events();
  ASSERT_TRUE(ev.on_relation(customers_rel()));
  auto rs = ev.on_insert({customers, row1()}, at(200));
  ASSERT_TRUE(rs) << rs.error().message;
  ASSERT_EQ(rs.value().size(), 1u);
  const auto& r = rs.value()[0];
  EXPECT_EQ(r.topic, "srv.public.customers");
  EXPECT_EQ(r.key, (data{{"id", 1}}));
  EXPECT_EQ(r.key_schema->name, "srv.public.customers.Key");
  EXPECT_EQ(r.source_partition, (data{{"server", "srv"}}));

  const auto& v = r.value;
  EXPECT_TRUE(v["before"].is_null());
  EXPECT_EQ(v["after"]["id"], 1);
  EXPECT_EQ(v["after"]["name"], "Sally");
  EXPECT_EQ(v["after"]["email"], "sally@example.com");
  EXPECT_EQ(decimal_to_string(bytes_of(v["after"]["price"]), 2), "9.50");
  EXPECT_EQ(v["op"], "c");
  EXPECT_EQ(v["ts_ms"], now_us / 1000);
  EXPECT_EQ(v["ts_us"], now_us);
  EXPECT_EQ(v["ts_ns"], now_us * 1000);
  EXPECT_TRUE(v["transaction"].is_null());

  const auto& s = v["source"];
  EXPECT_EQ(s["version"], std::string(runnel_version()));
  EXPECT_EQ(s["connector"], "postgresql");
  EXPECT_EQ(s["name"], "srv");
  EXPECT_EQ(s["ts_ms"], commit_us / 1000);
  EXPECT_EQ(s["ts_us"], commit_us);
  EXPECT_EQ(s["ts_ns"], commit_us * 1000);
  EXPECT_EQ(s["snapshot"], "false");
  EXPECT_EQ(s["db"], "inventory");
  EXPECT_EQ(s["sequence"], R"(["100","200"])");
  EXPECT_EQ(s["schema"], "public");
  EXPECT_EQ(s["table"], "customers");
  EXPECT_EQ(s["txId"], 555);
  EXPECT_EQ(s["lsn"], 200);
  EXPECT_TRUE(s["xmin"].is_null());

  EXPECT_TRUE(validate_value(r.value_schema, r.value)) << r.value.dump();
  EXPECT_TRUE(validate_value(r.key_schema, r.key));
}

TEST(PgChangeEvents, SchemasHaveDebeziumsNamesAndFieldOrder) {
  auto ev = make_events();
  ASSERT_TRUE(ev.on_relation(customers_rel()));
  const auto* t = ev.table(customers);
  ASSERT_NE(t, nullptr);
  auto names = [](const schema_ptr& s) {
    std::vector<std::string> out;
    for (const auto& f : s->fields) {
      out.push_back(f.name);
    }
    return out;
  };
  auto env = t->envelope_schema();
  EXPECT_EQ(env->name, "srv.public.customers.Envelope");
  EXPECT_EQ(env->version, 2);
  EXPECT_EQ(names(env), (std::vector<std::string>{"before", "after", "source", "transaction", "op",
                                                  "ts_ms", "ts_us", "ts_ns"}));
  EXPECT_EQ(env->find_field("before")->schema->name, "srv.public.customers.Value");
  EXPECT_TRUE(env->find_field("after")->schema->optional);
  EXPECT_FALSE(env->find_field("op")->schema->optional);
  auto src = env->find_field("source")->schema;
  EXPECT_EQ(src->name, "io.debezium.connector.postgresql.Source");
  EXPECT_EQ(names(src), (std::vector<std::string>{"version", "connector", "name", "ts_ms",
                                                  "snapshot", "db", "sequence", "ts_us", "ts_ns",
                                                  "schema", "table", "txId", "lsn", "xmin"}));
  auto snap = src->find_field("snapshot")->schema;
  EXPECT_EQ(snap->name, "io.debezium.data.Enum");
  EXPECT_EQ(snap->parameter("allowed"),
            "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental");
  EXPECT_EQ(env->find_field("transaction")->schema->name, "event.block");

  // NOT NULL and key columns are required; the rest optional.
  auto row = t->value_schema();
  EXPECT_FALSE(row->find_field("id")->schema->optional);
  EXPECT_FALSE(row->find_field("name")->schema->optional);
  EXPECT_TRUE(row->find_field("email")->schema->optional);
  EXPECT_EQ(names(t->key_schema()), (std::vector<std::string>{"id"}));

  // The JSON converter's envelope carries it as Debezium's does.
  auto j = schema_to_json(env);
  EXPECT_EQ(j["name"], "srv.public.customers.Envelope");
  EXPECT_EQ(j["fields"][2]["field"], "source");
  EXPECT_EQ(j["fields"][2]["fields"][4]["default"], "false");
}

TEST(PgChangeEvents, UpdateKeepingTheKeyUnderDefaultIdentityHasNoBefore) {
  auto ev = make_events();
  ASSERT_TRUE(ev.on_relation(customers_rel()));
  update_msg m{.relation_oid = customers,
               .old_kind = 0,
               .old_tuple = std::nullopt,
               .new_tuple = {t("1"), t("Sally Marie"), null(), toast(), t("10.00")}};
  auto rs = ev.on_update(m, at(300));
  ASSERT_TRUE(rs) << rs.error().message;
  ASSERT_EQ(rs.value().size(), 1u);
  const auto& v = rs.value()[0].value;
  EXPECT_EQ(v["op"], "u");
  EXPECT_TRUE(v["before"].is_null());
  EXPECT_EQ(v["after"]["name"], "Sally Marie");
  EXPECT_TRUE(v["after"]["email"].is_null());
  // Not sent because unchanged and TOASTed: marked, not nulled.
  EXPECT_EQ(v["after"]["bio"], "__debezium_unavailable_value");
  EXPECT_EQ(rs.value()[0].key, (data{{"id", 1}}));
  EXPECT_TRUE(validate_value(rs.value()[0].value_schema, v));
}

TEST(PgChangeEvents, FullIdentityGivesWholeBeforeAndFillsUnchangedToast) {
  auto ev = make_events();
  ASSERT_TRUE(ev.on_relation(customers_rel(replica_identity::full)));
  EXPECT_TRUE(ev.take_warnings().empty());  // before is whole: nothing to warn of
  update_msg m{.relation_oid = customers,
               .old_kind = 'O',
               .old_tuple = row1(),
               .new_tuple = {t("1"), t("Sally"), t("new@example.com"), toast(), t("9.50")}};
  auto rs = ev.on_update(m, at(300));
  ASSERT_TRUE(rs) << rs.error().message;
  ASSERT_EQ(rs.value().size(), 1u);
  const auto& v = rs.value()[0].value;
  EXPECT_EQ(v["before"]["email"], "sally@example.com");
  EXPECT_EQ(v["before"]["bio"], "long text");
  EXPECT_EQ(v["after"]["email"], "new@example.com");
  // The update did not touch bio: the old row's value is the current one.
  EXPECT_EQ(v["after"]["bio"], "long text");
  // The key is the primary key from the catalog, not the identity's columns.
  EXPECT_EQ(rs.value()[0].key, (data{{"id", 1}}));
}

TEST(PgChangeEvents, PrimaryKeyChangeIsDeleteTombstoneAndCreate) {
  auto ev = make_events();
  ASSERT_TRUE(ev.on_relation(customers_rel()));
  update_msg m{.relation_oid = customers,
               .old_kind = 'K',
               .old_tuple = tuple{t("1"), null(), null(), null(), null()},
               .new_tuple = {t("2"), t("Sally"), null(), t("bio"), t("1.00")}};
  auto rs = ev.on_update(m, at(400));
  ASSERT_TRUE(rs) << rs.error().message;
  ASSERT_EQ(rs.value().size(), 3u);
  const auto& del = rs.value()[0];
  EXPECT_EQ(del.value["op"], "d");
  EXPECT_EQ(del.key, (data{{"id", 1}}));
  EXPECT_EQ(del.value["before"]["id"], 1);
  EXPECT_EQ(del.value["before"]["name"], "");  // NOT NULL, not sent: the type's zero
  EXPECT_TRUE(del.value["before"]["email"].is_null());
  EXPECT_TRUE(del.value["after"].is_null());
  ASSERT_NE(del.last_header("__debezium.newkey"), nullptr);
  EXPECT_EQ(del.last_header("__debezium.newkey")->value, (data{{"id", 2}}));
  EXPECT_TRUE(validate_value(del.value_schema, del.value));

  const auto& tomb = rs.value()[1];
  EXPECT_EQ(tomb.key, (data{{"id", 1}}));
  EXPECT_TRUE(tomb.value.is_null());
  EXPECT_EQ(tomb.value_schema, nullptr);  // as Debezium's: converters write a plain null
  EXPECT_EQ(tomb.topic, "srv.public.customers");
  ASSERT_NE(tomb.last_header("__debezium.newkey"), nullptr);  // as Debezium's tombstone
  EXPECT_EQ(tomb.last_header("__debezium.newkey")->value, (data{{"id", 2}}));

  const auto& create = rs.value()[2];
  EXPECT_EQ(create.value["op"], "c");
  EXPECT_EQ(create.key, (data{{"id", 2}}));
  EXPECT_TRUE(create.value["before"].is_null());
  EXPECT_EQ(create.value["after"]["id"], 2);
  ASSERT_NE(create.last_header("__debezium.oldkey"), nullptr);
  EXPECT_EQ(create.last_header("__debezium.oldkey")->value, (data{{"id", 1}}));
}

TEST(PgChangeEvents, DeleteIsFollowedByATombstoneUnlessTurnedOff) {
  auto ev = make_events();
  ASSERT_TRUE(ev.on_relation(customers_rel()));
  delete_msg m{.relation_oid = customers,
               .old_kind = 'K',
               .old_tuple = {t("7"), null(), null(), null(), null()}};
  auto rs = ev.on_delete(m, at(500));
  ASSERT_TRUE(rs) << rs.error().message;
  ASSERT_EQ(rs.value().size(), 2u);
  EXPECT_EQ(rs.value()[0].value["op"], "d");
  EXPECT_EQ(rs.value()[0].value["before"]["id"], 7);
  EXPECT_TRUE(rs.value()[0].value["after"].is_null());
  EXPECT_EQ(rs.value()[1].key, (data{{"id", 7}}));
  EXPECT_TRUE(rs.value()[1].value.is_null());

  auto quiet =
      make_events({.topic_prefix = "srv", .database = "inventory", .tombstones_on_delete = false});
  ASSERT_TRUE(quiet.on_relation(customers_rel()));
  auto one = quiet.on_delete(m, at(500));
  ASSERT_TRUE(one);
  EXPECT_EQ(one.value().size(), 1u);
}

TEST(PgChangeEvents, TruncateIsSkippedByDefaultAndKeylessWhenAskedFor) {
  auto ev = make_events();
  ASSERT_TRUE(ev.on_relation(customers_rel()));
  truncate_msg m{.cascade = false, .restart_identity = false, .relation_oids = {customers}};
  auto none = ev.on_truncate(m, at(600));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none.value().empty());  // Debezium's skipped.operations default is "t"

  auto all =
      make_events({.topic_prefix = "srv", .database = "inventory", .skipped_operations = ""});
  ASSERT_TRUE(all.on_relation(customers_rel()));
  auto rs = all.on_truncate(m, at(600));
  ASSERT_TRUE(rs) << rs.error().message;
  ASSERT_EQ(rs.value().size(), 1u);
  const auto& r = rs.value()[0];
  EXPECT_EQ(r.topic, "srv.public.customers");
  EXPECT_TRUE(r.key.is_null());
  EXPECT_EQ(r.key_schema, nullptr);
  EXPECT_EQ(r.value["op"], "t");
  EXPECT_TRUE(r.value["before"].is_null());
  EXPECT_TRUE(r.value["after"].is_null());
  EXPECT_EQ(r.value["source"]["table"], "customers");
  EXPECT_TRUE(validate_value(r.value_schema, r.value));
}

TEST(PgChangeEvents, SkippedOperationsAreNotEmitted) {
  auto ev = make_events({.topic_prefix = "srv", .database = "db", .skipped_operations = "cu"});
  ASSERT_TRUE(ev.on_relation(customers_rel()));
  EXPECT_TRUE(ev.on_insert({customers, row1()}, at(1)).value().empty());
  EXPECT_TRUE(ev.on_update({customers, 0, std::nullopt, row1()}, at(2)).value().empty());
  EXPECT_EQ(ev.on_delete({customers, 'K', row1()}, at(3)).value().size(), 2u);
}

TEST(PgChangeEvents, SnapshotRowsAreReadEvents) {
  auto ev = make_events();
  ASSERT_TRUE(ev.on_relation(customers_rel()));
  change_position p{.tx_id = 790,
                    .change_lsn = lsn{0x1000},
                    .last_commit_lsn = std::nullopt,
                    .ts_us = commit_us,
                    .snapshot = snapshot_marker::last};
  auto rs = ev.on_read(customers, row1(), p);
  ASSERT_TRUE(rs) << rs.error().message;
  const auto& v = rs.value()[0].value;
  EXPECT_EQ(v["op"], "r");
  EXPECT_TRUE(v["before"].is_null());
  EXPECT_EQ(v["after"]["name"], "Sally");
  EXPECT_EQ(v["source"]["snapshot"], "last");
  EXPECT_EQ(v["source"]["sequence"], R"([null,"4096"])");
  EXPECT_EQ(v["source"]["lsn"], 4096);
}

TEST(PgChangeEvents, WarnsOnceWhenBeforeCannotBeWhole) {
  auto ev = make_events();
  ASSERT_TRUE(ev.on_relation(customers_rel()));
  auto w = ev.take_warnings();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("public.customers has REPLICA IDENTITY DEFAULT"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("REPLICA IDENTITY FULL"), std::string::npos);
  ASSERT_TRUE(ev.on_relation(customers_rel()));  // sent again: no new warning
  EXPECT_TRUE(ev.take_warnings().empty());
  ASSERT_TRUE(ev.on_relation(customers_rel(replica_identity::nothing)));  // changed: warn again
  EXPECT_EQ(ev.take_warnings().size(), 1u);
}

TEST(PgChangeEvents, WithoutCatalogTheKeyIsTheIdentitysColumns) {
  auto ev = make_events({.topic_prefix = "srv", .database = "db"}, false);
  ASSERT_TRUE(ev.on_relation(customers_rel()));
  EXPECT_EQ(ev.table(customers)->key_schema()->fields.size(), 1u);
  EXPECT_TRUE(ev.table(customers)->value_schema()->find_field("name")->schema->optional);

  // REPLICA IDENTITY FULL flags every column; with no catalog to name the
  // primary key there is no key, and no tombstone for a null key.
  auto full = make_events({.topic_prefix = "srv", .database = "db"}, false);
  ASSERT_TRUE(full.on_relation(customers_rel(replica_identity::full)));
  EXPECT_FALSE(full.table(customers)->has_key());
  auto rs = full.on_delete({customers, 'O', row1()}, at(9));
  ASSERT_TRUE(rs);
  ASSERT_EQ(rs.value().size(), 1u);
  EXPECT_TRUE(rs.value()[0].key.is_null());
}

TEST(PgChangeEvents, TopicNamesAreSanitized) {
  auto ev = make_events();
  auto r = customers_rel();
  r.schema = "my schema";
  r.name = "Tä$ble";
  ASSERT_TRUE(ev.on_relation(r));
  EXPECT_EQ(ev.table(customers)->topic().substr(0, 16), "srv.my_schema.T_");
  EXPECT_EQ(ev.table(customers)->topic().find_first_not_of(
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"),
            std::string::npos);
}

TEST(PgChangeEvents, BadInputIsAClearErrorNotAGuess) {
  auto ev = make_events();
  // A change of a relation never described.
  auto unknown = ev.on_insert({orders, row1()}, at(1));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, errc::fatal);
  EXPECT_NE(unknown.error().message.find("16390"), std::string::npos);

  ASSERT_TRUE(ev.on_relation(customers_rel()));
  // A value that is not its column's type names the column.
  auto bad = ev.on_insert({customers, {t("x1"), t("a"), null(), null(), null()}}, at(1));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, errc::data);
  EXPECT_NE(bad.error().message.find("column id"), std::string::npos) << bad.error().message;
  // A row with the wrong number of columns.
  auto short_row = ev.on_insert({customers, {t("1"), t("a")}}, at(1));
  ASSERT_FALSE(short_row);
  EXPECT_EQ(short_row.error().kind, errc::data);
  // A key column without a value.
  auto no_key = ev.on_delete({customers, 'K', {null(), null(), null(), null(), null()}}, at(1));
  ASSERT_FALSE(no_key);
  EXPECT_NE(no_key.error().message.find("key column id"), std::string::npos);
}

TEST(PgChangeEvents, CatalogFailureIsReturned) {
  change_events ev({.topic_prefix = "srv", .database = "db"},
                   [](const relation&) -> result<std::optional<table_catalog>> {
                     return make_error(errc::retriable, "catalog unreachable");
                   });
  auto r = ev.on_relation(customers_rel());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, errc::retriable);
  EXPECT_EQ(ev.table(customers), nullptr);
}

}  // namespace
}  // namespace runnel::connect::postgres
