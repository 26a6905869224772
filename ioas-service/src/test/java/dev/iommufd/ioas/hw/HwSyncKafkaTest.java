package dev.iommufd.ioas.hw;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufd.contract.events.Completion;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.devinfra.LocalInfraTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ioas-service's half of the command-queue round trip over the real broker. A minimal hardware
 * stand-in in the test answers sync requests for {@code dmar0} only; hw-sim itself is exercised
 * across processes by the e2e module.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
class HwSyncKafkaTest {
    @Inject
    HwQueueGateway gateway;

    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread responder;

    @BeforeEach
    void startResponder() {
        String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
        Properties cp = new Properties();
        cp.put("bootstrap.servers", bootstrap);
        cp.put("group.id", "ioas-test-responder-" + UUID.randomUUID());
        cp.put("auto.offset.reset", "latest");
        Properties pp = new Properties();
        pp.put("bootstrap.servers", bootstrap);
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer());
        consumer.subscribe(List.of(Topics.HW_COMMANDS));
        // wait for the assignment so no request is missed with offset reset 'latest'
        while (consumer.assignment().isEmpty()) {
            consumer.poll(Duration.ofMillis(100));
        }
        KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer());
        responder = new Thread(() -> {
            try (consumer; producer) {
                long seq = 1;
                while (running.get()) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                        EventEnvelope e = EventJson.read(r.value());
                        if (e.payload() instanceof SyncRequest s && s.iommu().equals("dmar0")) {
                            EventEnvelope done = new EventEnvelope(1, UUID.randomUUID().toString(), "test-hw", null, r.key(), seq++,
                                    e.correlationId(), Instant.now(), e.traceparent(), new Completion(s.iommu(), e.source(), e.sequence()));
                            producer.send(new ProducerRecord<>(Topics.HW_COMPLETIONS, r.key(), EventJson.write(done)));
                        }
                    }
                }
            }
        });
        responder.start();
    }

    @AfterEach
    void stopResponder() throws InterruptedException {
        running.set(false);
        responder.join(10_000);
    }

    @Test
    void syncCompletesThroughKafka() {
        given().post("/v1/internal/iommus/dmar0/sync").then().statusCode(200)
                .body("iommu", equalTo("dmar0"))
                .body("sequence", greaterThan(0L))
                .body("latencyUs", greaterThan(0));
        assertEquals(0, gateway.pendingCount());
    }

    @Test
    void unansweredSyncIsEioAndLeavesNothingPending() {
        given().post("/v1/internal/iommus/dmar7/sync").then().statusCode(422).body("errno", equalTo("EIO"));
        assertEquals(0, gateway.pendingCount());
        given().post("/v1/internal/iommus/BAD!/sync").then().statusCode(400).body("errno", equalTo("EINVAL"));
    }

    @Test
    void concurrentSyncsEachGetTheirOwnCompletion() {
        List<Long> seqs = java.util.stream.IntStream.range(0, 20).parallel()
                .mapToObj(i -> given().post("/v1/internal/iommus/dmar0/sync").then().statusCode(200)
                        .extract().jsonPath().getLong("sequence"))
                .toList();
        assertEquals(20, Set.copyOf(seqs).size());
    }
}
