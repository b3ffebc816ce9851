package dev.runnel.bench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.WindowedSerdes;

/**
 * bench/stream's workloads in Kafka Streams, to set runnel's stream library
 * beside it: one stream thread, the input topic that stream_bench preloaded
 * (the same JSON page views), events per second of wall time and per CPU
 * second of the whole JVM (stream thread, client threads, JIT and GC).
 *
 * <p>Usage: StreamsBench --brokers B --input-topic T --events N --expected M
 * --workload stateless|windowed|windowed-rekey [--commit-interval-ms 1000]
 *
 * <p>stateless: filter (drops 10%) + mapValues to a smaller JSON + to();
 * windowed: groupByKey, 1-minute tumbling windows, count, toStream().to();
 * windowed-rekey: selectKey(page) + repartition first. The record cache is
 * off (statestore.cache.max.bytes=0) so that, like runnel's emit on update,
 * every input record produces an update; M is how many records reach the end
 * of the topology. Prints one JSON line.
 */
public final class StreamsBench {
  /** runnel's stream_bench page view (events.h). */
  public static final class PageView {
    public String user;
    public String page;
    public long ts;
    public long duration_ms;
    public String country;
    public String device;
    public String referrer;
  }

  /** What the stateless map makes of a page view. */
  public static final class Visit {
    public String user;
    public String page;
    public long ts;

    Visit(PageView v) {
      user = v.user;
      page = v.page;
      ts = v.ts;
    }
  }

  static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  static <T> Serde<T> jsonSerde(Class<T> type) {
    Serializer<T> ser =
        (topic, v) -> {
          try {
            return v == null ? null : JSON.writeValueAsBytes(v);
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        };
    Deserializer<T> de =
        (topic, b) -> {
          try {
            return b == null ? null : JSON.readValue(b, type);
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        };
    return Serdes.serdeFrom(ser, de);
  }

  // Written on the stream thread, read by main after `done`.
  static long expected;
  static long seen;
  static boolean started;
  static long firstNs, lastNs, cpuFirst, cpuLast, threadCpuFirst, threadCpuLast;
  static final CountDownLatch done = new CountDownLatch(1);

  static long processCpuNs() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static long threadCpuNs() {
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  static void start() {
    if (started) return;
    started = true;
    firstNs = System.nanoTime();
    cpuFirst = processCpuNs();
    threadCpuFirst = threadCpuNs();
  }

  static void count() {
    if (++seen != expected) return;
    lastNs = System.nanoTime();
    cpuLast = processCpuNs();
    threadCpuLast = threadCpuNs();
    done.countDown();
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) a.put(argv[i], argv[i + 1]);
    String brokers = a.getOrDefault("--brokers", "127.0.0.1:9092");
    String input = a.get("--input-topic");
    String workload = a.getOrDefault("--workload", "stateless");
    long events = Long.parseLong(a.get("--events"));
    expected = Long.parseLong(a.get("--expected"));
    long timeoutS = Long.parseLong(a.getOrDefault("--timeout-s", "600"));
    String runId = ProcessHandle.current().pid() + "-" + System.nanoTime();
    String output = "ksbench-out-" + runId;
    Path stateDir = Files.createTempDirectory("ksbench-");

    StreamsBuilder b = new StreamsBuilder();
    KStream<String, PageView> source =
        b.stream(input, Consumed.with(Serdes.String(), jsonSerde(PageView.class)))
            .peek((k, v) -> start());
    if (workload.equals("stateless")) {
      source
          .filter((k, v) -> v.duration_ms % 10 != 0)
          .mapValues(Visit::new)
          .peek((k, v) -> count())
          .to(output, Produced.with(Serdes.String(), jsonSerde(Visit.class)));
    } else {
      KGroupedStream<String, PageView> grouped =
          workload.equals("windowed")
              ? source.groupByKey()
              : source
                  .selectKey((k, v) -> v.page)
                  .repartition(
                      Repartitioned.with(Serdes.String(), jsonSerde(PageView.class)).withName("rekey"))
                  .groupByKey();
      grouped
          .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMinutes(1)))
          .count()
          .toStream()
          .peek((k, v) -> count())
          .to(
              output,
              Produced.with(
                  WindowedSerdes.timeWindowedSerdeFrom(String.class, 60_000L), Serdes.Long()));
    }

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "ksbench-" + runId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, a.getOrDefault("--commit-interval-ms", "1000"));
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    KafkaStreams app = new KafkaStreams(b.build(), p);
    long startedNs = System.nanoTime();
    app.start();
    boolean ok = done.await(timeoutS, TimeUnit.SECONDS);
    long doneNs = System.nanoTime();
    app.close(Duration.ofSeconds(60));
    double drainS = (System.nanoTime() - doneNs) / 1e9;
    try (Stream<Path> files = Files.walk(stateDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
    if (!ok) {
      System.err.printf("StreamsBench: timed out after %d of %d records%n", seen, expected);
      System.exit(1);
    }
    double seconds = (lastNs - firstNs) / 1e9;
    double cpu = (cpuLast - cpuFirst) / 1e9;
    double threadCpu = (threadCpuLast - threadCpuFirst) / 1e9;
    System.out.printf(
        "{\"system\":\"kafka-streams\",\"workload\":\"%s\",\"events\":%d,\"seconds\":%.3f,"
            + "\"events_per_s\":%.0f,\"cpu_s\":%.3f,\"events_per_cpu_s\":%.0f,"
            + "\"stream_thread_cpu_s\":%.3f,\"events_per_stream_thread_cpu_s\":%.0f,"
            + "\"startup_s\":%.3f,\"drain_s\":%.3f,\"records_out\":%d}%n",
        workload, events, seconds, events / seconds, cpu, events / cpu, threadCpu,
        events / threadCpu, (firstNs - startedNs) / 1e9, drainS, seen);
  }
}
