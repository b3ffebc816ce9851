// bench/peers/flink: one Nexmark query in Flink SQL, local mode, parallelism
// 1, over the three topics `runnel nexmark` wrote on a runnel broker. The
// sources are bounded (from the earliest offset to the latest at the start),
// so the job ends when it has read every event. Prints one JSON line on
// stdout: wall and process CPU seconds from the job's start to its end, and
// the process's peak RSS. With --collect FILE the query's result is collected
// instead (its changelog applied: the rows it holds at the end, one a line,
// sorted) and the time is not the point.
//
// Usage: NexmarkFlink --bootstrap HOST:PORT --sources FILE [--query FILE]
//                     [--prefix P] [--collect FILE] [--state-dir DIR]
// --state-dir keeps keyed state in RocksDB under DIR (the embedded RocksDB
// state backend, as runnel's --state-dir keeps its state in RocksDB), and
// adds peak_state_mb: the largest sum seen of RocksDB's estimated live data
// and memtable sizes over every state of the job (its native metrics, taken
// by the reporter below).
// FILE texts: `--` comment lines are dropped and {prefix}, {bootstrap} are
// replaced. sources.sql declares person, auction and bid; without --query the
// job reads the three sources into blackholes (the cost of reading).

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.CloseableIterator;

public final class NexmarkFlink {
  private static final List<String> TABLES = List.of("person", "auction", "bid");

  private static String text(String path, String prefix, String bootstrap) throws IOException {
    return Files.readAllLines(Path.of(path), StandardCharsets.UTF_8).stream()
        .filter(l -> !l.stripLeading().startsWith("--"))
        .collect(Collectors.joining("\n"))
        .replace("{prefix}", prefix)
        .replace("{bootstrap}", bootstrap)
        .strip();
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static long peakRssKb() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
    }
    return 0;
  }

  private static String cell(Object v) {
    if (v == null) return "";
    if (v instanceof LocalDateTime t) return t.format(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS"));
    return v.toString();
  }

  private static void die(String message) {
    System.err.println("NexmarkFlink: " + message);
    System.exit(2);
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) die("bad argument " + args[i] + " (see the source's header)");
      opt.put(args[i].substring(2), args[++i]);
    }
    String bootstrap = opt.get("bootstrap");
    String sourcesFile = opt.get("sources");
    if (bootstrap == null || sourcesFile == null) die("--bootstrap and --sources are required");
    String prefix = opt.getOrDefault("prefix", "nexmark-");
    String query = opt.containsKey("query") ? text(opt.get("query"), prefix, bootstrap) : null;

    boolean collect = opt.containsKey("collect");
    // Collecting goes through a DataStream whose changelog must carry every
    // update's old row too (ChangelogMode.all()), so it can be applied without
    // knowing the result's keys; a table's collect() may send upserts (q9's
    // Top-1 did: +U rows without their -U).
    // The local cluster's configuration: it starts with the job, so the
    // state backend and the metric reporter are set here, not in TableConfig.
    Configuration conf = new Configuration();
    conf.setString("parallelism.default", "1");
    conf.setString("pipeline.name", "nexmark");
    boolean rocksdb = opt.containsKey("state-dir");
    if (rocksdb) {
      conf.setString("state.backend.type", "rocksdb");
      conf.setString("state.backend.rocksdb.localdir", opt.get("state-dir"));
      conf.setString("state.backend.rocksdb.metrics.estimate-live-data-size", "true");
      conf.setString("state.backend.rocksdb.metrics.size-all-mem-tables", "true");
      conf.setString("metrics.reporter.state.factory.class", StateGaugesFactory.class.getName());
    }
    StreamExecutionEnvironment env = collect ? StreamExecutionEnvironment.getExecutionEnvironment(conf) : null;
    if (env != null) env.setParallelism(1);
    TableEnvironment t = collect ? StreamTableEnvironment.create(env)
        : TableEnvironment.create(EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(conf).build());
    for (String stmt : text(sourcesFile, prefix, bootstrap).split(";")) {
      if (!stmt.isBlank()) t.executeSql(stmt);
    }

    if (collect) {
      if (query == null) die("--collect needs --query");
      Map<String, Integer> rows = new HashMap<>();
      long count = 0;
      DataStream<Row> changes = ((StreamTableEnvironment) t).toChangelogStream(t.sqlQuery(query), Schema.derived(),
          ChangelogMode.all());
      try (CloseableIterator<Row> it = changes.executeAndCollect()) {
        while (it.hasNext()) {
          Row r = it.next();
          List<String> cells = new ArrayList<>();
          for (int i = 0; i < r.getArity(); i++) cells.add(cell(r.getField(i)));
          String key = String.join("|", cells);
          int d = (r.getKind() == RowKind.INSERT || r.getKind() == RowKind.UPDATE_AFTER) ? 1 : -1;
          rows.merge(key, d, Integer::sum);
          count++;
        }
      }
      List<String> out = new ArrayList<>();
      for (Map.Entry<String, Integer> e : rows.entrySet()) {
        if (e.getValue() < 0) die("a row retracted more often than inserted: " + e.getKey());
        for (int i = 0; i < e.getValue(); i++) out.add(e.getKey());
      }
      Collections.sort(out);
      try (PrintWriter w = new PrintWriter(opt.get("collect"), StandardCharsets.UTF_8)) {
        for (String l : out) w.println(l);
      }
      System.out.printf("{\"rows\": %d, \"changes\": %d}%n", out.size(), count);
      System.out.flush();
      System.exit(0);
    }

    // Every source is read (into a blackhole when the query does not use it),
    // as runnel's run reads all three topics for every query.
    StatementSet set = t.createStatementSet();
    List<String> read = new ArrayList<>();
    if (query != null) {
      Table q = t.sqlQuery(query);
      t.executeSql("CREATE TABLE query_sink (" + columns(q) + ") WITH ('connector' = 'blackhole')");
      set.addInsert("query_sink", q);
      for (String name : TABLES) {
        if (java.util.regex.Pattern.compile("(?i)\\b(from|join|table)\\s+" + name + "\\b").matcher(query).find()) {
          read.add(name);
        }
      }
    }
    for (String name : TABLES) {
      if (read.contains(name)) continue;
      Table s = t.from(name);
      t.executeSql("CREATE TABLE " + name + "_sink (" + columns(s) + ") WITH ('connector' = 'blackhole')");
      set.addInsert(name + "_sink", s);
    }

    // A sampler reads the process's CPU time and the records its Kafka
    // consumers have fetched (kafka-clients' JMX metrics; the cluster runs in
    // this JVM) every 20 ms, so the time before the first record (starting
    // the local cluster, deploying and compiling the tasks, connecting) can be
    // told from the time spent reading and computing.
    List<long[]> samples = Collections.synchronizedList(new ArrayList<>());
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        samples.add(new long[] {System.nanoTime(), cpuNanos(), consumed()});
        if (samples.size() % 10 == 0) PEAK_STATE.accumulateAndGet(StateGauges.bytes(), Math::max);
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "nexmark-sampler");
    sampler.setDaemon(true);
    long cpu0 = cpuNanos(), t0 = System.nanoTime();
    sampler.start();
    TableResult result = set.execute();
    result.await();
    long cpu1 = cpuNanos(), t1 = System.nanoTime(), records = consumed();
    sampler.interrupt();
    sampler.join();
    long[] start = {t0, cpu0, 0};
    synchronized (samples) {
      for (long[] s : samples) {
        if (s[2] > 0) break;
        start = s;  // the last sample before any record was fetched
      }
    }
    // The second half: from the first sample with half the records fetched
    // to the end, the JIT compiler's warm-up mostly behind.
    long[] half = start;
    synchronized (samples) {
      for (long[] s : samples) {
        if (s[2] >= records / 2) {
          half = s;
          break;
        }
      }
    }
    System.out.printf("{\"seconds\": %.3f, \"cpu_seconds\": %.3f, \"job_seconds\": %.3f, \"job_cpu_seconds\": %.3f, "
        + "\"records\": %d, \"warm_records\": %d, \"warm_seconds\": %.3f, \"warm_cpu_seconds\": %.3f, "
        + "\"peak_rss_mb\": %d%s}%n", (t1 - start[0]) / 1e9, (cpu1 - start[1]) / 1e9,
        (t1 - t0) / 1e9, (cpu1 - cpu0) / 1e9, records, records - half[2], (t1 - half[0]) / 1e9,
        (cpu1 - half[1]) / 1e9, peakRssKb() / 1024,
        rocksdb ? String.format(", \"peak_state_mb\": %.1f, \"state_gauges\": %d", PEAK_STATE.get() / 1048576.0,
            StateGauges.SEEN.get()) : "");
    System.out.flush();
    System.exit(0);
  }

  private static final java.util.concurrent.atomic.AtomicLong PEAK_STATE = new java.util.concurrent.atomic.AtomicLong();

  // A metric reporter that keeps the gauges of RocksDB's native metrics
  // (one per state, i.e. column family) for the sampler to add up; the job
  // runs in this JVM, so they are live objects. Flink creates it from
  // metrics.reporter.state.factory.class.
  public static final class StateGauges implements MetricReporter {
    private static final Map<Gauge<?>, Boolean> GAUGES = new java.util.concurrent.ConcurrentHashMap<>();
    static final java.util.concurrent.atomic.AtomicInteger SEEN = new java.util.concurrent.atomic.AtomicInteger();

    static long bytes() {
      long sum = 0;
      for (Gauge<?> g : GAUGES.keySet()) {
        try {
          // RocksDB's metric views read their property when updated, which
          // Flink does every 5 s only: here at each sample.
          if (g instanceof org.apache.flink.metrics.View v) v.update();
          if (g.getValue() instanceof Number n) sum += n.longValue();
        } catch (RuntimeException e) {
          // a state closing while it is read
        }
      }
      return sum;
    }

    @Override public void open(MetricConfig config) {}
    @Override public void close() {}
    @Override public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
      if (metric instanceof Gauge<?> g && (name.endsWith("estimate-live-data-size") || name.endsWith("size-all-mem-tables"))) {
        GAUGES.put(g, true);
        SEEN.incrementAndGet();
      }
    }
    @Override public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
      if (metric instanceof Gauge<?> g) GAUGES.remove(g);
    }
  }

  public static final class StateGaugesFactory implements MetricReporterFactory {
    @Override public MetricReporter createMetricReporter(java.util.Properties properties) {
      return new StateGauges();
    }
  }

  private static final Map<String, Long> FETCHED = new java.util.concurrent.ConcurrentHashMap<>();

  // Records fetched by every Kafka consumer in this JVM so far (a consumer's
  // metrics go when it closes, so the last figure seen of each is kept).
  private static long consumed() {
    try {
      javax.management.MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      for (javax.management.ObjectName name : server.queryNames(
               new javax.management.ObjectName("kafka.consumer:type=consumer-fetch-manager-metrics,client-id=*"), null)) {
        Object v = server.getAttribute(name, "records-consumed-total");
        if (v instanceof Number x) FETCHED.merge(name.getKeyProperty("client-id"), (long) x.doubleValue(), Math::max);
      }
    } catch (Exception e) {
      // a consumer closing while it is read: its last figure stays
    }
    return FETCHED.values().stream().mapToLong(Long::longValue).sum();
  }

  // The column list of a table's schema, for a blackhole sink of the same
  // shape (time attributes become plain timestamps).
  private static String columns(Table table) {
    return table.getResolvedSchema().getColumns().stream()
        .map(c -> "`" + c.getName() + "` " + c.getDataType().getLogicalType().copy(true).asSerializableString()
            .replace(" *ROWTIME*", "").replace(" *PROCTIME*", ""))
        .collect(Collectors.joining(", "));
  }
}
