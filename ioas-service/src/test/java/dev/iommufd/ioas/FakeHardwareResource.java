package dev.iommufd.ioas;

import dev.iommufd.contract.events.Completion;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.devinfra.LocalInfra;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * For this service's own tests: a stand-in for hw-sim on the real broker that completes every
 * sync on a known IOMMU's queue (it applies nothing; hw-sim's behaviour is tested by hw-sim and
 * across processes by the e2e module). Syncs for unknown IOMMUs stay unanswered.
 */
public class FakeHardwareResource implements QuarkusTestResourceLifecycleManager {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread thread;

    @Override
    public Map<String, String> start() {
        String bootstrap = new LocalInfra(LocalInfra.repoRoot()).ensureUp().kafkaBootstrap();
        Properties cp = new Properties();
        cp.put("bootstrap.servers", bootstrap);
        cp.put("group.id", "ioas-test-fake-hw-" + UUID.randomUUID());
        cp.put("auto.offset.reset", "latest");
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer());
        consumer.subscribe(List.of(Topics.HW_COMMANDS));
        while (consumer.assignment().isEmpty()) {
            consumer.poll(Duration.ofMillis(100));
        }
        consumer.assignment().forEach(consumer::position); // "latest" fixed now, not at the first fetch
        Properties pp = new Properties();
        pp.put("bootstrap.servers", bootstrap);
        KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer());
        Topology topo = Topology.defaults();
        thread = new Thread(() -> {
            try (consumer; producer) {
                long seq = 1;
                while (running.get()) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(50))) {
                        EventEnvelope e = EventJson.read(r.value());
                        if (e.payload() instanceof SyncRequest s && topo.iommu(s.iommu()).isPresent()) {
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

    @Override
    public void stop() {
        running.set(false);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
