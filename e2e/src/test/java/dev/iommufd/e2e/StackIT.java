package dev.iommufd.e2e;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;

import dev.iommufd.tools.launch.Service;
import dev.iommufd.tools.launch.ServiceLauncher;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The four packaged services as real processes (the launcher of {@code iommuctl up}, on ports
 * +10000), real Kafka and PostgreSQL; driven only through HTTP.
 */
class StackIT {
    static ServiceLauncher stack;

    @BeforeAll
    static void up() {
        // a lazy window long enough to be seen from here (default 10 ms)
        stack = E2eStack.start("iommufd.ioas.lazy-flush.max-delay", "PT2S");
    }

    @AfterAll
    static void down() {
        E2eStack.stop(stack);
    }

    static JsonPath open() {
        return given().contentType(ContentType.JSON).post(stack.url(Service.IOAS) + "/v1/contexts")
                .then().statusCode(201).extract().jsonPath();
    }

    @Test
    void everyServiceIsReadyWithRealKafkaAndDatabase() {
        for (Service s : Service.values()) {
            given().get(stack.url(s) + "/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                    .body("checks.name", hasItem(containsString("Kafka")));
            given().get(stack.url(s) + "/q/health/live").then().statusCode(200);
            given().get(stack.url(s) + "/q/metrics").then().statusCode(200);
            given().get(stack.url(s) + "/q/openapi").then().statusCode(200);
        }
        for (Service s : new Service[] {Service.IOAS, Service.VIOMMU, Service.FAULT}) {
            given().get(stack.url(s) + "/q/health/ready").then().body("checks.name", hasItem(containsString("PostgreSQL")));
        }
    }

    /** ioas-service → Kafka → hw-sim → Kafka → ioas-service, between real processes. */
    @Test
    void syncRoundTripCrossesKafkaThroughHwSim() {
        for (String iommu : new String[] {"dmar0", "dmar1", "smmu0"}) {
            given().post(stack.url(Service.IOAS) + "/v1/internal/iommus/" + iommu + "/sync").then().statusCode(200)
                    .body("iommu", equalTo(iommu)).body("sequence", greaterThan(0L));
        }
        // hw-sim has no such IOMMU: it dead-letters the command, the caller gets EIO, nothing hangs
        given().post(stack.url(Service.IOAS) + "/v1/internal/iommus/dmar9/sync").then().statusCode(422)
                .body("errno", equalTo("EIO"));
        given().post(stack.url(Service.IOAS) + "/v1/internal/iommus/dmar0/sync").then().statusCode(200);
    }

    /** A token issued by ioas-service is verified locally by the other services. */
    @Test
    void tokensAreVerifiedByEveryService() {
        JsonPath a = open();
        JsonPath b = open();
        String ctx = a.getString("id");
        String[] urls = {
                stack.url(Service.IOAS) + "/v1/contexts/" + ctx + "/objects",
                stack.url(Service.VIOMMU) + "/v1/contexts/" + ctx + "/viommus/1",
                stack.url(Service.FAULT) + "/v1/contexts/" + ctx + "/fault-queues/1/faults",
        };
        for (String url : urls) {
            given().get(url).then().statusCode(401).body("errno", equalTo("EACCES"));
            given().header("Authorization", "Bearer " + b.getString("token")).get(url).then().statusCode(404)
                    .body("errno", equalTo("ENOENT"));
        }
        given().header("Authorization", "Bearer " + a.getString("token")).get(urls[0]).then().statusCode(200)
                .body("objects.size()", equalTo(0));
        given().header("Authorization", "Bearer " + a.getString("token")).get(urls[1]).then().statusCode(404)
                .body("errno", equalTo("ENOENT")).body("message", containsString("vIOMMU"));
        given().header("Authorization", "Bearer " + a.getString("token")).delete(stack.url(Service.IOAS) + "/v1/contexts/" + ctx)
                .then().statusCode(204);
        given().header("Authorization", "Bearer " + a.getString("token")).get(urls[0]).then().statusCode(404);
    }

    @Test
    void hwSimMemoryAndTopologyOverHttp() {
        String hw = stack.url(Service.HW_SIM);
        given().get(hw + "/v1/hw/devices").then().statusCode(200).body("devices.rid", hasItem("0000:04:00.0"));
        given().contentType(ContentType.JSON).body("{\"data\":\"3q2+7w==\"}").put(hw + "/v1/hw/memory/0x2000").then().statusCode(204);
        given().get(hw + "/v1/hw/memory/0x2000?length=4").then().statusCode(200).body("data", equalTo("3q2+7w=="));
    }

    static io.restassured.specification.RequestSpecification as(String token) {
        return E2eStack.as(token);
    }

    static JsonPath dma(String rid, String iova, int length) {
        return given().contentType(ContentType.JSON).body("{\"iova\":\"" + iova + "\",\"length\":" + length + ",\"write\":false}")
                .post(stack.url(Service.HW_SIM) + "/v1/hw/devices/" + rid + "/dma").then().statusCode(200).extract().jsonPath();
    }

    /** Polls a 4-byte DMA read until its status is {@code wanted} (or 10 s pass); returns the last status. */
    static String statusWithin10s(String rid, String iova, String wanted) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        String status = dma(rid, iova, 4).getString("status");
        while (!status.equals(wanted) && System.nanoTime() < deadline) {
            status = dma(rid, iova, 4).getString("status");
        }
        return status;
    }

    static void sleepMs(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static long stale() {
        return given().get(stack.url(Service.HW_SIM) + "/v1/hw/stats").then().statusCode(200).extract().jsonPath().getLong("staleTranslations");
    }

    /**
     * The acceptance flow of issue 3: map, attach, DMA through hw-sim, restart of ioas-service,
     * strict unmap, DMA faults, no stale translation; then LAZY, then close.
     */
    @Test
    void dmaThroughTheHardwareAndStrictUnmap() {
        String nic = "0000:03:00.0";
        String hw = stack.url(Service.HW_SIM);
        JsonPath c = open();
        String ctx = stack.url(Service.IOAS) + "/v1/contexts/" + c.getString("id");
        String token = c.getString("token");
        JsonPath mem = as(token).body("{\"length\":\"0x200000\"}").post(ctx + "/memory").then().statusCode(201).extract().jsonPath();
        long hostPa = Long.decode(mem.getString("hostPa"));
        given().contentType(ContentType.JSON).body("{\"data\":\"aGVsbG8=\"}")
                .put(hw + "/v1/hw/memory/0x" + Long.toHexString(hostPa + 0x1000)).then().statusCode(204);
        int dev = as(token).body("{\"rid\":\"" + nic + "\"}").post(ctx + "/devices").then().statusCode(201).extract().jsonPath().getInt("id");
        int ioas = as(token).body("{}").post(ctx + "/ioas").then().statusCode(201).extract().jsonPath().getInt("id");
        as(token).body("{\"flags\":[\"FIXED_IOVA\",\"READABLE\",\"WRITEABLE\"],\"memoryId\":" + mem.getInt("id")
                + ",\"start\":0,\"length\":\"0x200000\",\"iova\":\"0x40000000\"}").post(ctx + "/ioas/" + ioas + "/map")
                .then().statusCode(201).body("iova", equalTo("0x40000000"));
        // DMA blocked before attach
        org.junit.jupiter.api.Assertions.assertEquals("FAULT", dma(nic, "0x40001000", 5).getString("status"));
        int hwpt = as(token).body("{\"ptId\":" + ioas + "}").put(ctx + "/devices/" + dev + "/attachment")
                .then().statusCode(200).extract().jsonPath().getInt("hwptId");

        JsonPath read = dma(nic, "0x40001000", 5);
        org.junit.jupiter.api.Assertions.assertEquals("OK", read.getString("status"), read.prettify());
        org.junit.jupiter.api.Assertions.assertEquals("aGVsbG8=", read.getString("data"));
        given().contentType(ContentType.JSON).body("{\"iova\":\"0x40002000\",\"write\":true,\"data\":\"d29ybGQ=\"}")
                .post(hw + "/v1/hw/devices/" + nic + "/dma").then().statusCode(200).body("status", equalTo("OK"));
        given().get(hw + "/v1/hw/memory/0x" + Long.toHexString(hostPa + 0x2000) + "?length=5").then().body("data", equalTo("d29ybGQ="));

        // ioas-service restarts: every object, reference and mapping is still there
        stack.stop(Service.IOAS);
        stack.up();
        as(token).get(ctx + "/objects").then().statusCode(200).body("objects.type",
                org.hamcrest.Matchers.containsInAnyOrder("MEMORY", "DEVICE", "IOAS", "HWPT_PAGING"));
        as(token).get(ctx + "/devices/" + dev).then().body("attached.hwptId", equalTo(hwpt));
        as(token).get(ctx + "/ioas/" + ioas + "/mappings").then().body("mappings[0].iova", equalTo("0x40000000"));
        as(token).delete(ctx + "/memory/" + mem.getInt("id")).then().statusCode(409).body("errno", equalTo("EBUSY"));

        // hw-sim restarts: it stores nothing and rebuilds its tables from its input topic
        String digest = given().get(hw + "/v1/hw/state/digest").then().statusCode(200).extract().jsonPath().getString("digest");
        stack.stop(Service.HW_SIM);
        stack.up();
        long until = System.nanoTime() + 60_000_000_000L;
        String rebuilt = "";
        while (!rebuilt.equals(digest) && System.nanoTime() < until) {
            rebuilt = given().get(hw + "/v1/hw/state/digest").then().statusCode(200).extract().jsonPath().getString("digest");
        }
        org.junit.jupiter.api.Assertions.assertEquals(digest, rebuilt, "hw-sim did not rebuild the same state");
        // translations are back; host memory contents are not part of the topic (they start empty)
        org.junit.jupiter.api.Assertions.assertEquals("OK", dma(nic, "0x40001000", 5).getString("status"));

        long staleBefore = stale();
        dma(nic, "0x40001000", 5); // the IOTLB and the ATC hold the translation now
        as(token).body("{\"iova\":\"0x40000000\",\"length\":\"0x200000\"}").post(ctx + "/ioas/" + ioas + "/unmap")
                .then().statusCode(200).body("length", equalTo("0x200000"));
        JsonPath after = dma(nic, "0x40001000", 5);
        org.junit.jupiter.api.Assertions.assertEquals("FAULT", after.getString("status"), after.prettify());
        org.junit.jupiter.api.Assertions.assertEquals(staleBefore, stale(), "strict unmap left a stale translation");
        given().get(hw + "/v1/hw/devices/" + nic + "/atc").then().statusCode(200).body("entries", org.hamcrest.Matchers.hasSize(0));

        // LAZY: unmap answers before the flush; the range faults once the flush is through
        as(token).body("{\"mode\":\"LAZY\"}").put(ctx + "/ioas/" + ioas + "/options/invalidation").then().statusCode(200);
        as(token).body("{\"flags\":[\"FIXED_IOVA\",\"READABLE\"],\"memoryId\":" + mem.getInt("id")
                + ",\"start\":0,\"length\":\"0x1000\",\"iova\":\"0x40000000\"}").post(ctx + "/ioas/" + ioas + "/map").then().statusCode(201);
        org.junit.jupiter.api.Assertions.assertEquals("OK", dma(nic, "0x40000000", 4).getString("status"));
        long staleBeforeLazy = stale();
        long unmapped = System.nanoTime();
        as(token).body("{\"iova\":\"0x40000000\",\"length\":\"0x1000\"}").post(ctx + "/ioas/" + ioas + "/unmap").then().statusCode(200);
        // the window: the page table is updated at once, the IOTLB flush waits up to 2 s; the
        // device still reads through its cached translation and hw-sim counts it as stale
        sleepMs(500);
        JsonPath inWindow = dma(nic, "0x40000000", 4);
        org.junit.jupiter.api.Assertions.assertTrue(System.nanoTime() - unmapped < 1_800_000_000L, "too slow to look inside the window");
        org.junit.jupiter.api.Assertions.assertEquals("OK", inWindow.getString("status"), "LAZY: served from the IOTLB before the flush");
        org.junit.jupiter.api.Assertions.assertTrue(stale() > staleBeforeLazy, "the stale translation is counted");
        org.junit.jupiter.api.Assertions.assertEquals("FAULT", statusWithin10s(nic, "0x40000000", "FAULT"), "the lazy flush never came");

        // closing the context leaves nothing of it in the hardware
        as(token).body("{\"flags\":[\"FIXED_IOVA\",\"READABLE\"],\"memoryId\":" + mem.getInt("id")
                + ",\"start\":0,\"length\":\"0x1000\",\"iova\":\"0x50000000\"}").post(ctx + "/ioas/" + ioas + "/map").then().statusCode(201);
        org.junit.jupiter.api.Assertions.assertEquals("OK", dma(nic, "0x50000000", 4).getString("status"));
        as(token).delete(ctx).then().statusCode(204);
        org.junit.jupiter.api.Assertions.assertEquals("FAULT", statusWithin10s(nic, "0x50000000", "FAULT"), "closed context still translates");
    }

    /** Dirty tracking: bits set by DMA writes in hw-sim, read and cleared through ioas-service and Kafka. */
    @Test
    void dirtyBitmapFollowsDmaWrites() {
        String rid = "0000:04:00.0";
        String hw = stack.url(Service.HW_SIM);
        JsonPath c = open();
        String ctx = stack.url(Service.IOAS) + "/v1/contexts/" + c.getString("id");
        String token = c.getString("token");
        int mem = as(token).body("{\"length\":\"0x200000\"}").post(ctx + "/memory").then().statusCode(201).extract().jsonPath().getInt("id");
        int dev = as(token).body("{\"rid\":\"" + rid + "\"}").post(ctx + "/devices").then().statusCode(201).extract().jsonPath().getInt("id");
        int ioas = as(token).body("{}").post(ctx + "/ioas").then().statusCode(201).extract().jsonPath().getInt("id");
        int hwpt = as(token).body("{\"deviceId\":" + dev + ",\"ptId\":" + ioas + ",\"flags\":[\"DIRTY_TRACKING\"]}")
                .post(ctx + "/hwpts").then().statusCode(201).extract().jsonPath().getInt("id");
        as(token).body("{\"ptId\":" + hwpt + "}").put(ctx + "/devices/" + dev + "/attachment").then().statusCode(200);
        as(token).body("{\"flags\":[\"FIXED_IOVA\",\"READABLE\",\"WRITEABLE\"],\"memoryId\":" + mem
                + ",\"length\":\"0x10000\",\"iova\":\"0x80000000\"}").post(ctx + "/ioas/" + ioas + "/map").then().statusCode(201);
        String bitmap = ctx + "/hwpts/" + hwpt + "/dirty-bitmap";
        String req = "{\"iova\":\"0x80000000\",\"length\":\"0x10000\",\"pageSize\":4096}";
        as(token).body(req).post(bitmap).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as(token).body("{\"enable\":true}").post(ctx + "/hwpts/" + hwpt + "/dirty-tracking").then().statusCode(200);
        String write = "{\"iova\":\"%s\",\"write\":true,\"data\":\"AQID\"}";
        given().contentType(ContentType.JSON).body(String.format(write, "0x80000000")).post(hw + "/v1/hw/devices/" + rid + "/dma").then().body("status", equalTo("OK"));
        given().contentType(ContentType.JSON).body(String.format(write, "0x80003ffe")).post(hw + "/v1/hw/devices/" + rid + "/dma").then().body("status", equalTo("OK"));
        // pages 0, 3 and 4: bits 0b11001 = 0x19 in the first little-endian byte
        as(token).body(req.replace("}", ",\"flags\":[\"NO_CLEAR\"]}")).post(bitmap).then().statusCode(200)
                .body("dirtyPages", equalTo(3)).body("bitmap", equalTo("GQAAAAAAAAA="));
        as(token).body(req).post(bitmap).then().statusCode(200).body("dirtyPages", equalTo(3));
        as(token).body(req).post(bitmap).then().statusCode(200).body("dirtyPages", equalTo(0)).body("bitmap", equalTo("AAAAAAAAAAA="));
        given().contentType(ContentType.JSON).body(String.format(write, "0x80000000")).post(hw + "/v1/hw/devices/" + rid + "/dma").then().body("status", equalTo("OK"));
        as(token).body(req).post(bitmap).then().statusCode(200).body("dirtyPages", equalTo(1)).body("bitmap", equalTo("AQAAAAAAAAA="));
        as(token).delete(ctx).then().statusCode(204);
    }

    /** A FAULT object made by fault-service lives in ioas-service's id space and obeys its lifetime rules. */
    @Test
    void faultQueuesShareTheContextIdSpace() {
        JsonPath c = open();
        String id = c.getString("id");
        String token = c.getString("token");
        String ioasCtx = stack.url(Service.IOAS) + "/v1/contexts/" + id;
        String faultCtx = stack.url(Service.FAULT) + "/v1/contexts/" + id;
        int ioas = as(token).body("{}").post(ioasCtx + "/ioas").then().statusCode(201).extract().jsonPath().getInt("id");
        int fault = as(token).body("{}").post(faultCtx + "/fault-queues").then().statusCode(201).extract().jsonPath().getInt("id");
        org.junit.jupiter.api.Assertions.assertEquals(ioas + 1, fault, "one id space across services");
        as(token).get(ioasCtx + "/objects").then().body("objects.type", org.hamcrest.Matchers.contains("IOAS", "FAULT"));
        as(token).get(faultCtx + "/fault-queues/" + fault + "/faults").then().statusCode(200).body("groups", org.hamcrest.Matchers.hasSize(0));
        int dev = as(token).body("{\"rid\":\"0000:05:00.0\"}").post(ioasCtx + "/devices").then().statusCode(201).extract().jsonPath().getInt("id");
        as(token).body("{\"deviceId\":" + dev + ",\"ptId\":" + ioas + ",\"flags\":[\"FAULT_ID_VALID\"],\"faultId\":" + ioas + "}")
                .post(ioasCtx + "/hwpts").then().statusCode(404).body("errno", equalTo("ENOENT"));
        int hwpt = as(token).body("{\"deviceId\":" + dev + ",\"ptId\":" + ioas + ",\"flags\":[\"FAULT_ID_VALID\"],\"faultId\":" + fault + "}")
                .post(ioasCtx + "/hwpts").then().statusCode(201).extract().jsonPath().getInt("id");
        // held by the HWPT: both the typed and the generic destroy are EBUSY, and nothing changes
        as(token).delete(faultCtx + "/fault-queues/" + fault).then().statusCode(409).body("errno", equalTo("EBUSY"));
        as(token).delete(ioasCtx + "/objects/" + fault).then().statusCode(409).body("errno", equalTo("EBUSY"));
        as(token).get(faultCtx + "/fault-queues/" + fault + "/faults").then().statusCode(200);
        as(token).delete(ioasCtx + "/objects/" + hwpt).then().statusCode(204);
        as(token).delete(ioasCtx + "/objects/" + fault).then().statusCode(204);
        as(token).get(faultCtx + "/fault-queues/" + fault + "/faults").then().statusCode(404).body("errno", equalTo("ENOENT"));
        as(token).get(ioasCtx + "/objects").then().body("objects.type", org.hamcrest.Matchers.contains("IOAS", "DEVICE"));
        int left = as(token).body("{}").post(faultCtx + "/fault-queues").then().statusCode(201).extract().jsonPath().getInt("id");
        as(token).delete(ioasCtx).then().statusCode(204);
        // closing the context reaches fault-service as CONTEXT_CLOSED through ioas-service's outbox: its queue goes too
        long end = System.nanoTime() + 10_000_000_000L;
        while (as(token).get(faultCtx + "/fault-queues/" + left + "/faults").statusCode() != 404 && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        as(token).get(faultCtx + "/fault-queues/" + left + "/faults").then().statusCode(404).body("errno", equalTo("ENOENT"));
        // the context is gone: fault-service cannot get an id for it
        as(token).body("{}").post(faultCtx + "/fault-queues").then().statusCode(404).body("errno", equalTo("ENOENT"));
    }
}
