// A Kafka Streams (4.x) application run against runnel by test_kafka_streams.py:
//   word count           text-lines -> split -> groupBy(word) [repartition] -> count [changelog] -> word-counts
//   windowed count       clicks (key user) -> 10 s tumbling windows, 5 s grace -> count -> clicks-per-window
//                        (key "user@windowStart")
//   stream-table join    orders (key order id, value "customer:amount") -> selectKey(customer) [repartition]
//                        join customers (KTable) -> orders-enriched (key order id... value "order:name:amount")
//
// Usage: java -cp ... StreamsApp BOOTSTRAP STATE_DIR GUARANTEE
// Prints "STATE <new state>" on every state change and runs until SIGTERM.

import java.time.Duration;
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;

public final class StreamsApp {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "runnel-streams-check");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(StreamsConfig.STATE_DIR_CONFIG, args[1]);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args[2]);
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    // Every update reaches the output at once, commits are frequent: the test
    // compares the last value per key with its model.
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    // Ride out a broker restart: retry produce for up to two minutes.
    p.put(StreamsConfig.producerPrefix("delivery.timeout.ms"), 120000);
    p.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 10000);
    p.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), 1000);

    StreamsBuilder b = new StreamsBuilder();

    b.<String, String>stream("text-lines")
        .flatMapValues(line -> Arrays.asList(line.toLowerCase().split("\\W+")))
        .filter((k, w) -> !w.isEmpty())
        .groupBy((k, w) -> w, Grouped.as("words"))
        .count(Materialized.as("word-counts-store"))
        .toStream()
        .to("word-counts", Produced.with(Serdes.String(), Serdes.Long()));

    b.<String, String>stream("clicks")
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofSeconds(10), Duration.ofSeconds(5)))
        .count(Materialized.as("clicks-store"))
        .toStream()
        .map((w, n) -> KeyValue.pair(w.key() + "@" + w.window().start(), n))
        .to("clicks-per-window", Produced.with(Serdes.String(), Serdes.Long()));

    KTable<String, String> customers = b.table("customers", Consumed.as("customers-source"),
        Materialized.as("customers-store"));
    KStream<String, String> orders = b.stream("orders");
    orders
        .map((orderId, v) -> KeyValue.pair(v.split(":")[0], orderId + ":" + v.split(":")[1]))
        .join(customers, (order, name) -> order.split(":")[0] + ":" + name + ":" + order.split(":")[1])
        .selectKey((customer, v) -> v.split(":")[0])
        .to("orders-enriched");

    KafkaStreams streams = new KafkaStreams(b.build(), p);
    CountDownLatch done = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      System.out.println("STATE " + now);
      System.out.flush();
      if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) done.countDown();
    });
    streams.setUncaughtExceptionHandler(e -> {
      System.out.println("UNCAUGHT " + e);
      e.printStackTrace(System.out);
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(30));
      done.countDown();
    }));
    streams.start();
    done.await();
  }
}
