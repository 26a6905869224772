package dev.iommufd.viommu.context;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufd.contract.events.ContextClosed;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.contract.events.VdeviceGone;
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

/** CONTEXT_CLOSED and VDEVICE_GONE from the real broker drop exactly their rows, and a repeat changes nothing. */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
class ContextEventsConsumerTest {
    @Inject
    Pool pool;

    long queues(String ctx) {
        return pool.preparedQuery("SELECT count(*) FROM viommu.viommus WHERE context_id = $1").execute(Tuple.of(ctx))
                .await().atMost(Duration.ofSeconds(5)).iterator().next().getLong(0);
    }

    void publishClosed(String ctx) throws Exception {
        publish(ctx, new ContextClosed(ctx));
    }

    void publish(String ctx, dev.iommufd.contract.events.EventPayload payload) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", new LocalInfra(LocalInfra.repoRoot()).ensureUp().kafkaBootstrap());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            EventEnvelope e = new EventEnvelope(EventEnvelope.SCHEMA_VERSION, UUID.randomUUID().toString(), "ioas-service", ctx, ctx,
                    1, null, Instant.now(), null, payload);
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

    long vdevices(String ctx) {
        return pool.preparedQuery("SELECT count(*) FROM viommu.vdevices WHERE context_id = $1").execute(Tuple.of(ctx))
                .await().atMost(Duration.ofSeconds(5)).iterator().next().getLong(0);
    }

    void insertVdevice(String ctx, int id, long virtId) {
        pool.preparedQuery("INSERT INTO viommu.vdevices (context_id, id, viommu_id, device_id, virt_id, rid, sid, iommu)"
                        + " VALUES ($1, $2, 1, $2, $3, '0001:00:01.0', 8, 'smmu0')").execute(Tuple.of(ctx, id, virtId))
                .await().atMost(Duration.ofSeconds(5));
    }

    @Test
    void vdeviceGoneDropsThatVdeviceOnly() throws Exception {
        String ctx = "gone-" + UUID.randomUUID();
        insertVdevice(ctx, 3, 1);
        insertVdevice(ctx, 4, 2);
        publish(ctx, new VdeviceGone(ctx, 3, "0001:00:01.0"));
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (vdevices(ctx) != 1 && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        assertEquals(1, vdevices(ctx));
        publish(ctx, new VdeviceGone(ctx, 3, "0001:00:01.0")); // redelivered: nothing more goes
        publishClosed("marker-" + UUID.randomUUID());
        String marker = "marker-" + UUID.randomUUID();
        insertVdevice(marker, 1, 1);
        publish(marker, new VdeviceGone(marker, 1, "0001:00:01.0"));
        end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (vdevices(marker) != 0 && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        assertEquals(0, vdevices(marker), "everything published before it was consumed too");
        assertEquals(1, pool.preparedQuery("SELECT count(*) FROM viommu.vdevices WHERE context_id = $1 AND id = 4").execute(Tuple.of(ctx))
                .await().atMost(Duration.ofSeconds(5)).iterator().next().getLong(0));
    }

    @Test
    void closedContextLeavesNoViommu() throws Exception {
        String closed = "closed-" + UUID.randomUUID();
        String other = "other-" + UUID.randomUUID();
        for (String ctx : new String[] {closed, other}) {
            for (int id = 1; id <= 2; id++) {
                pool.preparedQuery("INSERT INTO viommu.viommus (context_id, id, type, device_id, hwpt_id, iommu) VALUES ($1, $2, 'INTEL_VTD', 1, 2, 'dmar0')").execute(Tuple.of(ctx, id))
                        .await().atMost(Duration.ofSeconds(5));
            }
        }
        publishClosed(closed);
        awaitQueues(closed, 0);
        publishClosed(closed); // at-least-once delivery: the repeat is harmless
        publishClosed(other + "-never-opened");
        String marker = "marker-" + UUID.randomUUID();
        pool.preparedQuery("INSERT INTO viommu.viommus (context_id, id, type, device_id, hwpt_id, iommu) VALUES ($1, 1, 'INTEL_VTD', 1, 2, 'dmar0')").execute(Tuple.of(marker))
                .await().atMost(Duration.ofSeconds(5));
        publishClosed(marker);
        awaitQueues(marker, 0); // everything published before it was consumed too
        assertEquals(2, queues(other), "another context's vIOMMUs stay");
    }
}
