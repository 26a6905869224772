package dev.iommufd.fault.context;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufd.contract.events.ContextClosed;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.devinfra.LocalInfra;
import dev.iommufd.devinfra.LocalInfraTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** CONTEXT_CLOSED from the real broker drops the context's fault queues, only those, and a repeat changes nothing. */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
class ContextClosedConsumerTest {
    @Inject
    Pool pool;

    long queues(String ctx) {
        return pool.preparedQuery("SELECT count(*) FROM fault.fault_queues WHERE context_id = $1").execute(Tuple.of(ctx))
                .await().atMost(Duration.ofSeconds(5)).iterator().next().getLong(0);
    }

    void publishClosed(String ctx) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", new LocalInfra(LocalInfra.repoRoot()).ensureUp().kafkaBootstrap());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            EventEnvelope e = new EventEnvelope(EventEnvelope.SCHEMA_VERSION, UUID.randomUUID().toString(), "ioas-service", ctx, ctx,
                    1, null, Instant.now(), null, new ContextClosed(ctx));
            producer.send(new ProducerRecord<>(Topics.CONTEXTS, ctx, EventJson.write(e))).get();
        }
    }

    void awaitQueues(String ctx, long expected) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (queues(ctx) != expected && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        assertEquals(expected, queues(ctx));
    }

    @Test
    void closedContextLeavesNoFaultQueue() throws Exception {
        String closed = "closed-" + UUID.randomUUID();
        String other = "other-" + UUID.randomUUID();
        for (String ctx : new String[] {closed, other}) {
            for (int id = 1; id <= 2; id++) {
                pool.preparedQuery("INSERT INTO fault.fault_queues (context_id, id) VALUES ($1, $2)").execute(Tuple.of(ctx, id))
                        .await().atMost(Duration.ofSeconds(5));
            }
        }
        publishClosed(closed);
        awaitQueues(closed, 0);
        publishClosed(closed); // at-least-once delivery: the repeat is harmless
        publishClosed(other + "-never-opened");
        String marker = "marker-" + UUID.randomUUID();
        pool.preparedQuery("INSERT INTO fault.fault_queues (context_id, id) VALUES ($1, 1)").execute(Tuple.of(marker))
                .await().atMost(Duration.ofSeconds(5));
        publishClosed(marker);
        awaitQueues(marker, 0); // everything published before it was consumed too
        assertEquals(2, queues(other), "another context's queues stay");
    }
}
