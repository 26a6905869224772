package dev.iommufd.devinfra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The servers are real: a record goes through the broker and a query through PostgreSQL. */
class LocalInfraTest {

    @Test
    void ensureUpIsIdempotentAndServersAnswer() throws Exception {
        LocalInfra infra = new LocalInfra(LocalInfra.repoRoot());
        Endpoints first = infra.ensureUp();
        Endpoints second = infra.ensureUp();
        assertEquals(first, second);

        try (Connection c = DriverManager.getConnection(first.jdbcUrl(), first.user(), first.password());
             ResultSet rs = c.createStatement().executeQuery("select current_database(), version()")) {
            assertTrue(rs.next());
            assertEquals(Postgres.DATABASE, rs.getString(1));
            assertTrue(rs.getString(2).startsWith("PostgreSQL"));
        }

        String topic = "devinfra-selftest-" + System.nanoTime();
        Properties ap = new Properties();
        ap.put("bootstrap.servers", first.kafkaBootstrap());
        try (Admin admin = Admin.create(ap)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(20, TimeUnit.SECONDS);
        }
        Properties pp = new Properties();
        pp.put("bootstrap.servers", first.kafkaBootstrap());
        pp.put("acks", "all");
        pp.put("enable.idempotence", "true");
        try (KafkaProducer<String, String> p = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
            p.send(new ProducerRecord<>(topic, "k", "hello")).get(20, TimeUnit.SECONDS);
        }
        Properties cp = new Properties();
        cp.put("bootstrap.servers", first.kafkaBootstrap());
        cp.put("group.id", "devinfra-selftest");
        cp.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
            c.subscribe(Set.of(topic));
            String got = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (got == null && System.nanoTime() < deadline) {
                ConsumerRecords<String, String> rs = c.poll(Duration.ofMillis(500));
                if (!rs.isEmpty()) {
                    got = rs.iterator().next().value();
                }
            }
            assertEquals("hello", got);
        }
    }
}
