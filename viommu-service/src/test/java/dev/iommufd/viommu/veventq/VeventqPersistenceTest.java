package dev.iommufd.viommu.veventq;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.events.ContextClosed;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.HwEvent;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.devinfra.LocalInfra;
import dev.iommufd.devinfra.LocalInfraTestResource;
import dev.iommufd.viommu.support.FakeHw;
import dev.iommufd.viommu.support.IoasStandIn;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.smallrye.jwt.build.Jwt;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * vEVENTQ contents in PostgreSQL, fed from the real broker: routing with the vSID, overflow and
 * sequences, consume-on-read with {@code max}, the entries as rows (the store is the database, so
 * a restart or another replica sees them), redelivered records applied once, the SSE stream (also
 * for entries another replica stored), destroy and context close removing the entries.
 * ioas-service is {@link IoasStandIn}, hw-sim {@link FakeHw} (answers the vIOMMU's sync); the
 * hardware events are published here with envelopes of our own, so duplicates are exact copies.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
@QuarkusTestResource(FakeHw.class)
class VeventqPersistenceTest {
    /** Our own producer "source": the sequence mark of (source, smmu0) is ours alone. */
    static final String SOURCE = "veventq-test-" + UUID.randomUUID();
    static final AtomicLong SEQ = new AtomicLong();
    static KafkaProducer<String, String> producer;

    @Inject
    Pool pool;

    @BeforeAll
    static void producer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", new LocalInfra(LocalInfra.repoRoot()).ensureUp().kafkaBootstrap());
        producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    @AfterAll
    static void close() {
        producer.close();
    }

    static RequestSpecification as(String ctx) {
        String token = Jwt.issuer("iommufd").subject(ctx).expiresIn(600)
                .sign(new LocalInfra(LocalInfra.repoRoot()).tokenKeys().loadPrivateKey());
        return given().header("Authorization", "Bearer " + token).contentType(ContentType.JSON);
    }

    /** A context with two SMMUv3 devices (SID 8, SID 0x10), a vIOMMU, a vdevice 0x5 of SID 8 and a vEVENTQ of {@code depth}. */
    final class Queue {
        final String ctx = "ctx-" + UUID.randomUUID();
        final String url = "/v1/contexts/" + ctx;
        final int devA = IoasStandIn.device(ctx, "0001:00:01.0", "smmu0", "ARM_SMMUV3", 0x8, true);
        final int devB = IoasStandIn.device(ctx, "0001:00:02.0", "smmu0", "ARM_SMMUV3", 0x10, false);
        final int parent = IoasStandIn.pagingHwpt(ctx, "smmu0", "ARM_SMMUV3", true);
        final int viommu = created("/viommus", "{\"type\":\"ARM_SMMUV3\",\"deviceId\":" + devA + ",\"hwptId\":" + parent + "}");
        final int vdev = created("/vdevices", "{\"viommuId\":" + viommu + ",\"deviceId\":" + devA + ",\"virtId\":\"0x5\"}");
        /** The nested HWPT the devices are attached to in hw-sim (only then do their events reach the guest). */
        final int nested = created("/nested-hwpts", "{\"deviceId\":" + devA + ",\"ptId\":" + viommu
                + ",\"data\":{\"type\":\"ARM_SMMUV3\",\"ste\":[\"0xb\",\"0x0\"]}}");
        final int id;
        final String events;

        Queue(int depth) {
            id = created("/veventqs", "{\"viommuId\":" + viommu + ",\"type\":\"ARM_SMMUV3\",\"depth\":" + depth + "}");
            events = url + "/veventqs/" + id + "/events";
        }

        int created(String path, String body) {
            return as(ctx).body(body).post(url + path).then().statusCode(201).extract().path("id");
        }

        /** A fault of SID {@code sid} at {@code addr} as hw-sim records it (evt[0]: type, StreamID in 63:32). */
        EventEnvelope fault(int sid, long addr) {
            return envelope(ctx, new HwEvent("smmu0", sid == 8 ? "0001:00:01.0" : "0001:00:02.0", sid, null, ctx + "/" + nested, "F_TRANSLATION",
                    0x10, addr, List.of(0x10L | ((long) sid << 32), 0L, addr, 0L)));
        }

        String body(String query) {
            return as(ctx).get(events + query).then().statusCode(200).extract().asString();
        }

        /** The queue row's counters and its entries, read straight from the database (not through the service). */
        String rows() {
            Row q = one("SELECT next_sequence, events FROM viommu.veventqs WHERE context_id = $1 AND id = $2", ctx, id);
            StringBuilder b = new StringBuilder(q == null ? "gone" : "next=" + q.getInteger(0) + " events=" + q.getInteger(1));
            for (Row r : all("SELECT sequence, lost_events, virt_id, addr, evt FROM viommu.veventq_entries"
                    + " WHERE context_id = $1 AND veventq_id = $2 ORDER BY pos", ctx, id)) {
                b.append(r.getBoolean(1) ? " L" + r.getInteger(0)
                        : " " + r.getInteger(0) + "@0x" + Long.toHexString(r.getLong(3)) + "/v" + r.getLong(2)
                                + "/evt0=0x" + Long.toHexString(r.getArrayOfLongs(4)[0]));
            }
            return b.toString();
        }
    }

    static EventEnvelope envelope(String ctx, EventPayload p) {
        return new EventEnvelope(EventEnvelope.SCHEMA_VERSION, UUID.randomUUID().toString(), SOURCE, ctx, "smmu0",
                SEQ.incrementAndGet(), null, Instant.now(), null, p);
    }

    static void publish(EventEnvelope e) {
        try {
            producer.send(new ProducerRecord<>(Topics.of(e.payload()), e.key(), EventJson.write(e))).get();
        } catch (Exception x) {
            throw new IllegalStateException(x);
        }
    }

    List<Row> all(String sql, Object... args) {
        List<Row> out = new ArrayList<>();
        pool.preparedQuery(sql).execute(Tuple.from(args)).await().atMost(Duration.ofSeconds(5)).forEach(out::add);
        return out;
    }

    Row one(String sql, Object... args) {
        List<Row> rs = all(sql, args);
        return rs.isEmpty() ? null : rs.get(0);
    }

    static <T> T eventually(Supplier<T> s, Predicate<T> ok) throws InterruptedException {
        long end = System.nanoTime() + 30_000_000_000L;
        T v = s.get();
        while (!ok.test(v) && System.nanoTime() < end) {
            Thread.sleep(50);
            v = s.get();
        }
        return v;
    }

    static String json(int seq, String addr, String evt0) {
        return "{\"sequence\":" + seq + ",\"flags\":[],\"virtId\":\"0x5\",\"data\":{\"type\":\"F_TRANSLATION\",\"code\":\"0x10\",\"addr\":\""
                + addr + "\",\"evt\":[\"" + evt0 + "\",\"0x0\",\"" + addr + "\",\"0x0\"]}}";
    }

    static String marker(int seq) {
        return "{\"sequence\":" + seq + ",\"flags\":[\"LOST_EVENTS\"]}";
    }

    static double metric(String line) {
        String metrics = RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith(line + " ") || l.startsWith(line + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(0);
    }

    @Test
    void routedWithTheVsidOverflowLeavesAMarkerAndReadsConsumeFromTheHead() throws Exception {
        Queue q = new Queue(2);
        assertEquals("next=0 events=0", q.rows());
        double queued = metric("iommufd_viommu_events_reported_total{outcome=\"queued\"}");
        double lost = metric("iommufd_viommu_events_reported_total{outcome=\"lost\"}");
        double noVdevice = metric("iommufd_viommu_events_dropped_total{reason=\"no_vdevice\"}");
        publish(q.fault(0x10, 0x9000));                         // SID 0x10: no vdevice in this context → dropped, no sequence taken
        for (int i = 1; i <= 3; i++) {
            publish(q.fault(8, i * 0x1000L));                    // SID 8 → vSID 5; the third finds the queue full
        }
        // stored while no one reads: the rows are in the database, the vSID in evt[0]'s StreamID field
        assertEquals("next=3 events=2 0@0x1000/v5/evt0=0x500000010 1@0x2000/v5/evt0=0x500000010 L2",
                eventually(q::rows, r -> r.startsWith("next=3")));
        assertTrue(metric("iommufd_viommu_events_dropped_total{reason=\"no_vdevice\"}") >= noVdevice + 1);
        // overflow again: the marker moves to the tail with the newest lost sequence
        publish(q.fault(8, 0x4000));
        assertEquals("next=4 events=2 0@0x1000/v5/evt0=0x500000010 1@0x2000/v5/evt0=0x500000010 L3",
                eventually(q::rows, r -> r.startsWith("next=4")));
        as(q.ctx).get(q.events + "?max=0").then().statusCode(400).body("errno", equalTo("EINVAL"));
        as(q.ctx).get(q.events + "?max=-1").then().statusCode(400).body("errno", equalTo("EINVAL"));
        assertEquals("next=4 events=2 0@0x1000/v5/evt0=0x500000010 1@0x2000/v5/evt0=0x500000010 L3", q.rows(), "a refused read takes nothing");
        assertEquals("{\"events\":[" + json(0, "0x1000", "0x500000010") + "]}", q.body("?max=1"));
        assertEquals("next=4 events=1 1@0x2000/v5/evt0=0x500000010 L3", q.rows());
        // room again: the next event replaces the marker at the tail; the gap 2..3 shows the loss
        publish(q.fault(8, 0x5000));
        assertEquals("next=5 events=2 1@0x2000/v5/evt0=0x500000010 4@0x5000/v5/evt0=0x500000010",
                eventually(q::rows, r -> r.startsWith("next=5")));
        assertEquals("{\"events\":[" + json(1, "0x2000", "0x500000010") + "," + json(4, "0x5000", "0x500000010") + "]}", q.body(""));
        assertEquals("next=5 events=0", q.rows());
        assertEquals("{\"events\":[]}", q.body(""));
        // a full queue whose marker is read alone: the events stay
        for (int i = 6; i <= 8; i++) {
            publish(q.fault(8, i * 0x1000L));
        }
        eventually(q::rows, r -> r.startsWith("next=8"));
        assertEquals("{\"events\":[" + json(5, "0x6000", "0x500000010") + "," + json(6, "0x7000", "0x500000010") + "," + marker(7) + "]}",
                q.body("?max=3"));
        assertEquals(queued + 5, eventually(() -> metric("iommufd_viommu_events_reported_total{outcome=\"queued\"}"), m -> m >= queued + 5));
        assertEquals(lost + 3, eventually(() -> metric("iommufd_viommu_events_reported_total{outcome=\"lost\"}"), m -> m >= lost + 3));
        as("another-" + q.ctx).get(q.events).then().statusCode(404).body("errno", equalTo("ENOENT"));
        as(q.ctx).get(q.url + "/veventqs/999999/events").then().statusCode(404).body("errno", equalTo("ENOENT"));
    }

    @Test
    void aRedeliveredRecordIsAppliedOnceAndTheGroupCommitsItsOffsets() throws Exception {
        Queue q = new Queue(8);
        EventEnvelope a = q.fault(8, 0x1000);
        EventEnvelope older = q.fault(8, 0x3000);
        EventEnvelope b = q.fault(8, 0x2000);
        double dups = metric("iommufd_viommu_events_duplicates_total");
        publish(a);
        publish(a);                                            // the same record again (at-least-once delivery)
        publish(b);
        publish(older);                                        // a sequence below the mark: a replay, skipped
        publish(b);
        EventEnvelope c = q.fault(8, 0x4000);
        publish(c);                                            // behind them on the partition: once it is there, all were handled
        assertEquals("next=3 events=3 0@0x1000/v5/evt0=0x500000010 1@0x2000/v5/evt0=0x500000010 2@0x4000/v5/evt0=0x500000010",
                eventually(q::rows, r -> r.contains("0x4000")));
        assertEquals(dups + 3, metric("iommufd_viommu_events_duplicates_total"));
        Row mark = one("SELECT last_sequence FROM viommu.applied_hw_events WHERE source = $1 AND kafka_key = 'smmu0'", SOURCE);
        assertEquals(c.sequence(), mark.getLong(0));
        // the stable group commits what it consumed: a restarted service resumes there, not at the end
        String group = ConfigProvider.getConfig().getValue("mp.messaging.incoming.hw-events.group.id", String.class);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", new LocalInfra(LocalInfra.repoRoot()).ensureUp().kafkaBootstrap()))) {
            long end = producer.partitionsFor(Topics.HW_EVENTS).size() == 1
                    ? admin.listOffsets(Map.of(new TopicPartition(Topics.HW_EVENTS, 0), org.apache.kafka.clients.admin.OffsetSpec.latest()))
                            .all().get().get(new TopicPartition(Topics.HW_EVENTS, 0)).offset()
                    : -1;
            Supplier<Long> committed = () -> {
                try {
                    Map<TopicPartition, OffsetAndMetadata> m = admin.listConsumerGroupOffsets(group, new ListConsumerGroupOffsetsOptions())
                            .partitionsToOffsetAndMetadata().get();
                    return m.values().stream().filter(o -> o != null).mapToLong(OffsetAndMetadata::offset).sum();
                } catch (Exception x) {
                    throw new IllegalStateException(x);
                }
            };
            long got = eventually(committed, o -> end < 0 ? o > 0 : o >= end);
            assertTrue(end < 0 ? got > 0 : got >= end, "committed " + got + ", log end " + end);
        }
        assertEquals("{\"events\":[" + json(0, "0x1000", "0x500000010") + "," + json(1, "0x2000", "0x500000010") + ","
                + json(2, "0x4000", "0x500000010") + "]}", q.body(""));
    }

    @Test
    void concurrentReadersWhileEventsArriveGetEveryEntryOnceInQueueOrder() throws Exception {
        Queue q = new Queue(1000);
        int n = 150;
        java.util.concurrent.atomic.AtomicBoolean allStored = new java.util.concurrent.atomic.AtomicBoolean();
        List<CompletableFuture<List<Integer>>> readers = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            readers.add(CompletableFuture.supplyAsync(() -> {
                List<Integer> seen = new ArrayList<>();
                while (true) {
                    boolean last = allStored.get();   // read before the call: after it, an empty answer means drained
                    List<Integer> got = as(q.ctx).get(q.events + "?max=3").then().statusCode(200).extract().jsonPath()
                            .getList("events.sequence", Integer.class);
                    seen.addAll(got);
                    if (got.isEmpty() && last) {
                        return seen;
                    }
                }
            }));
        }
        for (int i = 0; i < n; i++) {
            publish(q.fault(8, (i + 1) * 0x1000L));
        }
        assertTrue(eventually(q::rows, r -> r.startsWith("next=" + n)).startsWith("next=" + n));
        allStored.set(true);
        List<Integer> all = new ArrayList<>();
        for (CompletableFuture<List<Integer>> f : readers) {
            List<Integer> seen = f.get(60, TimeUnit.SECONDS);
            for (int i = 1; i < seen.size(); i++) {
                assertTrue(seen.get(i) > seen.get(i - 1), "each reader gets the queue's order: " + seen);
            }
            all.addAll(seen);
        }
        all.sort(null);
        assertEquals(java.util.stream.IntStream.range(0, n).boxed().toList(), all, "every entry exactly once, none lost (depth not reached)");
        assertEquals("next=" + n + " events=0", q.rows());
    }

    /** A minimal SSE client on Vert.x: one {@code data:} JSON per message; {@code ended} completes when the server closes. */
    static final class SseClient implements AutoCloseable {
        final Vertx vertx = Vertx.vertx();
        final HttpClient http = vertx.createHttpClient();
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        final int status;
        final String contentType;

        SseClient(String ctx, String path) throws Exception {
            String token = Jwt.issuer("iommufd").subject(ctx).expiresIn(600)
                    .sign(new LocalInfra(LocalInfra.repoRoot()).tokenKeys().loadPrivateKey());
            HttpClientResponse resp = http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
                            .setPort(RestAssured.port).setURI(path).putHeader("Authorization", "Bearer " + token)
                            .putHeader("Accept", "text/event-stream"))
                    .compose(r -> r.send()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            status = resp.statusCode();
            contentType = resp.getHeader("Content-Type");
            StringBuilder data = new StringBuilder();
            RecordParser lines = RecordParser.newDelimited("\n", line -> {
                String l = line.toString().replace("\r", "");
                if (l.startsWith("data:")) {
                    data.append(l.substring(5).trim());
                } else if (l.isEmpty() && data.length() > 0) {
                    messages.add(data.toString());
                    data.setLength(0);
                }
            });
            resp.handler(lines);
            resp.endHandler(v -> ended.complete(null));
            resp.exceptionHandler(ended::completeExceptionally);
        }

        String next() throws InterruptedException {
            String m = messages.poll(15, TimeUnit.SECONDS);
            assertNotNull(m, "no SSE message within 15 s");
            return m;
        }

        @Override
        public void close() {
            vertx.close();
        }
    }

    @Test
    void theSseStreamDeliversEachEntryAsItArrivesAndConsumesIt() throws Exception {
        Queue q = new Queue(2);
        publish(q.fault(8, 0x1000));                           // queued before the stream opens: delivered first
        eventually(q::rows, r -> r.startsWith("next=1"));
        try (SseClient sse = new SseClient(q.ctx, q.url + "/veventqs/" + q.id + "/stream")) {
            assertEquals(200, sse.status);
            assertTrue(sse.contentType.startsWith("text/event-stream"), sse.contentType);
            assertEquals(json(0, "0x1000", "0x500000010"), sse.next());
            publish(q.fault(8, 0x2000));
            assertEquals(json(1, "0x2000", "0x500000010"), sse.next());
            publish(q.fault(8, 0x3000));
            assertEquals(json(2, "0x3000", "0x500000010"), sse.next());
            assertEquals("next=3 events=0", eventually(q::rows, r -> r.equals("next=3 events=0")));
            assertEquals("{\"events\":[]}", q.body(""), "the stream consumed them");
            // another replica stored an entry (no wake-up here): the stream's poll finds it
            pool.preparedQuery("WITH q AS (UPDATE viommu.veventqs SET next_sequence = next_sequence + 1, events = events + 1"
                            + " WHERE context_id = $1 AND id = $2 RETURNING next_sequence - 1 AS seq)"
                            + " INSERT INTO viommu.veventq_entries (context_id, veventq_id, sequence, lost_events, virt_id, type, code, addr, evt)"
                            + " SELECT $1, $2, seq, false, 5, 'F_TRANSLATION', 16, 36864, ARRAY[21474836496, 0, 36864, 0]::bigint[] FROM q")
                    .execute(Tuple.of(q.ctx, q.id)).await().atMost(Duration.ofSeconds(5));
            assertEquals(json(3, "0x9000", "0x500000010"), sse.next());
            assertEquals("next=4 events=0", eventually(q::rows, r -> r.equals("next=4 events=0")));
            // nothing was delivered twice: the next messages are exactly the next entries
            publish(q.fault(8, 0x4000));
            publish(q.fault(8, 0x5000));
            assertEquals(json(4, "0x4000", "0x500000010"), sse.next());
            assertEquals(json(5, "0x5000", "0x500000010"), sse.next());
            // destroy: the entries go with the row, the stream ends
            as(q.ctx).delete(q.url + "/veventqs/" + q.id).then().statusCode(204);
            sse.ended.get(15, TimeUnit.SECONDS);
        }
        assertEquals("gone", q.rows());
        as(q.ctx).get(q.events).then().statusCode(404).body("errno", equalTo("ENOENT"));
        as(q.ctx).get(q.url + "/veventqs/" + q.id + "/stream").then().statusCode(404).body("errno", equalTo("ENOENT"));
    }

    @Test
    void destroyAndContextCloseRemoveTheEntries() throws Exception {
        Queue q = new Queue(4);
        publish(q.fault(8, 0x1000));
        publish(q.fault(8, 0x2000));
        assertEquals("next=2 events=2 0@0x1000/v5/evt0=0x500000010 1@0x2000/v5/evt0=0x500000010",
                eventually(q::rows, r -> r.startsWith("next=2")));
        as(q.ctx).delete(q.url + "/veventqs/" + q.id).then().statusCode(204);
        assertEquals("gone", q.rows());
        assertEquals(0, all("SELECT 1 FROM viommu.veventq_entries WHERE context_id = $1", q.ctx).size());
        // a new queue on the same vIOMMU starts over; a closed context takes it and its entries
        Queue other = new Queue(4);
        int q2 = q.created("/veventqs", "{\"viommuId\":" + q.viommu + ",\"type\":\"ARM_SMMUV3\",\"depth\":4}");
        publish(q.fault(8, 0x3000));
        String entries = "SELECT sequence FROM viommu.veventq_entries WHERE context_id = $1 AND veventq_id = $2";
        assertEquals(1, eventually(() -> all(entries, q.ctx, q2).size(), n -> n == 1));
        assertEquals(0, all(entries, q.ctx, q2).get(0).getInteger(0));
        publish(other.fault(8, 0x1000));
        eventually(other::rows, r -> r.startsWith("next=1"));
        publish(new EventEnvelope(EventEnvelope.SCHEMA_VERSION, UUID.randomUUID().toString(), "ioas-service", q.ctx, q.ctx, 1, null,
                Instant.now(), null, new ContextClosed(q.ctx)));
        assertEquals(0, eventually(() -> all("SELECT 1 FROM viommu.veventqs WHERE context_id = $1", q.ctx).size(), n -> n == 0));
        assertEquals(0, all("SELECT 1 FROM viommu.veventq_entries WHERE context_id = $1", q.ctx).size());
        assertEquals("next=1 events=1 0@0x1000/v5/evt0=0x500000010", other.rows(), "another context's queue stays");
    }
}
