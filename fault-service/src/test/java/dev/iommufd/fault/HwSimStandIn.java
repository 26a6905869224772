package dev.iommufd.fault;

import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.contract.events.PageResponse;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.devinfra.LocalInfra;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The tests play hw-sim (page requests onto {@code iommufd.hw.page-requests}) and ioas-service
 * (context events onto {@code iommufd.contexts}) on the real broker, and read fault-service's
 * PAGE_RESPONSEs from {@code iommufd.hw.commands}.
 */
final class HwSimStandIn implements AutoCloseable {
    /**
     * Not "hw-sim": a real hw-sim of a stack running at the same time on the shared broker has its
     * own sequences per (source, key), and the two must not shadow each other in either consumer.
     */
    static final String SOURCE = "hw-sim-test";
    /** Sequences above anything an earlier run sent (per source and key, as SequenceClock). */
    private static final AtomicLong SEQUENCE = new AtomicLong(System.currentTimeMillis() * 1000L);
    private final KafkaProducer<String, String> producer;
    private final KafkaConsumer<String, String> responses;
    /** Responses read so far (every context: callers filter). */
    private final List<EventEnvelope> seen = new ArrayList<>();

    HwSimStandIn() {
        Properties p = new Properties();
        p.put("bootstrap.servers", new LocalInfra(LocalInfra.repoRoot()).ensureUp().kafkaBootstrap());
        producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        responses = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        List<TopicPartition> parts = responses.partitionsFor(Topics.HW_COMMANDS).stream()
                .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
        responses.assign(parts);
        responses.seekToEnd(parts);
        parts.forEach(responses::position);
    }

    static long nextSequence() {
        return SEQUENCE.incrementAndGet();
    }

    static EventEnvelope envelope(String source, String ctx, String key, long sequence, EventPayload payload) {
        return envelope(source, ctx, key, sequence, payload, Instant.now());
    }

    static EventEnvelope envelope(String source, String ctx, String key, long sequence, EventPayload payload, Instant time) {
        return new EventEnvelope(EventEnvelope.SCHEMA_VERSION, UUID.randomUUID().toString(), source, ctx, key, sequence, null,
                time, null, payload);
    }

    /** Publishes one page request as hw-sim would; returns the envelope (to publish it again). */
    EventEnvelope request(String ctx, PageRequest r) {
        EventEnvelope e = envelope(SOURCE, ctx, r.iommu(), nextSequence(), r);
        send(Topics.HW_PAGE_REQUESTS, e);
        return e;
    }

    /** Publishes an event as its producer would (ioas-service: context events keyed by the context). */
    void send(String topic, EventEnvelope e) {
        sendRaw(topic, e.key(), EventJson.write(e));
    }

    void sendRaw(String topic, String key, String value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Waits until {@code n} PAGE_RESPONSEs of context {@code ctx} arrived (then a little more, to catch extra ones). */
    List<PageResponse> responses(String ctx, int n, Duration within) {
        long end = System.nanoTime() + within.toNanos();
        while (mine(ctx).size() < n && System.nanoTime() < end) {
            poll(Duration.ofMillis(100));
        }
        poll(Duration.ofMillis(300));
        return mine(ctx).stream().map(e -> (PageResponse) e.payload()).toList();
    }

    /** Envelopes of fault-service's responses for {@code ctx}. */
    List<EventEnvelope> envelopes(String ctx) {
        return mine(ctx);
    }

    private List<EventEnvelope> mine(String ctx) {
        return seen.stream().filter(e -> ctx.equals(e.contextId())).toList();
    }

    private void poll(Duration d) {
        for (ConsumerRecord<String, String> r : responses.poll(d)) {
            EventEnvelope e;
            try {
                e = EventJson.read(r.value());
            } catch (RuntimeException ex) {
                continue;
            }
            if (e.payload() instanceof PageResponse) {
                seen.add(e);
            }
        }
    }

    @Override
    public void close() {
        producer.close();
        responses.close();
    }
}
