package dev.iommufd.e2e;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.tools.launch.Service;
import dev.iommufd.tools.launch.ServiceLauncher;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * I/O page faults across the real processes: a DMA of the PRI device 0000:04:00.0 to an unmapped
 * IOVA through a FAULT_ID_VALID HWPT becomes a page request (hw-sim → Kafka → fault-service), the
 * group is read by the VMM (SSE stream), the VMM maps the page and answers SUCCESS (fault-service →
 * Kafka → hw-sim) and the DMA completes; INVALID and a detach make it fail. Measures the fault
 * round trip (DMA start → group delivered → map + response → DMA done).
 */
class FaultIT {
    static final String ACCEL = "0000:04:00.0";
    static final int ROUNDS = 50;
    static final int WARMUP = 30;
    static ServiceLauncher stack;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    String ctx;
    String token;
    int mem;
    int dev;
    int ioas;
    int queue;
    int hwpt;

    @BeforeAll
    static void up() {
        stack = E2eStack.start();
    }

    @AfterAll
    static void down() {
        E2eStack.stop(stack);
    }

    RequestSpecification as() {
        return E2eStack.as(token);
    }

    String ioasUrl(String tail) {
        return stack.url(Service.IOAS) + "/v1/contexts/" + ctx + tail;
    }

    String faultUrl(String tail) {
        return stack.url(Service.FAULT) + "/v1/contexts/" + ctx + "/fault-queues" + tail;
    }

    int create(String url, String body) {
        return as().body(body).post(url).then().statusCode(201).extract().jsonPath().getInt("id");
    }

    /** Context, memory, the accelerator attached to a HWPT with a fault queue. */
    void setUpContext() {
        JsonPath c = given().contentType(ContentType.JSON).post(stack.url(Service.IOAS) + "/v1/contexts").then().statusCode(201)
                .extract().jsonPath();
        ctx = c.getString("id");
        token = c.getString("token");
        mem = create(ioasUrl("/memory"), "{\"length\":\"0x200000\"}");
        dev = create(ioasUrl("/devices"), "{\"rid\":\"" + ACCEL + "\"}");
        ioas = create(ioasUrl("/ioas"), "{}");
        queue = create(faultUrl(""), "{}");
        hwpt = create(ioasUrl("/hwpts"), "{\"deviceId\":" + dev + ",\"ptId\":" + ioas + ",\"flags\":[\"FAULT_ID_VALID\"],\"faultId\":" + queue + "}");
        as().body("{\"ptId\":" + hwpt + "}").put(ioasUrl("/devices/" + dev + "/attachment")).then().statusCode(200)
                .body("hwptId", equalTo(hwpt));
        // the queue is held by the HWPT
        as().delete(faultUrl("/" + queue)).then().statusCode(409).body("errno", equalTo("EBUSY"));
    }

    void closeContext() {
        as().delete(stack.url(Service.IOAS) + "/v1/contexts/" + ctx).then().statusCode(204);
    }

    /** A 4-byte DMA read of the accelerator, answered when hw-sim finished it (page requests included). */
    static CompletableFuture<JsonPath> dmaAsync(long iova) {
        return dmaAsync(iova, 15000);
    }

    static CompletableFuture<JsonPath> dmaAsync(long iova, long priTimeoutMs) {
        HttpRequest r = HttpRequest.newBuilder(URI.create(stack.url(Service.HW_SIM) + "/v1/hw/devices/" + ACCEL + "/dma"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"iova\":\"0x" + Long.toHexString(iova) + "\",\"length\":4,\"write\":false,"
                        + "\"priTimeoutMs\":" + priTimeoutMs + "}"))
                .build();
        return HTTP.sendAsync(r, HttpResponse.BodyHandlers.ofString()).thenApply(resp -> {
            assertEquals(200, resp.statusCode(), resp.body());
            return JsonPath.from(resp.body());
        });
    }

    /** The queue's SSE stream: one group (JSON) per message. */
    final class GroupStream implements AutoCloseable {
        final BlockingQueue<JsonPath> groups = new LinkedBlockingQueue<>();
        final HttpResponse<Stream<String>> resp;
        final Thread reader;

        GroupStream() throws Exception {
            HttpRequest r = HttpRequest.newBuilder(URI.create(faultUrl("/" + queue + "/stream")))
                    .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream").build();
            resp = HTTP.send(r, HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, resp.statusCode());
            reader = new Thread(() -> {
                try {
                    resp.body().filter(l -> l.startsWith("data:")).forEach(l -> groups.add(JsonPath.from(l.substring(5).trim())));
                } catch (RuntimeException closed) {
                    // stream closed by the test
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        JsonPath next() throws InterruptedException {
            JsonPath g = groups.poll(15, TimeUnit.SECONDS);
            assertNotNull(g, "no page-request group within 15 s");
            return g;
        }

        @Override
        public void close() {
            resp.body().close();
            reader.interrupt();
        }
    }

    /**
     * A POST with the JDK client: the latency loop measures the stack, not the test's HTTP client
     * (RestAssured costs ~100 ms per call on this loaded 2-core machine).
     */
    int post(String url, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return HTTP.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    void respond(int cookie, String code) {
        as().body("{\"responses\":[{\"cookie\":" + cookie + ",\"code\":\"" + code + "\"}]}").post(faultUrl("/" + queue + "/responses"))
                .then().statusCode(200).body("accepted", equalTo(1));
    }

    void map(long iova, long offset) {
        as().body("{\"flags\":[\"FIXED_IOVA\",\"READABLE\",\"WRITEABLE\"],\"memoryId\":" + mem + ",\"start\":" + offset
                + ",\"length\":\"0x1000\",\"iova\":\"0x" + Long.toHexString(iova) + "\"}").post(ioasUrl("/ioas/" + ioas + "/map"))
                .then().statusCode(201);
    }

    @Test
    void pageFaultsResolveWithSuccessFailWithInvalidAndOnDetach() throws Exception {
        setUpContext();
        try (GroupStream stream = new GroupStream()) {
            // INVALID: the DMA fails
            CompletableFuture<JsonPath> dma = dmaAsync(0x100000);
            JsonPath g = stream.next();
            assertEquals(1, g.getInt("cookie"));
            assertEquals(List.of("LAST_PAGE"), g.getList("faults[0].flags"));
            assertEquals(dev, g.getInt("faults[0].devId"));
            assertEquals(0, g.getInt("faults[0].pasid"));
            assertEquals(List.of("READ"), g.getList("faults[0].perm"));
            assertEquals("0x100000", g.getString("faults[0].addr"));
            assertEquals("0x1000", g.getString("faults[0].length"));
            respond(1, "INVALID");
            JsonPath r = dma.get(20, TimeUnit.SECONDS);
            assertEquals("FAULT", r.getString("status"), r.prettify());

            // SUCCESS after the VMM mapped the page: the DMA completes
            dma = dmaAsync(0x101000);
            g = stream.next();
            assertEquals(2, g.getInt("cookie"));
            assertEquals("0x101000", g.getString("faults[0].addr"));
            map(0x101000, 0);
            respond(2, "SUCCESS");
            r = dma.get(20, TimeUnit.SECONDS);
            assertEquals("OK", r.getString("status"), r.prettify());
            assertEquals(1, r.getInt("pageRequests"));

            // detach while a group waits: the DMA fails and fault-service answers the group itself
            dma = dmaAsync(0x102000);
            g = stream.next();
            int cookie = g.getInt("cookie");
            as().delete(ioasUrl("/devices/" + dev + "/attachment")).then().statusCode(204);
            r = dma.get(20, TimeUnit.SECONDS);
            assertEquals("FAULT", r.getString("status"), r.prettify());
            long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            int status;
            do {
                // answered INVALID by FAULT_DETACH: the cookie is no longer awaiting a response
                status = as().body("{\"responses\":[{\"cookie\":" + cookie + ",\"code\":\"SUCCESS\"}]}")
                        .post(faultUrl("/" + queue + "/responses")).statusCode();
                if (status == 200) {
                    throw new AssertionError("the detached device's group was still awaiting a response");
                }
                Thread.sleep(100);
            } while (status != 400 && System.nanoTime() < end);
            assertEquals(400, status);
            assertTrue(given().get(stack.url(Service.FAULT) + "/q/metrics").asString().contains("reason=\"detach\""));
        }
        closeContext();
        // fault-service drops the queue when CONTEXT_CLOSED (ioas-service's outbox) reaches it: soon, not at once
        int gone = 200;
        for (long until = System.nanoTime() + 10_000_000_000L; gone != 404 && System.nanoTime() < until; Thread.sleep(100)) {
            gone = as().get(faultUrl("/" + queue + "/faults")).then().extract().statusCode();
        }
        assertEquals(404, gone, "CONTEXT_CLOSED reached fault-service");
    }

    /** Delivered and consumed groups, and their cookies, survive a restart of fault-service; the waiting DMAs complete. */
    @Test
    void groupsAndCookiesSurviveARestartOfFaultService() throws Exception {
        setUpContext();
        CompletableFuture<JsonPath> first = dmaAsync(0x200000, 180_000);
        List<Integer> cookies = List.of();
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (cookies.isEmpty() && System.nanoTime() < end) {
            cookies = as().get(faultUrl("/" + queue + "/faults?maxGroups=1")).then().statusCode(200).extract().jsonPath()
                    .getList("groups.cookie", Integer.class);
        }
        assertEquals(List.of(1), cookies); // consumed: awaits its response
        CompletableFuture<JsonPath> second = dmaAsync(0x201000, 180_000);
        end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (pending() < 2 && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        assertEquals(2, pending(), "the second group is delivered, not read");

        stack.stop(Service.FAULT);
        stack.up();
        JsonPath g = as().get(faultUrl("/" + queue + "/faults")).then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(2), g.getList("groups.cookie", Integer.class));
        assertEquals("0x201000", g.getString("groups[0].faults[0].addr"));
        map(0x200000, 0);
        map(0x201000, 0x1000);
        as().body("{\"responses\":[{\"cookie\":1,\"code\":\"SUCCESS\"},{\"cookie\":2,\"code\":\"SUCCESS\"}]}")
                .post(faultUrl("/" + queue + "/responses")).then().statusCode(200).body("accepted", equalTo(2));
        assertEquals("OK", first.get(30, TimeUnit.SECONDS).getString("status"));
        assertEquals("OK", second.get(30, TimeUnit.SECONDS).getString("status"));
        closeContext();
    }

    static double pending() {
        return given().get(stack.url(Service.FAULT) + "/q/metrics").asString().lines()
                .filter(l -> l.startsWith("iommufd_fault_groups_pending")).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElse(-1);
    }

    @Test
    void faultRoundTripLatency() throws Exception {
        setUpContext();
        List<Long> full = new ArrayList<>();
        List<Long> toGroup = new ArrayList<>();
        List<Long> responseToDone = new ArrayList<>();
        List<Long> responseCall = new ArrayList<>();
        try (GroupStream stream = new GroupStream()) {
            for (int i = 0; i < ROUNDS + WARMUP; i++) {
                long iova = 0x400000L + i * 0x1000L;
                long t0 = System.nanoTime();
                CompletableFuture<JsonPath> dma = dmaAsync(iova);
                JsonPath g = stream.next();
                long t1 = System.nanoTime();
                assertEquals("0x" + Long.toHexString(iova), g.getString("faults[0].addr"));
                assertEquals(201, post(ioasUrl("/ioas/" + ioas + "/map"), "{\"flags\":[\"FIXED_IOVA\",\"READABLE\",\"WRITEABLE\"],"
                        + "\"memoryId\":" + mem + ",\"start\":" + (long) i * 0x1000L + ",\"length\":\"0x1000\",\"iova\":\"0x" + Long.toHexString(iova) + "\"}"));
                long t2 = System.nanoTime();
                assertEquals(200, post(faultUrl("/" + queue + "/responses"), "{\"responses\":[{\"cookie\":" + g.getInt("cookie")
                        + ",\"code\":\"SUCCESS\"}]}"));
                long t2b = System.nanoTime();
                JsonPath r = dma.get(20, TimeUnit.SECONDS);
                long t3 = System.nanoTime();
                assertEquals("OK", r.getString("status"), r.prettify());
                if (i >= WARMUP) { // the first rounds warm the JIT
                    full.add(t3 - t0);
                    toGroup.add(t1 - t0);
                    responseToDone.add(t3 - t2);
                    responseCall.add(t2b - t2);
                }
            }
        }
        String report = String.format("fault round trip over %d rounds (DMA start → group on the SSE stream → map → SUCCESS → DMA done):"
                        + " p50 %.1f ms, p99 %.1f ms; DMA start → group delivered p50 %.1f ms, p99 %.1f ms;"
                        + " response → DMA done p50 %.1f ms, p99 %.1f ms (of which the POST …/responses call p50 %.1f ms, p99 %.1f ms)%n",
                ROUNDS, ms(full, 50), ms(full, 99), ms(toGroup, 50), ms(toGroup, 99), ms(responseToDone, 50), ms(responseToDone, 99),
                ms(responseCall, 50), ms(responseCall, 99));
        System.out.print(report);
        Files.writeString(Path.of("target/fault-round-trip.txt"), report);
        closeContext();
    }

    static double ms(List<Long> nanos, int percentile) {
        List<Long> s = new ArrayList<>(nanos);
        Collections.sort(s);
        int idx = Math.min(s.size() - 1, (int) Math.ceil(percentile / 100.0 * s.size()) - 1);
        return s.get(Math.max(0, idx)) / 1e6;
    }
}
