package dev.iommufd.viommu.support;

import dev.iommufd.contract.events.Completion;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.devinfra.LocalInfra;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * For this service's tests: hw-sim's stand-in on the real broker. It records every command
 * viommu-service sends (tests assert what reached the hardware) and completes every sync of a
 * known IOMMU (syncs of other IOMMUs stay unanswered: timeout paths). It also
 * lets tests publish hardware events.
 */
public class FakeHw implements QuarkusTestResourceLifecycleManager {
    public static final List<EventEnvelope> RECEIVED = new CopyOnWriteArrayList<>();
    static final Set<String> IOMMUS = Set.of("dmar0", "dmar1", "smmu0");
    private static KafkaProducer<String, String> producer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread thread;

    @Override
    public Map<String, String> start() {
        String bootstrap = new LocalInfra(LocalInfra.repoRoot()).ensureUp().kafkaBootstrap();
        FakeHw.bootstrap = bootstrap;
        // the topics exist before the service subscribes (auto-created on first use otherwise, after its "latest")
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(Topics.HW_EVENTS, 1, (short) 1), new NewTopic(Topics.HW_COMPLETIONS, 1, (short) 1)))
                    .values().values().forEach(f -> {
                        try {
                            f.get();
                        } catch (Exception alreadyThere) {
                            // fine
                        }
                    });
        }
        Properties cp = new Properties();
        cp.put("bootstrap.servers", bootstrap);
        cp.put("group.id", "viommu-test-fake-hw-" + UUID.randomUUID());
        cp.put("auto.offset.reset", "latest");
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer());
        consumer.subscribe(List.of(Topics.HW_COMMANDS));
        while (consumer.assignment().isEmpty()) {
            consumer.poll(Duration.ofMillis(100));
        }
        consumer.assignment().forEach(consumer::position);
        Properties pp = new Properties();
        pp.put("bootstrap.servers", bootstrap);
        producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer());
        thread = new Thread(() -> {
            try (consumer) {
                long seq = 1;
                while (running.get()) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(20))) {
                        EventEnvelope e = EventJson.read(r.value());
                        if (!e.source().startsWith("viommu-service")) {
                            continue;
                        }
                        RECEIVED.add(e);
                        if (e.payload() instanceof SyncRequest s && IOMMUS.contains(s.iommu())) {
                            EventEnvelope done = new EventEnvelope(1, UUID.randomUUID().toString(), "fake-hw", null, r.key(), seq++,
                                    e.correlationId(), Instant.now(), e.traceparent(), new Completion(s.iommu(), e.source(), e.sequence()));
                            producer.send(new ProducerRecord<>(Topics.HW_COMPLETIONS, r.key(), EventJson.write(done)));
                        }
                    }
                }
            }
        }, "fake-hw");
        thread.setDaemon(true);
        thread.start();
        return Map.of();
    }

    private static String bootstrap;

    /** Waits until the service's consumer group {@code group} has its partitions (its "latest" is fixed). */
    public static void awaitGroup(String group) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            long end = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < end) {
                List<String> ids = admin.listConsumerGroups().all().get().stream().map(g -> g.groupId())
                        .filter(g -> g.equals(group)).toList();
                for (var d : admin.describeConsumerGroups(ids).all().get().values()) {
                    if (d.members().stream().anyMatch(m -> !m.assignment().topicPartitions().isEmpty())) {
                        return;
                    }
                }
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("no consumer group " + group + " with partitions");
    }

    /** Publishes a hardware record as hw-sim would (key: IOMMU). */
    public static void publish(String key, String contextId, EventPayload p) {
        EventEnvelope e = new EventEnvelope(1, UUID.randomUUID().toString(), "fake-hw", contextId, key,
                System.nanoTime(), null, Instant.now(), null, p);
        producer.send(new ProducerRecord<>(Topics.of(p), key, EventJson.write(e)));
        producer.flush();
    }

    /** The payloads of {@code type} received so far for context {@code ctx} (null: any). */
    public static <T extends EventPayload> List<T> received(Class<T> type) {
        return RECEIVED.stream().map(EventEnvelope::payload).filter(type::isInstance).map(type::cast).toList();
    }

    @Override
    public void stop() {
        running.set(false);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close();
    }
}
