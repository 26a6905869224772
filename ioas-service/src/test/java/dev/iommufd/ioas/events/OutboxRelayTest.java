package dev.iommufd.ioas.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.InvalidateIotlb;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.contract.events.UnmapRange;
import dev.iommufd.devinfra.LocalInfra;
import dev.iommufd.devinfra.LocalInfraTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The outbox relay over the real broker and PostgreSQL: rows a crash left behind are published
 * without any caller, LAZY invalidations wait for a full batch or the maximum delay, and callers
 * waiting together share one sync per queue. Rows are written straight into the table, exactly as
 * a committed transaction leaves them. The lazy flush is set to 3 rows / 2 s here so "not yet" can
 * be told from "already".
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
@QuarkusTestResource(dev.iommufd.ioas.FakeHardwareResource.class)
@TestProfile(OutboxRelayTest.SlowLazyFlush.class)
class OutboxRelayTest {
    public static class SlowLazyFlush implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("iommufd.ioas.lazy-flush.batch-size", "3", "iommufd.ioas.lazy-flush.max-delay", "PT2S");
        }
    }

    @Inject
    Pool pool;

    @Inject
    OutboxRelay relay;

    KafkaConsumer<String, String> consumer;
    String ctx;

    @BeforeEach
    void listen() {
        ctx = "relay-test-" + UUID.randomUUID();
        Properties p = new Properties();
        p.put("bootstrap.servers", new LocalInfra(LocalInfra.repoRoot()).ensureUp().kafkaBootstrap());
        p.put("group.id", ctx);
        p.put("auto.offset.reset", "latest");
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        consumer.subscribe(List.of(Topics.HW_COMMANDS));
        while (consumer.assignment().isEmpty()) {
            consumer.poll(Duration.ofMillis(100));
        }
        consumer.assignment().forEach(consumer::position); // "latest" fixed now, not at the first fetch
    }

    @AfterEach
    void close() {
        consumer.close();
    }

    void insert(String payloadJson, boolean deferred) {
        pool.preparedQuery("INSERT INTO ioas.outbox (kafka_key, context_id, payload, deferred) VALUES ($1, $2, $3, $4)")
                .execute(Tuple.of("dmar0", ctx, payloadJson, deferred)).await().atMost(Duration.ofSeconds(5));
    }

    /** This test's commands seen on the topic within {@code wait}. */
    List<EventEnvelope> received(Duration wait) {
        List<EventEnvelope> out = new ArrayList<>();
        long end = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < end) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(50))) {
                EventEnvelope e = EventJson.read(r.value());
                if (ctx.equals(e.contextId())) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    long rowsLeft() {
        return pool.preparedQuery("SELECT count(*) FROM ioas.outbox WHERE context_id = $1").execute(Tuple.of(ctx))
                .await().atMost(Duration.ofSeconds(5)).iterator().next().getLong(0);
    }

    @Test
    void rowsLeftByACrashArePublishedInOrderWithoutAnyCaller() {
        for (int i = 0; i < 5; i++) {
            insert(EventJson.writePayload(new UnmapRange("crash/1", 0x1000L * i, 0x1000)), false);
        }
        // no kick: the relay's periodic pass must find them, as after a restart
        List<EventEnvelope> got = received(Duration.ofSeconds(3));
        assertEquals(5, got.size(), "every row published once");
        for (int i = 0; i < 5; i++) {
            assertEquals(0x1000L * i, ((UnmapRange) got.get(i).payload()).iova(), "id order");
        }
        assertEquals(0, rowsLeft(), "published rows are deleted");
    }

    @Test
    void lazyInvalidationsWaitForTheMaximumDelayOrAFullBatch() {
        insert(EventJson.writePayload(new InvalidateIotlb("dmar0", "lazy/1", 0x1000, 0x1000)), true);
        insert(EventJson.writePayload(new InvalidateIotlb("dmar0", "lazy/1", 0x2000, 0x1000)), true);
        relay.deferredCommitted(2);
        relay.kick();
        assertEquals(List.of(), received(Duration.ofMillis(1200)), "below the batch size nothing goes before the delay");
        assertEquals(2, received(Duration.ofSeconds(3)).size(), "the delay flushes them");
        assertEquals(0, rowsLeft());

        for (int i = 0; i < 3; i++) {
            insert(EventJson.writePayload(new InvalidateIotlb("dmar0", "lazy/1", 0x1000L * i, 0x1000)), true);
        }
        relay.deferredCommitted(3);
        assertEquals(3, received(Duration.ofMillis(1200)).size(), "a full batch flushes at once");
    }

    @Test
    void waitingCallersShareOneSyncPerQueueBehindTheirCommands() throws Exception {
        insert(EventJson.writePayload(new UnmapRange("strict/1", 0x1000, 0x1000)), false);
        List<CompletableFuture<Void>> callers = new ArrayList<>();
        // registered before any drain can take them: the relay thread is busy with a task of ours
        CompletableFuture<Void> hold = new CompletableFuture<>();
        relay.runOnRelayThread(() -> hold.join());
        for (int i = 0; i < 10; i++) {
            callers.add(relay.syncAfterCommit(Set.of("dmar0")));
        }
        hold.complete(null);
        CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        List<EventEnvelope> syncs = new ArrayList<>();
        List<EventEnvelope> all = new ArrayList<>();
        long end = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (System.nanoTime() < end) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(50))) {
                EventEnvelope e = EventJson.read(r.value());
                if (ctx.equals(e.contextId()) || e.payload() instanceof SyncRequest && e.contextId() == null) {
                    all.add(e);
                    if (e.payload() instanceof SyncRequest) {
                        syncs.add(e);
                    }
                }
            }
        }
        assertEquals(1, syncs.size(), "ten callers, one sync");
        assertTrue(all.get(0).payload() instanceof UnmapRange, "the command before its sync");
    }
}
