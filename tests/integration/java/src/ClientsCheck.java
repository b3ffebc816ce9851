// The Java kafka-clients library against runnel: AdminClient, an idempotent
// acks=all producer, a classic consumer group, and (4.x) the KIP-848 consumer
// protocol. Compiled and run by test_java_clients.py against kafka-clients 4.x
// and 3.9.x, so it uses only the API both lines have.
//
// Usage: java -cp 'lib/<profile>/*:classes' ClientsCheck BOOTSTRAP
// Prints PASS/FAIL per check and 'N passed, M failed' last; exit 1 on failure.

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class ClientsCheck {
  static String bootstrap;
  static int passed = 0, failed = 0;
  static final String TOPIC = "java-orders";
  static final int PARTITIONS = 3;
  static final int RECORDS = 3000;

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

  static void waitUntil(BooleanSupplier cond, long timeoutMs, String what) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (cond.getAsBoolean()) return;
      Thread.sleep(50);
    }
    throw new AssertionError("timed out waiting for " + what);
  }

  static Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
    return Admin.create(p);
  }

  static KafkaProducer<String, String> producer(Map<String, Object> extra) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60000);
    p.putAll(extra);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  static KafkaConsumer<String, String> consumer(String group, Map<String, Object> extra) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    if (group != null) p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000);
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
    p.putAll(extra);
    if ("consumer".equals(p.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG))) {
      // The KIP-848 protocol takes these from the broker and refuses them here.
      p.remove(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
      p.remove(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG);
    }
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  static List<TopicPartition> partitions(String topic, int n) {
    List<TopicPartition> l = new ArrayList<>();
    for (int i = 0; i < n; i++) l.add(new TopicPartition(topic, i));
    return l;
  }

  static <T> T cause(ExecutionException e, Class<T> type) {
    expect(type.isInstance(e.getCause()), "expected " + type.getSimpleName() + ", got " + e.getCause());
    return type.cast(e.getCause());
  }

  // ------------------------------------------------------------ checks

  static void describeCluster() throws Exception {
    try (Admin a = admin()) {
      DescribeClusterResult r = a.describeCluster();
      Collection<Node> nodes = r.nodes().get(30, TimeUnit.SECONDS);
      String id = r.clusterId().get(30, TimeUnit.SECONDS);
      Node controller = r.controller().get(30, TimeUnit.SECONDS);
      expect(nodes.size() == 1, "one node: " + nodes);
      expect(id != null && !id.isEmpty(), "a cluster id");
      expect(controller != null && controller.id() == nodes.iterator().next().id(), "the node is the controller");
      System.out.println("  cluster " + id + " nodes " + nodes);
    }
  }

  static void topicsAndConfigs() throws Exception {
    try (Admin a = admin()) {
      NewTopic t = new NewTopic(TOPIC, PARTITIONS, (short) 1)
          .configs(Map.of("retention.ms", "86400000", "cleanup.policy", "delete"));
      a.createTopics(List.of(t, new NewTopic("java-scratch", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      try {
        a.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        throw new AssertionError("creating an existing topic succeeded");
      } catch (ExecutionException e) {
        cause(e, TopicExistsException.class);
      }
      Set<String> names = a.listTopics().names().get(30, TimeUnit.SECONDS);
      expect(names.containsAll(List.of(TOPIC, "java-scratch")), "listTopics: " + names);
      TopicDescription d = a.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC);
      expect(d.partitions().size() == PARTITIONS, "partitions: " + d);
      expect(d.topicId() != null, "a topic id");

      // Configs: read back what we created with, alter incrementally, read again.
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, TOPIC);
      Config c = a.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
      expect("86400000".equals(c.get("retention.ms").value()), "retention.ms: " + c.get("retention.ms"));
      expect(c.get("retention.ms").source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG,
             "retention.ms source: " + c.get("retention.ms").source());
      a.incrementalAlterConfigs(Map.of(r, List.of(
              new AlterConfigOp(new ConfigEntry("retention.ms", "3600000"), AlterConfigOp.OpType.SET),
              new AlterConfigOp(new ConfigEntry("max.message.bytes", "2000000"), AlterConfigOp.OpType.SET))))
          .all().get(30, TimeUnit.SECONDS);
      c = a.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
      expect("3600000".equals(c.get("retention.ms").value()), "altered retention.ms: " + c.get("retention.ms"));
      expect("2000000".equals(c.get("max.message.bytes").value()), "altered max.message.bytes");
      a.incrementalAlterConfigs(Map.of(r, List.of(
              new AlterConfigOp(new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE))))
          .all().get(30, TimeUnit.SECONDS);
      c = a.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
      expect(c.get("max.message.bytes").source() != ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG,
             "max.message.bytes back to its default: " + c.get("max.message.bytes"));

      ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER,
          String.valueOf(a.describeCluster().nodes().get().iterator().next().id()));
      Config bc = a.describeConfigs(List.of(broker)).all().get(30, TimeUnit.SECONDS).get(broker);
      expect(bc.entries().size() > 0, "broker configs");

      // Partitions: grow 1 -> 2, shrinking is refused.
      a.createPartitions(Map.of("java-scratch", NewPartitions.increaseTo(2))).all().get(30, TimeUnit.SECONDS);
      waitUntil(() -> {
        try {
          return a.describeTopics(List.of("java-scratch")).allTopicNames().get().get("java-scratch")
                     .partitions().size() == 2;
        } catch (Exception e) {
          return false;
        }
      }, 15000, "java-scratch to have 2 partitions");
      try {
        a.createPartitions(Map.of("java-scratch", NewPartitions.increaseTo(1))).all().get(30, TimeUnit.SECONDS);
        throw new AssertionError("shrinking partitions succeeded");
      } catch (ExecutionException e) {
        cause(e, InvalidPartitionsException.class);
      }

      a.deleteTopics(List.of("java-scratch")).all().get(30, TimeUnit.SECONDS);
      waitUntil(() -> {
        try {
          return !a.listTopics().names().get().contains("java-scratch");
        } catch (Exception e) {
          return false;
        }
      }, 15000, "java-scratch to be gone");
      try {
        a.describeTopics(List.of("java-scratch")).allTopicNames().get(30, TimeUnit.SECONDS);
        throw new AssertionError("describing a deleted topic succeeded");
      } catch (ExecutionException e) {
        cause(e, UnknownTopicOrPartitionException.class);
      }
    }
  }

  static final Map<TopicPartition, List<Long>> acked = new HashMap<>();
  static long firstTimestamp;

  static void idempotentProduce() throws Exception {
    firstTimestamp = System.currentTimeMillis() - 60_000;
    try (KafkaProducer<String, String> p = producer(Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd"))) {
      List<Future<RecordMetadata>> fs = new ArrayList<>();
      for (int i = 0; i < RECORDS; i++) {
        ProducerRecord<String, String> r = new ProducerRecord<>(TOPIC, i % PARTITIONS,
            firstTimestamp + i, "k" + i, "v" + i);
        r.headers().add("n", Integer.toString(i).getBytes());
        fs.add(p.send(r));
      }
      p.flush();
      for (Future<RecordMetadata> f : fs) {
        RecordMetadata m = f.get(30, TimeUnit.SECONDS);
        acked.computeIfAbsent(new TopicPartition(m.topic(), m.partition()), k -> new ArrayList<>()).add(m.offset());
      }
    }
    for (Map.Entry<TopicPartition, List<Long>> e : acked.entrySet()) {
      List<Long> offs = e.getValue();
      for (int i = 0; i < offs.size(); i++) {
        expect(offs.get(i) == i, e.getKey() + " offsets are 0.." + (offs.size() - 1) + ": " + offs.subList(0, Math.min(10, offs.size())));
      }
    }
    expect(acked.size() == PARTITIONS, "all partitions got records");
    // gzip, snappy and lz4 batches too, to a partition of their own topic.
    for (String codec : List.of("gzip", "snappy", "lz4", "none")) {
      try (KafkaProducer<String, String> p = producer(Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec))) {
        for (int i = 0; i < 100; i++) p.send(new ProducerRecord<>("java-codecs", 0, "k", codec + i));
        p.flush();
      }
    }
    try (KafkaConsumer<String, String> c = consumer(null, Map.of())) {
      TopicPartition tp = new TopicPartition("java-codecs", 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      List<String> got = new ArrayList<>();
      long deadline = System.currentTimeMillis() + 30000;
      while (got.size() < 400 && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) got.add(r.value());
      }
      expect(got.size() == 400, "400 records in four codecs, got " + got.size());
      expect(got.get(0).equals("gzip0") && got.get(399).equals("none99"), "in order: " + got.get(0) + " .. " + got.get(399));
    }
  }

  static void listOffsets() throws Exception {
    try (Admin a = admin()) {
      TopicPartition p0 = new TopicPartition(TOPIC, 0);
      long n0 = acked.get(p0).size();
      Map<TopicPartition, ListOffsetsResultInfo> earliest =
          a.listOffsets(Map.of(p0, OffsetSpec.earliest())).all().get(30, TimeUnit.SECONDS);
      Map<TopicPartition, ListOffsetsResultInfo> latest =
          a.listOffsets(Map.of(p0, OffsetSpec.latest())).all().get(30, TimeUnit.SECONDS);
      expect(earliest.get(p0).offset() == 0, "earliest 0: " + earliest);
      expect(latest.get(p0).offset() == n0, "latest " + n0 + ": " + latest);
      // Record i went to partition i % 3 with timestamp first + i; partition 0
      // holds i = 0, 3, 6, ...: the first at or after first + 301 is i = 303, offset 101.
      Map<TopicPartition, ListOffsetsResultInfo> byTime =
          a.listOffsets(Map.of(p0, OffsetSpec.forTimestamp(firstTimestamp + 301))).all().get(30, TimeUnit.SECONDS);
      expect(byTime.get(p0).offset() == 101, "offset for timestamp: " + byTime);
      expect(byTime.get(p0).timestamp() == firstTimestamp + 303, "timestamp of that record: " + byTime);
      Map<TopicPartition, ListOffsetsResultInfo> max =
          a.listOffsets(Map.of(p0, OffsetSpec.maxTimestamp())).all().get(30, TimeUnit.SECONDS);
      expect(max.get(p0).offset() == n0 - 1, "max timestamp offset: " + max);
      Map<TopicPartition, ListOffsetsResultInfo> future =
          a.listOffsets(Map.of(p0, OffsetSpec.forTimestamp(System.currentTimeMillis() + 3_600_000))).all().get(30, TimeUnit.SECONDS);
      expect(future.get(p0).offset() == -1, "no offset for a future timestamp: " + future);
    }
  }

  /** Two members of one classic group share the partitions and read every record once. */
  static void consumerGroup() throws Exception {
    String group = "java-group";
    Map<String, Object> extra = Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic",
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    Map<String, String> seen = new HashMap<>();
    try (KafkaConsumer<String, String> c1 = consumer(group, extra);
         KafkaConsumer<String, String> c2 = consumer(group, extra)) {
      // Commit what was read before giving a partition away, as applications
      // do, so that its new owner starts after it.
      for (KafkaConsumer<String, String> c : List.of(c1, c2)) {
        c.subscribe(List.of(TOPIC), new ConsumerRebalanceListener() {
          public void onPartitionsRevoked(Collection<TopicPartition> parts) {
            c.commitSync();
          }

          public void onPartitionsAssigned(Collection<TopicPartition> parts) {}
        });
      }
      long deadline = System.currentTimeMillis() + 60000;
      int[] byMember = new int[2];
      while (seen.size() < RECORDS && System.currentTimeMillis() < deadline) {
        int m = 0;
        for (KafkaConsumer<String, String> c : List.of(c1, c2)) {
          ConsumerRecords<String, String> rs = c.poll(Duration.ofMillis(100));
          for (ConsumerRecord<String, String> r : rs) {
            String prev = seen.put(r.key(), r.value());
            expect(prev == null, "record " + r.key() + " read twice");
            Header h = r.headers().lastHeader("n");
            expect(h != null && r.key().equals("k" + new String(h.value())), "header of " + r.key());
            byMember[m]++;
          }
          try {
            c.commitSync();
          } catch (RebalanceInProgressException e) {
            // Kafka refuses commits while a rebalance completes; the next
            // poll finishes it (committing in onPartitionsRevoked).
          }
          m++;
        }
      }
      expect(seen.size() == RECORDS, "read " + seen.size() + " of " + RECORDS);
      // Both members got partitions (3 partitions, 2 members), unless one
      // member read everything before the other joined: then the assignment
      // still splits the partitions afterwards.
      waitUntil(() -> {
        c1.poll(Duration.ofMillis(50));
        c2.poll(Duration.ofMillis(50));
        return c1.assignment().size() + c2.assignment().size() == PARTITIONS
            && !c1.assignment().isEmpty() && !c2.assignment().isEmpty();
      }, 30000, "both members to own partitions");

      try (Admin a = admin()) {
        Collection<ConsumerGroupListing> groups = a.listConsumerGroups().all().get(30, TimeUnit.SECONDS);
        expect(groups.stream().anyMatch(g -> g.groupId().equals(group)), "listConsumerGroups: " + groups);
        ConsumerGroupDescription d =
            a.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
        expect(d.members().size() == 2, "two members: " + d);
        expect("cooperative-sticky".equals(d.partitionAssignor()), "assignor: " + d.partitionAssignor());
        int assigned = d.members().stream().mapToInt(mm -> mm.assignment().topicPartitions().size()).sum();
        expect(assigned == PARTITIONS, "assignments in describe: " + d);
        Map<TopicPartition, OffsetAndMetadata> offs =
            a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        for (TopicPartition tp : partitions(TOPIC, PARTITIONS)) {
          expect(offs.get(tp) != null && offs.get(tp).offset() == acked.get(tp).size(),
                 "committed " + tp + ": " + offs.get(tp));
        }
      }
    }
    // Both closed: the group is empty, its offsets stay.
    try (Admin a = admin()) {
      waitUntil(() -> {
        try {
          ConsumerGroupDescription d = a.describeConsumerGroups(List.of(group)).all().get().get(group);
          return d.members().isEmpty() && d.state().toString().equalsIgnoreCase("Empty");
        } catch (Exception e) {
          return false;
        }
      }, 15000, "the group to be empty");
    }
  }

  /** Offsets managed from AdminClient: alter, resume from them, delete one, delete the group. */
  static void groupOffsetsAdmin() throws Exception {
    String group = "java-group";
    TopicPartition p0 = new TopicPartition(TOPIC, 0);
    TopicPartition p1 = new TopicPartition(TOPIC, 1);
    try (Admin a = admin()) {
      a.alterConsumerGroupOffsets(group, Map.of(p0, new OffsetAndMetadata(acked.get(p0).size() - 10, "reset")))
          .all().get(30, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetAndMetadata> offs =
          a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      expect(offs.get(p0).offset() == acked.get(p0).size() - 10 && "reset".equals(offs.get(p0).metadata()),
             "altered offset: " + offs.get(p0));
    }
    // A new member resumes where the group stands: the last 10 records of p0, nothing else.
    try (KafkaConsumer<String, String> c = consumer(group, Map.of())) {
      c.subscribe(List.of(TOPIC));
      List<ConsumerRecord<String, String>> got = new ArrayList<>();
      long deadline = System.currentTimeMillis() + 30000;
      while (got.size() < 10 && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) got.add(r);
      }
      long end = System.currentTimeMillis() + 1000;
      while (System.currentTimeMillis() < end) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) got.add(r);
      }
      expect(got.size() == 10, "resumed with 10 records, got " + got.size());
      for (ConsumerRecord<String, String> r : got) expect(r.partition() == 0, "only partition 0: " + r);
      c.commitSync();
    }
    try (Admin a = admin()) {
      a.deleteConsumerGroupOffsets(group, Set.of(p1)).all().get(30, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetAndMetadata> offs =
          a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      expect(offs.get(p1) == null && offs.get(p0) != null, "p1's offset deleted: " + offs);
      a.deleteConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS);
      Collection<ConsumerGroupListing> groups = a.listConsumerGroups().all().get(30, TimeUnit.SECONDS);
      expect(groups.stream().noneMatch(g -> g.groupId().equals(group)), "group deleted: " + groups);
    }
  }

  static void deleteRecords() throws Exception {
    TopicPartition p2 = new TopicPartition(TOPIC, 2);
    try (Admin a = admin()) {
      long low = a.deleteRecords(Map.of(p2, RecordsToDelete.beforeOffset(500))).lowWatermarks().get(p2)
          .get(30, TimeUnit.SECONDS).lowWatermark();
      expect(low == 500, "low watermark 500: " + low);
      long earliest = a.listOffsets(Map.of(p2, OffsetSpec.earliest())).all().get(30, TimeUnit.SECONDS).get(p2).offset();
      expect(earliest == 500, "earliest after delete: " + earliest);
    }
    try (KafkaConsumer<String, String> c = consumer(null, Map.of())) {
      c.assign(List.of(p2));
      c.seekToBeginning(List.of(p2));
      expect(c.position(p2, Duration.ofSeconds(30)) == 500, "position after seekToBeginning");
      ConsumerRecords<String, String> rs = ConsumerRecords.empty();
      long deadline = System.currentTimeMillis() + 30000;
      while (rs.isEmpty() && System.currentTimeMillis() < deadline) rs = c.poll(Duration.ofMillis(200));
      expect(rs.iterator().next().offset() == 500, "first record read is 500");
    }
  }

  /**
   * KIP-848: the broker does not serve ConsumerGroupHeartbeat, so a consumer
   * with group.protocol=consumer must fail with an error the application can
   * catch, promptly, instead of hanging or reading without a group.
   */
  static void kip848ConsumerProtocol() throws Exception {
    try (KafkaConsumer<String, String> c = consumer("java-kip848",
             Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer"))) {
      c.subscribe(List.of(TOPIC));
      long deadline = System.currentTimeMillis() + 30000;
      KafkaException failure = null;
      int records = 0;
      while (failure == null && System.currentTimeMillis() < deadline) {
        try {
          records += c.poll(Duration.ofMillis(200)).count();
        } catch (KafkaException e) {
          failure = e;
        }
      }
      expect(failure != null, "group.protocol=consumer did not fail within 30 s (read " + records + " records)");
      expect(records == 0, "no records without a group");
      System.out.println("  group.protocol=consumer fails with " + failure.getClass().getName() + ": " + failure.getMessage());
      expect(failure instanceof org.apache.kafka.common.errors.UnsupportedVersionException,
             "UnsupportedVersionException, got " + failure);
    }
  }

  public static void main(String[] args) throws Exception {
    bootstrap = args[0];
    String version = org.apache.kafka.common.utils.AppInfoParser.getVersion();
    System.out.println("kafka-clients " + version + " against " + bootstrap);
    check("describe_cluster", ClientsCheck::describeCluster);
    check("topics_partitions_configs", ClientsCheck::topicsAndConfigs);
    check("idempotent_produce_acks_all", ClientsCheck::idempotentProduce);
    check("list_offsets", ClientsCheck::listOffsets);
    check("classic_consumer_group", ClientsCheck::consumerGroup);
    check("group_offsets_admin", ClientsCheck::groupOffsetsAdmin);
    check("delete_records", ClientsCheck::deleteRecords);
    if (!version.startsWith("3.")) check("kip848_consumer_protocol", ClientsCheck::kip848ConsumerProtocol);
    System.out.printf("%d passed, %d failed%n", passed, failed);
    System.exit(failed == 0 ? 0 : 1);
  }
}
