// kafkajs transactions against a running runnel broker: commit, abort,
// sendOffsets, a read_committed consumer that never sees aborted data, and
// fencing by a second producer with the same transactional id.
// Usage: node kafkajs_transactions.mjs HOST:PORT
import { Kafka, logLevel } from "kafkajs";

const broker = process.argv[2];
const kafka = new Kafka({ clientId: "runnel-txn-it", brokers: [broker], logLevel: logLevel.NOTHING,
                          retry: { retries: 8 } });
const topic = "kjs-txn-" + Date.now();
const input = "kjs-txn-in-" + Date.now();
const group = "kjs-txn-group-" + Date.now();
const transactionalId = "kjs-tid-" + Date.now();

function fail(msg) {
  console.error("FAIL " + msg);
  process.exit(1);
}

function txnProducer() {
  return kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
}

const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 3 }, { topic: input }],
                           waitForLeaders: true });

const producer = txnProducer();
await producer.connect();
const batch = (tag, n) => Array.from({ length: n }, (_, i) => ({ key: "k" + i, value: tag + i }));

let t = await producer.transaction();
await t.send({ topic, messages: batch("commit-a-", 10) });
await t.commit();

t = await producer.transaction();
await t.send({ topic, messages: batch("abort-", 10) });
await t.abort();

t = await producer.transaction();
await t.send({ topic, messages: batch("commit-b-", 5) });
await t.sendOffsets({ consumerGroupId: group,
                      topics: [{ topic: input, partitions: [{ partition: 0, offset: "7" }] }] });
await t.commit();

const plain = kafka.producer();
await plain.connect();
await plain.send({ topic, acks: -1, messages: [{ key: "k0", value: "end" }] });

// read_committed is kafkajs's default (readUncommitted: false).
const consumer = kafka.consumer({ groupId: "kjs-reader-" + Date.now(), sessionTimeout: 10000,
                                  heartbeatInterval: 1000 });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
const got = [];
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("timed out with " + got.join(","))), 60000);
  consumer.run({
    eachMessage: async ({ message }) => {
      got.push(message.value.toString());
      if (got.includes("end") && got.length >= 16) {
        clearTimeout(timer);
        resolve();
      }
    },
  });
});
await consumer.disconnect();
if (got.some((v) => v.startsWith("abort-"))) fail("read_committed consumer saw aborted data");
if (new Set(got).size !== 16) fail("expected 15 committed + end, got " + got.length);

const offsets = await admin.fetchOffsets({ groupId: group, topics: [input] });
if (offsets[0].partitions[0].offset !== "7") fail("sendOffsets did not commit: " +
                                                  JSON.stringify(offsets));

// A second producer with the same transactional id fences the first.
t = await producer.transaction();
await t.send({ topic, messages: batch("zombie-", 1) });
const second = txnProducer();
await second.connect();
const t2 = await second.transaction();
await t2.send({ topic, messages: batch("second-", 1) });
await t2.commit();
let fenced = false;
try {
  await t.commit();
} catch (e) {
  fenced = /fenc|epoch/i.test(e.type + " " + e.message);
  if (!fenced) fail("unexpected error from the fenced producer: " + e.type + " " + e.message);
}
if (!fenced) fail("the first producer was not fenced");

await second.disconnect();
await producer.disconnect().catch(() => {});
await plain.disconnect();
await admin.disconnect();
console.log("ok");
