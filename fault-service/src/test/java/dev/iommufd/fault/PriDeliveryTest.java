package dev.iommufd.fault;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.events.ContextClosed;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.FaultDetach;
import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.contract.events.PageResponse;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.devinfra.LocalInfraTestResource;
import dev.iommufd.fault.queue.Housekeeping;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PRI delivery over the real broker and PostgreSQL: the test publishes page requests as hw-sim
 * and context events as ioas-service, drives the API as a VMM and reads the PAGE_RESPONSEs
 * fault-service publishes on iommufd.hw.commands. State is checked in the database too (what a
 * restarted instance would find).
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
@QuarkusTestResource(FakeIoasService.class)
class PriDeliveryTest {
    static final String ACCEL = "0000:04:00.0";
    static final String NIC = "0000:03:00.0";
    static final Duration WAIT = Duration.ofSeconds(15);

    @Inject
    Pool pool;

    @Inject
    Housekeeping housekeeping;

    @TestHTTPResource("/")
    URL base;

    HwSimStandIn sim;
    String ctx;

    @BeforeEach
    void setUp() {
        sim = new HwSimStandIn();
        ctx = "pri-" + UUID.randomUUID();
    }

    @AfterEach
    void tearDown() {
        sim.close();
    }

    RequestSpecification as() {
        return FaultApiTest.as(ctx);
    }

    String url(int q, String tail) {
        return "/v1/contexts/" + ctx + "/fault-queues/" + q + tail;
    }

    int allocQueue() {
        return as().body("{}").post("/v1/contexts/" + ctx + "/fault-queues").then().statusCode(201).extract().jsonPath().getInt("id");
    }

    PageRequest req(int q, String rid, Integer pasid, int grpid, long addr, boolean write, boolean last) {
        return new PageRequest("dmar0", rid, pasid, grpid, !write, write, false, false, addr, last, ctx + "/9", q);
    }

    long rows(String state) {
        return pool.preparedQuery("SELECT count(*) FROM fault.fault_groups WHERE context_id = $1 AND state = $2")
                .execute(Tuple.of(ctx, state)).await().atMost(Duration.ofSeconds(5)).iterator().next().getLong(0);
    }

    static void await(String what, BooleanSupplier cond) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    void awaitRows(String state, long n) {
        await(n + " " + state + " groups", () -> rows(state) == n);
    }

    JsonPath faults(int q, String query) {
        return as().get(url(q, "/faults" + query)).then().statusCode(200).extract().jsonPath();
    }

    List<Integer> cookies(JsonPath groups) {
        return groups.getList("groups.cookie", Integer.class);
    }

    /** Delivers one single-page group and waits until it is deliverable. */
    void deliver(int q, String rid, Integer pasid, int grpid) {
        long before = rows("DELIVERED");
        sim.request(ctx, req(q, rid, pasid, grpid, 0x40000L + grpid * 0x1000L, false, true));
        awaitRows("DELIVERED", before + 1);
    }

    EventEnvelope fromIoas(Object payload, long sequence) {
        return HwSimStandIn.envelope("ioas-service", ctx, ctx, sequence, (dev.iommufd.contract.events.EventPayload) payload);
    }

    @Test
    void groupsAreDeliveredWholeAtTheirLastRequestWithCookiesFromOne() {
        int q = allocQueue();
        sim.request(ctx, req(q, ACCEL, null, 5, 0x1000_0123L, false, false));
        sim.request(ctx, req(q, ACCEL, null, 5, 0x1100_0000L, true, false));
        sim.request(ctx, req(q, ACCEL, 7, 5, 0x2000_0000L, false, false)); // same PRGI, another PASID: another group
        awaitRows("PARTIAL", 2);
        assertEquals(List.of(), cookies(faults(q, "")), "nothing before the last request");

        sim.request(ctx, req(q, ACCEL, null, 5, 0x1200_0000L, false, true));
        awaitRows("DELIVERED", 1);
        JsonPath g = faults(q, "");
        assertEquals(List.of(1), cookies(g));
        assertEquals(List.of(
                Map.of("flags", List.of(), "devId", 104, "pasid", 0, "grpid", 5, "perm", List.of("READ"), "addr", "0x10000000", "length", "0x1000"),
                Map.of("flags", List.of(), "devId", 104, "pasid", 0, "grpid", 5, "perm", List.of("WRITE"), "addr", "0x11000000", "length", "0x1000"),
                Map.of("flags", List.of("LAST_PAGE"), "devId", 104, "pasid", 0, "grpid", 5, "perm", List.of("READ"), "addr", "0x12000000",
                        "length", "0x1000")), g.getList("groups[0].faults"));
        assertEquals(List.of(), cookies(faults(q, "")), "reading consumed the group");
        assertEquals(1, rows("CONSUMED"), "a consumed group awaits its response");

        sim.request(ctx, req(q, ACCEL, 7, 5, 0x2100_0000L, true, true));
        awaitRows("DELIVERED", 1);
        g = faults(q, "");
        assertEquals(List.of(2), cookies(g));
        assertEquals(List.of(List.of("PASID_VALID"), List.of("PASID_VALID", "LAST_PAGE")), g.getList("groups[0].faults.flags"));
        assertEquals(List.of(7, 7), g.getList("groups[0].faults.pasid"));

        int q2 = allocQueue(); // cookies are per queue
        deliver(q2, NIC, null, 1);
        JsonPath other = faults(q2, "");
        assertEquals(List.of(1), cookies(other));
        assertEquals(103, other.getInt("groups[0].faults[0].devId"), "the NIC's DEVICE id in the context");
        // default config: no response timeout, the consumed groups are still waiting
        assertEquals(3, rows("CONSUMED"));
        assertEquals(List.of(), sim.responses(ctx, 0, Duration.ZERO));
    }

    @Test
    void maxGroupsConsumesWholeGroupsInCookieOrder() {
        int q = allocQueue();
        for (int grp = 1; grp <= 3; grp++) {
            deliver(q, ACCEL, null, grp);
        }
        JsonPath first = faults(q, "?maxGroups=2");
        assertEquals(List.of(1, 2), cookies(first));
        assertEquals(List.of(1, 2), List.of(first.getInt("groups[0].faults[0].grpid"), first.getInt("groups[1].faults[0].grpid")));
        assertEquals(List.of(3), cookies(faults(q, "?maxGroups=5")));
        assertEquals(List.of(), cookies(faults(q, "?maxGroups=1")));
        as().get(url(q, "/faults?maxGroups=0")).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().get(url(q + 100, "/faults")).then().statusCode(404).body("errno", equalTo("ENOENT"));
    }

    @Test
    void responsesApplyInOrderAndStopAtTheFirstBadOne() {
        int q = allocQueue();
        deliver(q, ACCEL, null, 1);
        deliver(q, ACCEL, 9, 2);
        deliver(q, ACCEL, null, 3);
        assertEquals(List.of(1, 2), cookies(faults(q, "?maxGroups=2")));
        await("pending gauge", () -> given().get("/q/metrics").asString().lines()
                .anyMatch(l -> l.startsWith("iommufd_fault_groups_pending") && Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) >= 3));

        String r = url(q, "/responses");
        as().body("{\"responses\":[{\"cookie\":1,\"code\":\"SUCCESS\"},{\"cookie\":2,\"code\":\"FAILURE\"}]}").post(r)
                .then().statusCode(400).body("errno", equalTo("EINVAL")).body("accepted", equalTo(1));
        as().body("{\"responses\":[{\"cookie\":1,\"code\":\"INVALID\"}]}").post(r)
                .then().statusCode(400).body("errno", equalTo("EINVAL")).body("accepted", equalTo(0));
        as().body("{\"responses\":[{\"cookie\":3,\"code\":\"SUCCESS\"}]}").post(r) // delivered, not read: no cookie known yet
                .then().statusCode(400).body("errno", equalTo("EINVAL")).body("accepted", equalTo(0));
        as().body("{\"responses\":[{\"cookie\":99,\"code\":\"SUCCESS\"}]}").post(r)
                .then().statusCode(400).body("errno", equalTo("EINVAL")).body("accepted", equalTo(0));
        as().body("{\"responses\":[]}").post(r).then().statusCode(200).body("accepted", equalTo(0));
        as().body("{\"responses\":[{\"cookie\":2,\"code\":\"INVALID\"}]}").post(url(q + 100, "/responses"))
                .then().statusCode(404).body("errno", equalTo("ENOENT"));
        assertEquals(1, rows("CONSUMED"), "only the accepted response was applied");
        as().body("{\"responses\":[{\"cookie\":2,\"code\":\"INVALID\"},{\"cookie\":2,\"code\":\"INVALID\"}]}").post(r)
                .then().statusCode(400).body("errno", equalTo("EINVAL")).body("accepted", equalTo(1));

        List<PageResponse> got = sim.responses(ctx, 2, WAIT);
        assertEquals(List.of(new PageResponse("dmar0", ACCEL, null, 1, "SUCCESS"), new PageResponse("dmar0", ACCEL, 9, 2, "INVALID")), got);
        List<EventEnvelope> env = sim.envelopes(ctx);
        assertTrue(env.stream().allMatch(e -> e.source().equals("fault-service") && e.key().equals("dmar0")));
        assertTrue(env.get(0).sequence() < env.get(1).sequence());
        assertEquals(0, rows("CONSUMED"));
        assertEquals(1, rows("DELIVERED"), "cookie 3 still waits to be read");
        String metrics = given().get("/q/metrics").asString();
        assertTrue(metrics.contains("iommufd_fault_response_latency_seconds_bucket"), "latency histogram");
        assertTrue(metrics.contains("iommufd_fault_response_latency_seconds_count"), "latency histogram");
    }

    @Test
    void detachAnswersOnlyThatDevicesGroupsOnceAndDropsItsPartialOnes() {
        int q = allocQueue();
        deliver(q, ACCEL, null, 1);
        assertEquals(List.of(1), cookies(faults(q, "")));              // consumed, awaiting
        deliver(q, ACCEL, 3, 2);                                      // another PASID of the device
        deliver(q, NIC, null, 3);                                     // another device
        sim.request(ctx, req(q, ACCEL, null, 4, 0x9000, false, false)); // partial
        awaitRows("PARTIAL", 1);

        EventEnvelope detach = fromIoas(new FaultDetach(ctx, q, ACCEL, null), HwSimStandIn.nextSequence());
        sim.send(Topics.CONTEXTS, detach);
        assertEquals(List.of(new PageResponse("dmar0", ACCEL, null, 1, "INVALID")), sim.responses(ctx, 1, WAIT));
        awaitRows("PARTIAL", 0);
        assertEquals(2, rows("DELIVERED"));
        as().body("{\"responses\":[{\"cookie\":1,\"code\":\"SUCCESS\"}]}").post(url(q, "/responses"))
                .then().statusCode(400).body("errno", equalTo("EINVAL")).body("accepted", equalTo(0));

        // the partial group was dropped: its last request starts a group of one
        sim.request(ctx, req(q, ACCEL, null, 4, 0xa000, false, true));
        awaitRows("DELIVERED", 3);
        sim.send(Topics.CONTEXTS, detach); // redelivered: must not answer the group that came after it
        EventEnvelope marker = fromIoas(new FaultDetach(ctx, q, "0000:00:02.0", null), HwSimStandIn.nextSequence());
        sim.send(Topics.CONTEXTS, marker);
        JsonPath g = faults(q, "");
        // wait for the marker to be consumed: the metric of detach answers is not a signal, the DB row of the sequence is
        await("marker consumed", () -> pool.preparedQuery("SELECT last_sequence FROM fault.consumed_sequences WHERE source = 'ioas-service' AND kafka_key = $1")
                .execute(Tuple.of(ctx)).await().atMost(Duration.ofSeconds(5)).iterator().next().getLong(0) == marker.sequence());
        assertEquals(List.of(2, 3, 4), cookies(g));
        assertEquals(1, g.getList("groups[2].faults").size());
        assertEquals(1, sim.responses(ctx, 2, Duration.ofSeconds(1)).size(), "no second answer");
        assertEquals(3, rows("CONSUMED"));
        assertTrue(given().get("/q/metrics").asString().contains("iommufd_fault_auto_invalid_total{reason=\"detach\""));
    }

    @Test
    void destroyAnswersEverythingPendingUnlessRefused() {
        String held = "held-" + UUID.randomUUID();
        String mine = ctx;
        ctx = held; // the fake ioas-service refuses to release ids of held-… contexts (a HWPT uses the queue)
        int hq = allocQueue();
        deliver(hq, ACCEL, null, 1);
        as().delete(url(hq, "")).then().statusCode(409).body("errno", equalTo("EBUSY"));
        assertEquals(1, rows("DELIVERED"), "a refused destroy changes nothing");
        assertEquals(List.of(), sim.responses(held, 0, Duration.ofMillis(300)));

        ctx = mine;
        int q = allocQueue();
        deliver(q, ACCEL, null, 1);
        deliver(q, ACCEL, 5, 2);
        faults(q, "?maxGroups=1");
        sim.request(ctx, req(q, ACCEL, null, 3, 0x1000, false, false));
        awaitRows("PARTIAL", 1);
        as().delete(url(q, "")).then().statusCode(204);
        assertEquals(List.of(new PageResponse("dmar0", ACCEL, null, 1, "INVALID"), new PageResponse("dmar0", ACCEL, 5, 2, "INVALID")),
                sim.responses(ctx, 2, WAIT));
        assertEquals(0, rows("PARTIAL") + rows("DELIVERED") + rows("CONSUMED"));
        as().get(url(q, "/faults")).then().statusCode(404).body("errno", equalTo("ENOENT"));
        as().delete(url(q, "")).then().statusCode(404).body("errno", equalTo("ENOENT"));
        // a request still in flight for the destroyed queue is answered INVALID at once (at its last page)
        sim.request(ctx, req(q, ACCEL, null, 3, 0x2000, false, false));
        sim.request(ctx, req(q, ACCEL, 2, 7, 0x2000, false, true));
        assertEquals(new PageResponse("dmar0", ACCEL, 2, 7, "INVALID"), sim.responses(ctx, 3, WAIT).get(2));
        assertEquals(3, sim.responses(ctx, 3, Duration.ZERO).size());
        assertTrue(given().get("/q/metrics").asString().contains("iommufd_fault_auto_invalid_total{reason=\"no-queue\""));
    }

    @Test
    void contextCloseAnswersEveryQueueOfTheContext() {
        int q1 = allocQueue();
        int q2 = allocQueue();
        deliver(q1, ACCEL, null, 1);
        deliver(q2, NIC, 4, 2);
        faults(q2, "");
        sim.send(Topics.CONTEXTS, fromIoas(new ContextClosed(ctx), HwSimStandIn.nextSequence()));
        List<PageResponse> got = new ArrayList<>(sim.responses(ctx, 2, WAIT));
        got.sort(java.util.Comparator.comparing(PageResponse::grpid));
        assertEquals(List.of(new PageResponse("dmar0", ACCEL, null, 1, "INVALID"), new PageResponse("dmar0", NIC, 4, 2, "INVALID")), got);
        as().get(url(q1, "/faults")).then().statusCode(404).body("errno", equalTo("ENOENT"));
        as().get(url(q2, "/faults")).then().statusCode(404).body("errno", equalTo("ENOENT"));
        assertTrue(given().get("/q/metrics").asString().contains("iommufd_fault_auto_invalid_total{reason=\"context-closed\""));
    }

    @Test
    void responseTimeoutAnswersOldGroupsOnly() {
        int q = allocQueue();
        deliver(q, ACCEL, null, 1);
        deliver(q, ACCEL, null, 2);
        faults(q, "?maxGroups=1");
        assertEquals(0, housekeeping.expire(Duration.ofHours(1)), "nothing is an hour old");
        assertEquals(2, rows("DELIVERED") + rows("CONSUMED"));
        assertTrue(housekeeping.expire(Duration.ZERO) >= 2);
        List<PageResponse> got = sim.responses(ctx, 2, WAIT);
        assertEquals(List.of(new PageResponse("dmar0", ACCEL, null, 1, "INVALID"), new PageResponse("dmar0", ACCEL, null, 2, "INVALID")), got);
        as().body("{\"responses\":[{\"cookie\":1,\"code\":\"SUCCESS\"}]}").post(url(q, "/responses"))
                .then().statusCode(400).body("errno", equalTo("EINVAL")).body("accepted", equalTo(0));
        assertTrue(given().get("/q/metrics").asString().contains("iommufd_fault_auto_invalid_total{reason=\"timeout\""));
    }

    @Test
    void duplicatesAreNeverDeliveredTwiceAndStateIsInTheDatabase() {
        int q = allocQueue();
        EventEnvelope first = sim.request(ctx, req(q, ACCEL, null, 8, 0x3000, false, false));
        sim.send(Topics.HW_PAGE_REQUESTS, first);
        EventEnvelope last = sim.request(ctx, req(q, ACCEL, null, 8, 0x4000, true, true));
        sim.send(Topics.HW_PAGE_REQUESTS, last);
        sim.send(Topics.HW_PAGE_REQUESTS, first);
        awaitRows("DELIVERED", 1);
        // a marker behind the duplicates: once it is delivered, they were all seen
        deliver(q, ACCEL, null, 9);
        Row row = pool.preparedQuery("SELECT state, cookie, dev_id, pasid, faults FROM fault.fault_groups WHERE context_id = $1 AND grpid = 8")
                .execute(Tuple.of(ctx)).await().atMost(Duration.ofSeconds(5)).iterator().next();
        assertEquals("DELIVERED", row.getString("state"));
        assertEquals(1, row.getInteger("cookie"));
        assertEquals(104, row.getInteger("dev_id"));
        assertEquals(null, row.getInteger("pasid"));
        assertTrue(row.getString("faults").contains("\"addr\":\"0x3000\""));
        assertEquals(1, row.getString("faults").split("\"0x3000\"").length - 1, "the redelivered request is not in the group twice");
        assertEquals(List.of(1, 2), cookies(faults(q, "")));
        assertEquals(2, rows("CONSUMED"));
        assertEquals(3, pool.preparedQuery("SELECT next_cookie FROM fault.fault_queues WHERE context_id = $1 AND id = $2")
                .execute(Tuple.of(ctx, q)).await().atMost(Duration.ofSeconds(5)).iterator().next().getInteger(0), "two cookies handed out");
    }

    @Test
    void unboundRequestersAreAnsweredInvalidUnknownQueuesStopMarkersAndGarbageAreNot() {
        int q = allocQueue();
        // a queue never known here: another deployment's context on the shared broker, or an old
        // run's record read by a new consumer group: not ours to answer
        sim.request(ctx, req(q + 50, ACCEL, null, 1, 0x1000, false, false));
        sim.request(ctx, req(q + 50, ACCEL, null, 1, 0x1000, false, true));
        sim.request(ctx, req(q, "ffff:00:00.0", 2, 2, 0x1000, false, true));   // no such device in the context
        sim.request(ctx, new PageRequest("dmar0", ACCEL, 2, 3, false, false, false, false, 0, true, ctx + "/9", q)); // stop marker
        sim.sendRaw(Topics.HW_PAGE_REQUESTS, "dmar0", "{not json");
        sim.send(Topics.HW_PAGE_REQUESTS, HwSimStandIn.envelope(HwSimStandIn.SOURCE, ctx, "dmar0", HwSimStandIn.nextSequence(), new ContextClosed(ctx)));
        deliver(q, ACCEL, null, 4); // the stream kept flowing
        List<PageResponse> got = sim.responses(ctx, 1, WAIT);
        assertEquals(List.of(new PageResponse("dmar0", "ffff:00:00.0", 2, 2, "INVALID")), got);
        assertEquals(List.of(1), cookies(faults(q, "")), "only the real group got a cookie");
        assertEquals(0, rows("PARTIAL"));
        assertTrue(given().get("/q/metrics").asString().contains("iommufd_fault_auto_invalid_total{reason=\"no-device\""));
    }

    @Test
    void streamPushesOneGroupPerMessageAndHoldsTheQueue() throws Exception {
        int q = allocQueue();
        as().get(url(q + 50, "/stream")).then().statusCode(404).body("errno", equalTo("ENOENT"));
        deliver(q, ACCEL, null, 1); // delivered before the stream opens: the stream sends it first
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest open = HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "") + url(q, "/stream")))
                .header("Authorization", "Bearer " + FaultApiTest.token(ctx)).header("Accept", "text/event-stream").build();
        BlockingQueue<String> data = new LinkedBlockingQueue<>();
        CompletableFuture<HttpResponse<Stream<String>>> resp = http.sendAsync(open, HttpResponse.BodyHandlers.ofLines());
        HttpResponse<Stream<String>> stream = resp.get(10, TimeUnit.SECONDS);
        assertEquals(200, stream.statusCode());
        Thread reader = new Thread(() -> stream.body().filter(l -> l.startsWith("data:")).forEach(l -> data.add(l.substring(5).trim())));
        reader.setDaemon(true);
        reader.start();
        JsonPath g1 = JsonPath.from(data.poll(10, TimeUnit.SECONDS));
        assertEquals(1, g1.getInt("cookie"));
        assertEquals(List.of("LAST_PAGE"), g1.getList("faults[0].flags"));
        sim.request(ctx, req(q, ACCEL, 6, 2, 0x5000, true, false));
        sim.request(ctx, req(q, ACCEL, 6, 2, 0x6000, true, true));
        JsonPath g2 = JsonPath.from(data.poll(10, TimeUnit.SECONDS));
        assertEquals(2, g2.getInt("cookie"));
        assertEquals(List.of("0x5000", "0x6000"), g2.getList("faults.addr"));
        assertEquals(List.of(), cookies(faults(q, "")), "the stream consumed them");
        // a group another replica delivered (no signal here): the stream's poll finds it
        pool.preparedQuery("INSERT INTO fault.fault_groups (context_id, fault_id, iommu, rid, pasid, grpid, dev_id, faults, state, cookie,"
                        + " delivered_at) VALUES ($1, $2, 'dmar0', $3, NULL, 9, 104, '[]', 'DELIVERED', 3, now())")
                .execute(Tuple.of(ctx, q, ACCEL)).await().atMost(Duration.ofSeconds(5));
        assertEquals(3, JsonPath.from(data.poll(10, TimeUnit.SECONDS)).getInt("cookie"));
        as().delete(url(q, "")).then().statusCode(409).body("errno", equalTo("EBUSY"));
        as().body("{\"responses\":[{\"cookie\":2,\"code\":\"SUCCESS\"}]}").post(url(q, "/responses")).then().statusCode(200)
                .body("accepted", equalTo(1));
        stream.body().close();
        reader.interrupt();
        await("stream closed", () -> as().delete(url(q, "")).statusCode() == 204);
        assertEquals(List.of(new PageResponse("dmar0", ACCEL, 6, 2, "SUCCESS"), new PageResponse("dmar0", ACCEL, null, 1, "INVALID"),
                new PageResponse("dmar0", ACCEL, null, 9, "INVALID")), sim.responses(ctx, 3, WAIT));
    }

    @Test
    void metricsAreExposed() {
        String m = given().get("/q/metrics").then().statusCode(200).body(containsString("iommufd_fault_groups_pending")).extract().asString();
        assertTrue(m.contains("iommufd_fault_auto_invalid_total{reason=\"destroy\""));
        assertTrue(m.contains("iommufd_fault_response_latency_seconds"));
    }
}
