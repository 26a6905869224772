package dev.iommufd.tools.replay;

import dev.iommufd.contract.events.EventJson;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads recorded topics without a consumer group (assign + seek, nothing committed, so replay never
 * disturbs the services), up to the end offsets seen when it starts, then merges the partitions:
 * offset order inside each partition, record timestamp order across them (ties: topic order,
 * partition, offset), so the same recorded stream always gives the same sequence.
 */
public final class KafkaSource {
    /** Offsets and times bound every partition; null = open. {@code toOffset}/{@code toTime} are inclusive. */
    public record Range(Long fromOffset, Long toOffset, Instant fromTime, Instant toTime) {
        public static final Range ALL = new Range(null, null, null, null);
    }

    /** A record that is not an event (it would be dead-lettered): reported, never replayed. */
    public record Malformed(String where, String reason) {}

    public record Result(List<Recorded> items, List<Malformed> malformed, List<String> missingTopics) {}

    /** A broker that stops answering mid-read is an error, not a hang. */
    private static final Duration IDLE_LIMIT = Duration.ofSeconds(30);

    private final String bootstrap;

    public KafkaSource(String bootstrap) {
        this.bootstrap = bootstrap;
    }

    public Result read(List<String> topics, Range range) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        List<List<Recorded>> partitions = new ArrayList<>();
        List<Malformed> malformed = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (String t : topics) {
                List<PartitionInfo> infos = c.partitionsFor(t, Duration.ofSeconds(15));
                if (infos == null || infos.isEmpty()) {
                    missing.add(t);
                    continue;
                }
                infos.stream().map(i -> new TopicPartition(t, i.partition())).sorted(Comparator.comparingInt(TopicPartition::partition))
                        .forEach(tps::add);
            }
            c.assign(tps);
            Map<TopicPartition, Long> begin = c.beginningOffsets(tps);
            Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(tps)); // exclusive
            Map<TopicPartition, OffsetAndTimestamp> fromTime = range.fromTime() == null ? Map.of()
                    : c.offsetsForTimes(timestamps(tps, range.fromTime()));
            Map<TopicPartition, List<Recorded>> byPartition = new HashMap<>();
            for (TopicPartition tp : tps) {
                long start = begin.get(tp);
                if (range.fromOffset() != null) {
                    start = Math.max(start, range.fromOffset());
                }
                if (range.fromTime() != null) {
                    OffsetAndTimestamp o = fromTime.get(tp);
                    start = Math.max(start, o == null ? end.get(tp) : o.offset());
                }
                if (range.toOffset() != null) {
                    end.put(tp, Math.min(end.get(tp), range.toOffset() + 1));
                }
                c.seek(tp, start);
                byPartition.put(tp, new ArrayList<>());
            }
            long toTime = range.toTime() == null ? Long.MAX_VALUE : range.toTime().toEpochMilli();
            long lastProgress = System.nanoTime();
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                var records = c.poll(Duration.ofMillis(500));
                if (!records.isEmpty()) {
                    lastProgress = System.nanoTime();
                } else if (System.nanoTime() - lastProgress > IDLE_LIMIT.toNanos()) {
                    throw new IllegalStateException("no record for " + IDLE_LIMIT.toSeconds() + " s before the end offsets");
                }
                for (ConsumerRecord<String, String> r : records) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= end.get(tp) || r.timestamp() > toTime) {
                        continue;
                    }
                    try {
                        byPartition.get(tp).add(new Recorded(r.topic(), r.partition(), r.offset(), r.timestamp(), EventJson.read(r.value())));
                    } catch (RuntimeException e) {
                        malformed.add(new Malformed(r.topic() + "/" + r.partition() + "@" + r.offset(), String.valueOf(e.getMessage())));
                    }
                }
            }
            tps.forEach(tp -> partitions.add(byPartition.get(tp)));
        }
        return new Result(merge(partitions), malformed, missing);
    }

    private static Map<TopicPartition, Long> timestamps(List<TopicPartition> tps, Instant t) {
        Map<TopicPartition, Long> m = new HashMap<>();
        tps.forEach(tp -> m.put(tp, t.toEpochMilli()));
        return m;
    }

    /**
     * Merges partitions (each in offset order) by record timestamp; a tie goes to the earlier list
     * (callers pass topics in {@code Topics.ALL} order, partitions ascending), so the result is stable.
     */
    public static List<Recorded> merge(List<List<Recorded>> partitions) {
        record Head(int list, int index, Recorded r) {}
        PriorityQueue<Head> q = new PriorityQueue<>(Comparator.comparingLong((Head h) -> h.r().timestamp()).thenComparingInt(Head::list));
        for (int i = 0; i < partitions.size(); i++) {
            if (!partitions.get(i).isEmpty()) {
                q.add(new Head(i, 0, partitions.get(i).get(0)));
            }
        }
        List<Recorded> out = new ArrayList<>();
        while (!q.isEmpty()) {
            Head h = q.poll();
            out.add(h.r());
            List<Recorded> l = partitions.get(h.list());
            if (h.index() + 1 < l.size()) {
                q.add(new Head(h.list(), h.index() + 1, l.get(h.index() + 1)));
            }
        }
        return out;
    }
}
