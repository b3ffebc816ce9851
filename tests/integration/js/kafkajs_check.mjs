// kafkajs against a running runnel broker: admin, produce (acks=-1),
// consume with a consumer group, commit, and resume from the committed
// offset with a new consumer. Usage: node kafkajs_check.mjs HOST:PORT
import { Kafka, logLevel } from "kafkajs";

const broker = process.argv[2];
const kafka = new Kafka({ clientId: "runnel-it", brokers: [broker], logLevel: logLevel.WARN,
                          retry: { retries: 8 } });
const topic = "kjs-" + Date.now();
const group = "kjs-group-" + Date.now();

function fail(msg) {
  console.error("FAIL " + msg);
  process.exit(1);
}

async function consumeN(n, fromBeginning, timeoutMs = 60000) {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning });
  const got = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out with " + got.length)), timeoutMs);
    consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value.toString());
        if (got.length >= n) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();  // commits what was consumed
  return got;
}

const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
const meta = await admin.fetchTopicMetadata({ topics: [topic] });
if (meta.topics[0].partitions.length !== 3) fail("expected 3 partitions");

const producer = kafka.producer();
await producer.connect();
const first = Array.from({ length: 300 }, (_, i) => ({ key: "k" + (i % 5), value: "a" + i }));
await producer.send({ topic, acks: -1, messages: first });

const got1 = await consumeN(300, true);
if (new Set(got1).size !== 300) fail("first consume got " + got1.length + " distinct");

const second = Array.from({ length: 100 }, (_, i) => ({ value: "b" + i }));
await producer.send({ topic, acks: -1, messages: second });
// Same group: resumes after the committed offsets, so only the new ones.
const got2 = await consumeN(100, true);
if (got2.some((v) => v.startsWith("a"))) fail("resumed consumer re-read committed messages");
if (new Set(got2).size !== 100) fail("second consume got " + got2.length);

const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
const committed = offsets[0].partitions.reduce((s, p) => s + Number(p.offset), 0);
if (committed !== 400) fail("committed offsets sum to " + committed);

await producer.disconnect();
await admin.deleteTopics({ topics: [topic] });
await admin.disconnect();
console.log("kafkajs: admin, produce, group consume, commit and resume: ok");
