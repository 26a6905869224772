package dev.iommufd.tools.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.devinfra.LocalInfra;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reads a throw-away two-partition topic of the tests' real broker (devinfra LocalInfra). */
class KafkaSourceTest {
    private static final String TOPIC = "iommuctl.replay-test." + UUID.randomUUID();
    /** In the past (the broker refuses timestamps far in the future), in whole seconds. */
    private static final long T0 = (System.currentTimeMillis() - 600_000) / 1000 * 1000;
    private static String bootstrap;

    private static String event(int n) {
        return EventJson.write(new EventEnvelope(1, "e" + n, "test", null, "dmar0", n, "c" + n, Instant.ofEpochMilli(T0 + n), null,
                new SyncRequest("dmar0")));
    }

    @BeforeAll
    static void produce() throws Exception {
        bootstrap = new LocalInfra(LocalInfra.repoRoot()).ensureUp().kafkaBootstrap();
        Properties a = new Properties();
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(a)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            // partition 0: events 1, 4, 5 (offsets 0-2); partition 1: 2, 3, then a record that is no event, then 6
            int[][] plan = {{0, 1}, {1, 2}, {1, 3}, {0, 4}, {0, 5}, {1, -1}, {1, 6}};
            for (int[] r : plan) {
                String value = r[1] < 0 ? "{not json" : event(r[1]);
                long ts = T0 + (r[1] < 0 ? 35 : r[1] * 10L);
                producer.send(new ProducerRecord<>(TOPIC, r[0], ts, "dmar0", value)).get();
            }
        }
    }

    @AfterAll
    static void deleteTopic() throws Exception {
        Properties a = new Properties();
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(a)) {
            admin.deleteTopics(List.of(TOPIC)).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static List<String> ids(KafkaSource.Result r) {
        return r.items().stream().map(i -> i.event().id()).toList();
    }

    @Test
    void readsEverythingMergedByTimestampAndReportsWhatIsNoEvent() {
        KafkaSource.Result r = new KafkaSource(bootstrap).read(List.of(TOPIC, "iommuctl.no-such-topic." + UUID.randomUUID()),
                KafkaSource.Range.ALL);
        assertEquals(List.of("e1", "e2", "e3", "e4", "e5", "e6"), ids(r));
        assertEquals(1, r.malformed().size());
        assertEquals(TOPIC + "/1@2", r.malformed().get(0).where());
        assertEquals(1, r.missingTopics().size());
        assertEquals(TOPIC + "/0@1", r.items().get(3).where());
        assertEquals(T0 + 40, r.items().get(3).timestamp());
    }

    @Test
    void offsetAndTimeBoundsApplyToEveryPartition() {
        KafkaSource s = new KafkaSource(bootstrap);
        KafkaSource.Result offsets = s.read(List.of(TOPIC), new KafkaSource.Range(1L, 2L, null, null)); // p0: e4 e5, p1: e3 + the bad one
        assertEquals(List.of("e3", "e4", "e5"), ids(offsets));
        assertEquals(1, offsets.malformed().size());
        assertEquals(List.of("e3", "e4", "e5"), ids(s.read(List.of(TOPIC),
                new KafkaSource.Range(null, null, Instant.ofEpochMilli(T0 + 30), Instant.ofEpochMilli(T0 + 50)))));
        assertEquals(List.of(), ids(s.read(List.of(TOPIC), new KafkaSource.Range(10L, null, null, null))));
    }
}
