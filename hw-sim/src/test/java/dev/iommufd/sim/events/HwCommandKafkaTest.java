package dev.iommufd.sim.events;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.DomainCreate;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.HwEvent;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.contract.events.PageResponse;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.concurrent.CompletableFuture;

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

/**
 * Over the real broker: a sync request comes back as a completion; a poison record goes to the
 * dead-letter topic; a DMA miss on a PRI device becomes a page request and the page response on
 * hw.commands lets it finish; injected page requests and hardware events reach their topics.
 * hw-sim's test profile uses topics of its own (application.properties); they persist across runs,
 * so every test still uses its own context id and filters on it.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
class HwCommandKafkaTest {

    private static String bootstrap() {
        return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    }

    /** The topic of a channel as configured (the test profile gives hw-sim topics of its own). */
    private static String topic(String direction, String channel) {
        return ConfigProvider.getConfig().getValue("mp.messaging." + direction + "." + channel + ".topic", String.class);
    }

    private static String commands() {
        return topic("incoming", "hw-commands");
    }

    private static String completions() {
        return topic("outgoing", "hw-completions");
    }

    private static String pageRequests() {
        return topic("outgoing", "hw-page-requests");
    }

    private static String events() {
        return topic("outgoing", "hw-events");
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
        try (KafkaConsumer<String, String> c = consumer(completions())) {
            send(commands(), "smmu0", EventJson.write(sync));
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
            send(commands(), "dmar0", "{\"" + marker + "\":");
            assertNotNull(await(dlq, rec -> rec.value().contains(marker)), "poison record not dead-lettered");
        }
        syncRequestIsCompleted();
    }

    /** The accelerator (dmar0, PRI 64, PASID 20 bits) on a PASID nobody else uses. */
    static final String ACC = "0000:04:00.0";

    private static final class Commands {
        final String source = "hw-sim-test-" + UUID.randomUUID();
        long seq;

        String send(EventPayload p) throws Exception {
            String corr = UUID.randomUUID().toString();
            EventEnvelope e = new EventEnvelope(1, UUID.randomUUID().toString(), source, null, "dmar0", ++seq, corr, Instant.now(),
                    TraceContext.newTraceparent(), p);
            HwCommandKafkaTest.send(commands(), "dmar0", EventJson.write(e));
            return corr;
        }

        /** Sends a sync and waits for its completion: every earlier command was applied. */
        void sync() throws Exception {
            try (KafkaConsumer<String, String> c = consumer(completions())) {
                String corr = send(new SyncRequest("dmar0"));
                assertNotNull(await(c, r -> r.value().contains(corr)), "no completion");
            }
        }
    }

    private static <T extends EventPayload> T payloadOf(ConsumerRecord<String, String> r, Class<T> type) {
        return type.cast(EventJson.read(r.value()).payload());
    }

    @Test
    void dmaMissBecomesAPageRequestAndThePageResponseCompletesIt() throws Exception {
        String ctx = "kt-" + UUID.randomUUID();
        String domain = ctx + "/1";
        int pasid = 0xabcde;
        Commands cmds = new Commands();
        cmds.send(new DomainCreate(domain, "dmar0", 48, false, 7));
        cmds.send(new AttachDevice(ACC, pasid, domain));
        cmds.sync();
        given().contentType(ContentType.JSON).body("{\"data\":\"3q2+7w==\"}").put("/v1/hw/memory/0x6a0000010").then().statusCode(204);

        try (KafkaConsumer<String, String> requests = consumer(pageRequests())) {
            CompletableFuture<JsonPath> dma = CompletableFuture.supplyAsync(() -> given().contentType(ContentType.JSON)
                    .body("{\"pasid\":" + pasid + ",\"iova\":\"0x5010\",\"length\":4,\"write\":false,\"priTimeoutMs\":25000}")
                    .post("/v1/hw/devices/" + ACC + "/dma").then().statusCode(200).extract().jsonPath());
            ConsumerRecord<String, String> r = await(requests, rec -> rec.value().contains(domain));
            assertNotNull(r, "no page request within 30 s");
            assertEquals("dmar0", r.key());
            EventEnvelope env = EventJson.read(r.value());
            assertEquals(ctx, env.contextId());
            assertEquals("hw-sim", env.source());
            PageRequest pr = payloadOf(r, PageRequest.class);
            assertEquals(new PageRequest("dmar0", ACC, pasid, pr.grpid(), true, false, false, false, 0x5000, true, domain, 7), pr);
            assertTrue(!dma.isDone(), "the DMA waits for the response");

            cmds.send(new MapRange(domain, 0x5000, 0x1000, 0x6a0000000L, true, true));
            cmds.send(new PageResponse("dmar0", ACC, pasid, pr.grpid(), "SUCCESS"));
            JsonPath res = dma.get(30, TimeUnit.SECONDS);
            assertEquals("OK", res.getString("status"), res.prettify());
            assertEquals(1, res.getInt("pageRequests"));
            assertEquals("3q2+7w==", res.getString("data"));
        }
    }

    @Test
    void injectedPageRequestAndHardwareEventReachTheirTopics() throws Exception {
        String ctx = "kt-" + UUID.randomUUID();
        String domain = ctx + "/2";
        int pasid = 0xabcdf;
        Commands cmds = new Commands();
        cmds.send(new DomainCreate(domain, "dmar0", 48, false, 3));
        cmds.send(new AttachDevice(ACC, pasid, domain));
        cmds.sync();
        try (KafkaConsumer<String, String> requests = consumer(pageRequests());
             KafkaConsumer<String, String> events = consumer(events())) {
            given().contentType(ContentType.JSON)
                    .body("{\"pasid\":" + pasid + ",\"grpid\":300,\"perm\":[\"READ\",\"WRITE\"],\"addr\":\"0x12345\",\"last\":true}")
                    .post("/v1/hw/devices/" + ACC + "/page-requests").then().statusCode(202);
            ConsumerRecord<String, String> r = await(requests, rec -> rec.value().contains(domain));
            assertNotNull(r, "no injected page request");
            assertEquals(new PageRequest("dmar0", ACC, pasid, 300, true, true, false, false, 0x12000, true, domain, 3),
                    payloadOf(r, PageRequest.class));
            // the same PRGI again while outstanding: EBUSY, nothing sent
            given().contentType(ContentType.JSON)
                    .body("{\"pasid\":" + pasid + ",\"grpid\":300,\"perm\":[\"READ\"],\"addr\":\"0x1000\",\"last\":true}")
                    .post("/v1/hw/devices/" + ACC + "/page-requests").then().statusCode(409).body("errno", equalTo("EBUSY"));
            cmds.send(new PageResponse("dmar0", ACC, pasid, 300, "SUCCESS"));

            given().contentType(ContentType.JSON)
                    .body("{\"rid\":\"" + ACC + "\",\"type\":\"FS_PAGING_ENTRY_P\",\"addr\":\"0x7000\",\"pasid\":" + pasid + "}")
                    .post("/v1/hw/iommus/dmar0/events").then().statusCode(202);
            ConsumerRecord<String, String> e = await(events, rec -> rec.value().contains(domain));
            assertNotNull(e, "no injected event");
            assertEquals(ctx, EventJson.read(e.value()).contextId());
            HwEvent ev = payloadOf(e, HwEvent.class);
            assertEquals("FS_PAGING_ENTRY_P", ev.type());
            assertEquals(0x71, ev.code());
            assertEquals(List.of(0x7000L, 0x0400L | 0x71L << 32 | 1L << 31 | (long) pasid << 40 | 1L << 62 | 1L << 63), ev.evt());
        }
    }
}
