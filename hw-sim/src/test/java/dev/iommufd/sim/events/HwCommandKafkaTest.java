package dev.iommufd.sim.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.iommufd.contract.events.Completion;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.contract.events.TraceContext;
import dev.iommufd.devinfra.LocalInfraTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** A sync request on the real broker comes back as a completion; a poison record goes to the dead-letter topic. */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
class HwCommandKafkaTest {

    private static String bootstrap() {
        return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    }

    private static KafkaConsumer<String, String> consumer(String topic) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap());
        p.put("group.id", "hw-sim-test-" + UUID.randomUUID());
        p.put("auto.offset.reset", "earliest");
        KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        c.subscribe(List.of(topic));
        return c;
    }

    private static void send(String topic, String key, String value) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap());
        p.put("acks", "all");
        try (KafkaProducer<String, String> prod = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            prod.send(new ProducerRecord<>(topic, key, value)).get(20, TimeUnit.SECONDS);
        }
    }

    private static ConsumerRecord<String, String> await(KafkaConsumer<String, String> c, java.util.function.Predicate<ConsumerRecord<String, String>> match) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(300))) {
                if (match.test(r)) {
                    return r;
                }
            }
        }
        return null;
    }

    @Test
    void syncRequestIsCompleted() throws Exception {
        String corr = UUID.randomUUID().toString();
        EventEnvelope sync = new EventEnvelope(1, UUID.randomUUID().toString(), "hw-sim-test-" + corr, "ctx-t", "smmu0", 1,
                corr, Instant.now(), TraceContext.newTraceparent(), new SyncRequest("smmu0"));
        try (KafkaConsumer<String, String> c = consumer(Topics.HW_COMPLETIONS)) {
            send(Topics.HW_COMMANDS, "smmu0", EventJson.write(sync));
            ConsumerRecord<String, String> r = await(c, rec -> rec.value().contains(corr));
            assertNotNull(r, "no completion within 30 s");
            assertEquals("smmu0", r.key());
            EventEnvelope done = EventJson.read(r.value());
            assertEquals(new Completion("smmu0", sync.source(), 1), done.payload());
            assertEquals(sync.traceparent(), done.traceparent());
            assertEquals("hw-sim", done.source());
        }
    }

    @Test
    void poisonRecordGoesToDeadLetterAndStreamKeepsFlowing() throws Exception {
        String marker = "poison-" + UUID.randomUUID();
        try (KafkaConsumer<String, String> dlq = consumer(Topics.DEAD_LETTER)) {
            send(Topics.HW_COMMANDS, "dmar0", "{\"" + marker + "\":");
            assertNotNull(await(dlq, rec -> rec.value().contains(marker)), "poison record not dead-lettered");
        }
        syncRequestIsCompleted();
    }
}
