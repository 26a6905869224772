package dev.iommufd.tools.load;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The ceiling this machine gives the event-driven design, measured in the same run as the load so
 * results are ratios that survive a noisy machine: raw Kafka produce→consume records/s (100-byte
 * records, acks=all, idempotent — as our producers) and one hop's latency (send one record, wait
 * until a consumer has it, like Kafka's EndToEndLatency). Uses a throw-away one-partition topic.
 */
public final class KafkaBaseline {
    public static final int RECORD_BYTES = 100;

    public record Result(long records, double seconds, double recordsPerSecond, long hops, long hopP50Us, long hopP99Us, long hopMaxUs) {}

    private KafkaBaseline() {}

    public static Result measure(String bootstrap, Duration produceFor, int hops) {
        String topic = "iommuctl.baseline." + UUID.randomUUID();
        Properties admin = new Properties();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin a = Admin.create(admin)) {
            a.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            try {
                return run(bootstrap, topic, produceFor, hops);
            } finally {
                a.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Kafka baseline on " + bootstrap + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Result run(String bootstrap, String topic, Duration produceFor, int hops) throws InterruptedException {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
        TopicPartition tp = new TopicPartition(topic, 0);
        byte[] value = new byte[RECORD_BYTES];
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            consumer.position(tp);

            // one hop at a time: the latency floor of a request that waits for its answer
            Histogram hop = new Histogram(3);
            for (int i = 0; i < hops; i++) {
                long t0 = System.nanoTime();
                producer.send(new ProducerRecord<>(topic, value));
                producer.flush();
                long got = 0;
                while (got == 0) {
                    got = consumer.poll(Duration.ofMillis(50)).count();
                }
                hop.recordValue((System.nanoTime() - t0) / 1000);
            }

            // throughput: produce as fast as the producer can for the given time, consume concurrently
            AtomicLong sent = new AtomicLong();
            long start = System.nanoTime();
            long end = start + produceFor.toNanos();
            Thread sender = new Thread(() -> {
                while (System.nanoTime() < end) {
                    producer.send(new ProducerRecord<>(topic, value));
                    sent.incrementAndGet();
                }
                producer.flush();
            }, "baseline-producer");
            sender.start();
            long consumed = 0;
            long lastAt = start;
            while (sender.isAlive() || consumed < sent.get()) {
                ConsumerRecords<byte[], byte[]> rs = consumer.poll(Duration.ofMillis(100));
                if (!rs.isEmpty()) {
                    consumed += rs.count();
                    lastAt = System.nanoTime();
                }
                if (!sender.isAlive() && System.nanoTime() - lastAt > 10_000_000_000L) {
                    break; // records lost? report what arrived
                }
            }
            sender.join();
            double seconds = (lastAt - start) / 1e9;
            return new Result(consumed, seconds, consumed / seconds, hop.getTotalCount(), hop.getValueAtPercentile(50),
                    hop.getValueAtPercentile(99), hop.getMaxValue());
        }
    }
}
