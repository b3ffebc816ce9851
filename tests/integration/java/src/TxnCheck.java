// The Java kafka-clients library's transactions against runnel: commit and
// abort seen by read_committed and read_uncommitted consumers, fencing by a
// second producer with the same transactional.id, sendOffsetsToTransaction
// with a group member's metadata (KIP-447), the coordinator's abort of a
// transaction past its timeout, and Admin.listTransactions /
// describeTransactions (KIP-664). Compiled and run by test_java_clients.py
// against kafka-clients 4.x and 3.9.x, so it uses only the API both have.
//
// Usage: java -cp 'lib/<profile>/*:classes' TxnCheck BOOTSTRAP
// Prints PASS/FAIL per check and 'N passed, M failed' last; exit 1 on failure.

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class TxnCheck {
  static String bootstrap;
  static int passed = 0, failed = 0;

  interface Check {
    void run() throws Exception;
  }

  static void check(String name, Check c) {
    long start = System.nanoTime();
    try {
      c.run();
      passed++;
      System.out.printf("PASS %s (%.1fs)%n", name, (System.nanoTime() - start) / 1e9);
    } catch (Throwable t) {
      failed++;
      System.out.println("FAIL " + name);
      t.printStackTrace(System.out);
    }
    System.out.flush();
  }

  static void expect(boolean cond, String what) {
    if (!cond) throw new AssertionError(what);
  }

  static Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
    return Admin.create(p);
  }

  static void createTopic(String name, int partitions) throws Exception {
    try (Admin a = admin()) {
      a.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
    }
  }

  static KafkaProducer<String, String> txnProducer(String tid, Map<String, Object> extra) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, tid);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.putAll(extra);
    KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    producer.initTransactions();
    return producer;
  }

  static KafkaConsumer<String, String> consumer(String group, boolean committed) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, committed ? "read_committed" : "read_uncommitted");
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000);
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  // Every value of the topic's partitions, from the start to the end
  // offsets of the isolation level.
  static List<String> readAll(String topic, int partitions, boolean committed) {
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> c = consumer("reader-" + System.nanoTime(), committed)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int i = 0; i < partitions; i++) tps.add(new TopicPartition(topic, i));
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps);  // the LSO under read_committed
      long deadline = System.currentTimeMillis() + 30000;
      while (System.currentTimeMillis() < deadline) {
        boolean done = true;
        for (TopicPartition tp : tps) done &= c.position(tp) >= end.get(tp);
        if (done) break;
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) out.add(r.value());
      }
    }
    return out;
  }

  // ------------------------------------------------------------ checks

  static void commitAndAbort() throws Exception {
    createTopic("jt-data", 2);
    try (KafkaProducer<String, String> p = txnProducer("jt-commit", Map.of())) {
      p.beginTransaction();
      for (int i = 0; i < 20; i++) p.send(new ProducerRecord<>("jt-data", i % 2, null, "c" + i));
      p.commitTransaction();
      p.beginTransaction();
      for (int i = 0; i < 20; i++) p.send(new ProducerRecord<>("jt-data", i % 2, null, "a" + i));
      p.flush();
      p.abortTransaction();
    }
    List<String> committed = readAll("jt-data", 2, true);
    List<String> all = readAll("jt-data", 2, false);
    expect(committed.size() == 20 && committed.stream().allMatch(v -> v.startsWith("c")),
           "read_committed: " + committed);
    expect(all.size() == 40, "read_uncommitted sees aborted data too: " + all.size());
  }

  static void fencing() throws Exception {
    createTopic("jt-fence", 1);
    KafkaProducer<String, String> first = txnProducer("jt-fenced", Map.of());
    first.beginTransaction();
    first.send(new ProducerRecord<>("jt-fence", "zombie")).get();
    try (KafkaProducer<String, String> second = txnProducer("jt-fenced", Map.of())) {
      second.beginTransaction();
      second.send(new ProducerRecord<>("jt-fence", "live"));
      second.commitTransaction();
    }
    Exception fenced = null;
    try {
      first.send(new ProducerRecord<>("jt-fence", "late"));
      first.commitTransaction();
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      fenced = e;
    } catch (KafkaException e) {
      fenced = e.getCause() instanceof ProducerFencedException ? e : null;
      if (fenced == null) throw e;
    }
    first.close(Duration.ofSeconds(5));
    expect(fenced != null, "the first producer was not fenced");
    System.out.println("  fenced with " + fenced.getClass().getSimpleName());
    List<String> seen = readAll("jt-fence", 1, true);
    expect(seen.equals(List.of("live")), "read_committed after fencing: " + seen);
  }

  static void sendOffsetsToTransaction() throws Exception {
    createTopic("jt-in", 1);
    createTopic("jt-out", 1);
    try (KafkaProducer<String, String> src = txnProducer("jt-src", Map.of())) {
      src.beginTransaction();
      for (int i = 0; i < 30; i++) src.send(new ProducerRecord<>("jt-in", "m" + i));
      src.commitTransaction();
    }
    int copied = 0;
    boolean aborted = false;
    try (KafkaConsumer<String, String> c = consumer("jt-copier", true);
         KafkaProducer<String, String> p = txnProducer("jt-copier-tid", Map.of())) {
      c.subscribe(List.of("jt-in"));
      long deadline = System.currentTimeMillis() + 60000;
      while (copied < 30 && System.currentTimeMillis() < deadline) {
        var records = c.poll(Duration.ofMillis(500));
        if (records.isEmpty()) continue;
        p.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        int n = 0;
        for (ConsumerRecord<String, String> r : records) {
          p.send(new ProducerRecord<>("jt-out", r.value().toUpperCase()));
          offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
          n++;
        }
        // KIP-447: the group member's metadata (generation, member id).
        p.sendOffsetsToTransaction(offsets, c.groupMetadata());
        if (!aborted) {
          aborted = true;
          p.abortTransaction();
          // Back to the committed offsets: nothing of the aborted batch counts.
          for (TopicPartition tp : c.assignment()) {
            OffsetAndMetadata o = c.committed(Collections.singleton(tp)).get(tp);
            c.seek(tp, o == null ? 0 : o.offset());
          }
          continue;
        }
        p.commitTransaction();
        copied += n;
      }
    }
    expect(copied == 30, "copied " + copied);
    List<String> out = readAll("jt-out", 1, true);
    List<String> want = new ArrayList<>();
    for (int i = 0; i < 30; i++) want.add("M" + i);
    expect(out.equals(want), "output: " + out);
    try (Admin a = admin()) {
      var committed = a.listConsumerGroupOffsets("jt-copier").partitionsToOffsetAndMetadata().get();
      expect(committed.get(new TopicPartition("jt-in", 0)).offset() == 30, "committed: " + committed);
    }
  }

  static void timeoutAbort() throws Exception {
    createTopic("jt-timeout", 1);
    KafkaProducer<String, String> p =
        txnProducer("jt-timeout", Map.of(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 1500));
    p.beginTransaction();
    p.send(new ProducerRecord<>("jt-timeout", "never")).get();
    try (Admin a = admin()) {
      long deadline = System.currentTimeMillis() + 30000;
      TransactionState state = null;
      while (System.currentTimeMillis() < deadline) {
        TransactionDescription d = a.describeTransactions(List.of("jt-timeout")).all().get().get("jt-timeout");
        state = d.state();
        if (state == TransactionState.COMPLETE_ABORT) break;
        Thread.sleep(200);
      }
      expect(state == TransactionState.COMPLETE_ABORT, "state after the timeout: " + state);
    }
    boolean failedCommit = false;
    try {
      p.commitTransaction();
    } catch (KafkaException e) {
      failedCommit = true;
      System.out.println("  commit after the timeout: " + e.getClass().getSimpleName());
    }
    p.close(Duration.ofSeconds(5));
    expect(failedCommit, "commit after the coordinator's abort succeeded");
    expect(readAll("jt-timeout", 1, true).isEmpty(), "aborted data visible");
  }

  static void listAndDescribe() throws Exception {
    createTopic("jt-listed", 3);
    try (KafkaProducer<String, String> p = txnProducer("jt-listed", Map.of());
         Admin a = admin()) {
      p.beginTransaction();
      p.send(new ProducerRecord<>("jt-listed", 2, null, "x")).get();
      boolean found = false;
      for (TransactionListing l : a.listTransactions().all().get())
        if (l.transactionalId().equals("jt-listed")) {
          found = true;
          expect(l.state() == TransactionState.ONGOING, "listed state " + l.state());
        }
      expect(found, "jt-listed not listed");
      TransactionDescription d = a.describeTransactions(List.of("jt-listed")).all().get().get("jt-listed");
      expect(d.state() == TransactionState.ONGOING, "described state " + d.state());
      expect(d.topicPartitions().equals(java.util.Set.of(new TopicPartition("jt-listed", 2))),
             "partitions " + d.topicPartitions());
      expect(d.transactionTimeoutMs() > 0 && d.transactionStartTimeMs().isPresent(), "timeouts");
      p.commitTransaction();
      d = a.describeTransactions(List.of("jt-listed")).all().get().get("jt-listed");
      expect(d.state() == TransactionState.COMPLETE_COMMIT, "after commit " + d.state());
    }
  }

  public static void main(String[] args) throws Exception {
    bootstrap = args[0];
    String version = org.apache.kafka.common.utils.AppInfoParser.getVersion();
    System.out.println("kafka-clients " + version + " transactions against " + bootstrap);
    check("commit_and_abort_read_committed", TxnCheck::commitAndAbort);
    check("fencing_by_a_second_instance", TxnCheck::fencing);
    check("send_offsets_to_transaction_kip447", TxnCheck::sendOffsetsToTransaction);
    check("timeout_abort_by_the_coordinator", TxnCheck::timeoutAbort);
    check("list_and_describe_transactions", TxnCheck::listAndDescribe);
    System.out.printf("%d passed, %d failed%n", passed, failed);
    System.exit(failed == 0 ? 0 : 1);
  }
}
