package dev.iommufd.e2e;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.tools.launch.Service;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Nesting across the real processes: a nested VT-d domain translates through a guest first-stage
 * table written into hw-sim's memory (every table pointer through the NEST_PARENT parent); removing
 * the guest PTE and invalidating makes the next DMA fault. SMMUv3: a vIOMMU with a vdevice, an
 * injected F_TRANSLATION event reaches its vEVENTQ with the vSID. Then user invalidation figures
 * (entries/s, p99) for arrays of 1, 16 and 256 entries, VT-d and SMMUv3.
 */
class NestedIT extends ContextIT {
    static final String NIC = "0000:03:00.0";       // dmar0, ATS
    static final String SMMU_DEV = "0001:00:01.0";  // smmu0, SID 8
    static final long G = 0x200000;                 // GPA (IOVA of the parent) where the guest memory is mapped
    static final long P = 1, RW = 2, US = 4;
    long hostPa;

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** Context, 2 MiB of guest memory mapped at GPA G in an IOAS, a NEST_PARENT HWPT made for {@code rid}. */
    int[] guest(String rid) {
        openContext();
        JsonPath mem = as().body("{\"length\":\"0x200000\"}").post(ioas("/memory")).then().statusCode(201).extract().jsonPath();
        hostPa = Long.decode(mem.getString("hostPa"));
        int dev = create(ioas("/devices"), "{\"rid\":\"" + rid + "\"}");
        int ioasId = create(ioas("/ioas"), "{}");
        as().body("{\"flags\":[\"FIXED_IOVA\",\"READABLE\",\"WRITEABLE\"],\"memoryId\":" + mem.getInt("id") + ",\"start\":0,\"length\":\"0x200000\",\"iova\":\""
                + hex(G) + "\"}").post(ioas("/ioas/" + ioasId + "/map")).then().statusCode(201);
        int parent = create(ioas("/hwpts"), "{\"deviceId\":" + dev + ",\"ptId\":" + ioasId + ",\"flags\":[\"NEST_PARENT\"]}");
        return new int[] {dev, parent};
    }

    void write(long gpa, byte[] data) {
        given().contentType(ContentType.JSON).body("{\"data\":\"" + Base64.getEncoder().encodeToString(data) + "\"}")
                .put(stack.url(Service.HW_SIM) + "/v1/hw/memory/" + hex(hostPa + gpa - G)).then().statusCode(204);
    }

    void pte(long tableGpa, int index, long value) {
        write(tableGpa + index * 8L, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
    }

    JsonPath dma(String rid, long iova) {
        return given().contentType(ContentType.JSON).body("{\"iova\":\"" + hex(iova) + "\",\"length\":4,\"write\":false}")
                .post(stack.url(Service.HW_SIM) + "/v1/hw/devices/" + rid + "/dma").then().statusCode(200).extract().jsonPath();
    }

    @Test
    void vtdNestedTranslatesThroughTheGuestTableAndFaultsAfterInvalidation() {
        int[] g = guest(NIC);
        int dev = g[0];
        int parent = g[1];
        long pml4 = G, pdpt = G + 0x1000, pd = G + 0x2000, pt = G + 0x3000, page = G + 0x10000;
        long iova = 0x4000_0000L;   // PML4[0] → PDPT[1] → PD[0] → PT[0]
        pte(pml4, 0, pdpt | P | RW | US);
        pte(pdpt, 1, pd | P | RW | US);
        pte(pd, 0, pt | P | RW | US);
        pte(pt, 0, page | P | RW | US);
        write(page, "NEST".getBytes(StandardCharsets.US_ASCII));
        int nested = create(viommu("/nested-hwpts"), "{\"deviceId\":" + dev + ",\"ptId\":" + parent
                + ",\"data\":{\"type\":\"VTD_S1\",\"pgtblAddr\":\"" + hex(pml4) + "\",\"addrWidth\":48}}");
        as().body("{\"ptId\":" + nested + "}").put(ioas("/devices/" + dev + "/attachment")).then().statusCode(200)
                .body("hwptId", equalTo(nested));
        List<Map<String, Object>> objects = as().get(ioas("/objects")).then().statusCode(200).extract().jsonPath().getList("objects");
        assertTrue(objects.contains(Map.of("id", nested, "type", "HWPT_NESTED")), objects.toString());
        // held: the parent by the nested HWPT, the nested HWPT by the attachment
        as().delete(ioas("/objects/" + parent)).then().statusCode(409).body("errno", equalTo("EBUSY"));
        as().delete(ioas("/objects/" + nested)).then().statusCode(409).body("errno", equalTo("EBUSY"));

        JsonPath ok = dma(NIC, iova);
        assertEquals("OK", ok.getString("status"), ok.prettify());
        assertEquals("NEST", new String(Base64.getDecoder().decode(ok.getString("data")), StandardCharsets.US_ASCII));

        pte(pt, 0, 0);   // the guest unmaps, then invalidates (IOTLB + the NIC's ATC)
        as().body("{\"dataType\":\"VTD_S1\",\"entries\":[{\"addr\":\"" + hex(iova) + "\",\"npages\":1,\"flags\":[\"LEAF\"]}]}")
                .post(viommu("/nested-hwpts/" + nested + "/invalidate")).then().statusCode(200).body("entryNum", equalTo(1));
        JsonPath fault = dma(NIC, iova);
        assertEquals("FAULT", fault.getString("status"), fault.prettify());

        bench("VT-d nested HWPT", viommu("/nested-hwpts/" + nested + "/invalidate"), "VTD_S1",
                i -> "{\"addr\":\"" + hex(0x1000_0000L + i * 0x1000L) + "\",\"npages\":1}");

        as().delete(ioas("/devices/" + dev + "/attachment")).then().statusCode(204);
        as().delete(ioas("/objects/" + nested)).then().statusCode(204);   // passed on to viommu-service
        as().delete(viommu("/nested-hwpts/" + nested)).then().statusCode(404).body("errno", equalTo("ENOENT"));
        as().delete(ioas("/objects/" + parent)).then().statusCode(204);
        closeContext();
    }

    @Test
    void smmuEventReachesTheVeventqWithTheVsidAndCommandsAreTranslated() throws Exception {
        int[] g = guest(SMMU_DEV);
        int dev = g[0];
        int parent = g[1];
        int v = create(viommu("/viommus"), "{\"type\":\"ARM_SMMUV3\",\"deviceId\":" + dev + ",\"hwptId\":" + parent + "}");
        int vd = create(viommu("/vdevices"), "{\"viommuId\":" + v + ",\"deviceId\":" + dev + ",\"virtId\":\"0x20\"}");
        int q = create(viommu("/veventqs"), "{\"viommuId\":" + v + ",\"type\":\"ARM_SMMUV3\",\"depth\":16}");
        // only a device attached to a nested HWPT of the vIOMMU reports to the guest (the kernel's vmaster)
        int nested = create(viommu("/nested-hwpts"), "{\"deviceId\":" + dev + ",\"ptId\":" + v
                + ",\"data\":{\"type\":\"ARM_SMMUV3\",\"ste\":[\"0xb\",\"0x0\"]}}");
        as().body("{\"ptId\":" + nested + "}").put(ioas("/devices/" + dev + "/attachment")).then().statusCode(200);
        as().delete(ioas("/objects/" + parent)).then().statusCode(409).body("errno", equalTo("EBUSY"));
        as().delete(viommu("/viommus/" + v)).then().statusCode(409).body("errno", equalTo("EBUSY"));
        // CMD_SYNC-completed TLBI_NH_ASID + ATC_INV of vSID 0x20; a vSID without vdevice stops the array
        as().body("{\"dataType\":\"ARM_SMMUV3\",\"entries\":[{\"cmd\":[\"0x11\",\"0\"]},{\"cmd\":[\"0x2000000040\",\"0\"]},"
                        + "{\"cmd\":[\"0x2100000040\",\"0\"]}]}")
                .post(viommu("/viommus/" + v + "/invalidate")).then().statusCode(422).body("errno", equalTo("EIO")).body("entryNum", equalTo(2));
        List<Map<String, Object>> events = List.of();
        long end = System.nanoTime() + 20_000_000_000L;
        while (events.isEmpty() && System.nanoTime() < end) {
            given().contentType(ContentType.JSON).body("{\"rid\":\"" + SMMU_DEV + "\",\"type\":\"F_TRANSLATION\",\"addr\":\"0x5000\"}")
                    .post(stack.url(Service.HW_SIM) + "/v1/hw/iommus/smmu0/events").then().statusCode(202);
            Thread.sleep(300);
            events = as().get(viommu("/veventqs/" + q + "/events")).then().statusCode(200).extract().jsonPath().getList("events");
        }
        assertTrue(!events.isEmpty(), "the injected event reached the vEVENTQ");
        Map<String, Object> e = events.get(0);
        assertEquals("0x20", e.get("virtId"));
        assertEquals("F_TRANSLATION", ((Map<?, ?>) e.get("data")).get("type"));
        String evt0 = (String) ((List<?>) ((Map<?, ?>) e.get("data")).get("evt")).get(0);
        assertEquals(0x20L, Long.parseUnsignedLong(evt0.substring(2), 16) >>> 32, "the record carries the vSID");
        as().delete(ioas("/devices/" + dev + "/attachment")).then().statusCode(204);
        as().delete(viommu("/nested-hwpts/" + nested)).then().statusCode(204);

        bench("SMMUv3 vIOMMU", viommu("/viommus/" + v + "/invalidate"), "ARM_SMMUV3",
                i -> "{\"cmd\":[\"" + hex(0x12L | ((long) (i & 0xff) << 48)) + "\",\"" + hex(0x1000_0000L + i * 0x1000L) + "\"]}");

        as().delete(ioas("/objects/" + q)).then().statusCode(204);                        // passed on to viommu-service
        as().get(viommu("/veventqs/" + q + "/events")).then().statusCode(404).body("errno", equalTo("ENOENT"));
        // unbind force-destroys the vdevice: its id stays reserved, its destroy is ENOENT, the vIOMMU is free
        as().delete(ioas("/devices/" + dev)).then().statusCode(204);
        // viommu-service drops its row on VDEVICE_GONE (ioas-service's outbox → iommufd.contexts): soon, not at once
        int status = 200;
        for (long until = System.nanoTime() + 10_000_000_000L; status != 404 && System.nanoTime() < until; Thread.sleep(100)) {
            status = as().get(viommu("/vdevices/" + vd)).then().extract().statusCode();
        }
        assertEquals(404, status, "VDEVICE_GONE reached viommu-service");
        as().delete(viommu("/vdevices/" + vd)).then().statusCode(404).body("errno", equalTo("ENOENT"));
        as().delete(ioas("/objects/" + vd)).then().statusCode(404).body("errno", equalTo("ENOENT"));
        as().delete(viommu("/viommus/" + v)).then().statusCode(204);
        as().delete(ioas("/objects/" + parent)).then().statusCode(204);
        closeContext();
    }

    /** Invalidation figures: arrays of 1, 16 and 256 entries, one client, after a warm-up. */
    void bench(String what, String url, String dataType, java.util.function.IntFunction<String> entry) {
        for (int size : new int[] {1, 16, 256}) {
            StringBuilder b = new StringBuilder("{\"dataType\":\"" + dataType + "\",\"entries\":[");
            for (int i = 0; i < size; i++) {
                b.append(i == 0 ? "" : ",").append(entry.apply(i));
            }
            String body = b.append("]}").toString();
            int rounds = size == 256 ? 60 : 150;
            for (int i = 0; i < 20; i++) {
                as().body(body).post(url).then().statusCode(200);
            }
            List<Long> nanos = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                long t = System.nanoTime();
                as().body(body).post(url).then().statusCode(200).body("entryNum", equalTo(size));
                nanos.add(System.nanoTime() - t);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Collections.sort(nanos);
            System.out.printf("NestedIT bench %s, %d entries/call: %.0f entries/s, p50 %.2f ms, p99 %.2f ms (%d calls)%n", what, size,
                    size * rounds / seconds, nanos.get(nanos.size() / 2) / 1e6, nanos.get((int) Math.ceil(nanos.size() * 0.99) - 1) / 1e6, rounds);
        }
        // 16 concurrent clients with 1-entry arrays: the per-queue batcher shares records and syncs between them
        String one = "{\"dataType\":\"" + dataType + "\",\"entries\":[" + entry.apply(0) + "]}";
        double[] before = batches();
        List<Long> nanos = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        List<java.util.concurrent.CompletableFuture<Void>> clients = new ArrayList<>();
        for (int c = 0; c < 16; c++) {
            clients.add(java.util.concurrent.CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 40; i++) {
                    long t = System.nanoTime();
                    as().body(one).post(url).then().statusCode(200);
                    nanos.add(System.nanoTime() - t);
                }
            }, java.util.concurrent.Executors.newSingleThreadExecutor()));
        }
        clients.forEach(java.util.concurrent.CompletableFuture::join);
        double seconds = (System.nanoTime() - start) / 1e9;
        double[] after = batches();
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        System.out.printf("NestedIT bench %s, 16 clients x 1 entry: %.0f entries/s, p50 %.2f ms, p99 %.2f ms; %.0f batches, %.2f commands per batch%n",
                what, sorted.size() / seconds, sorted.get(sorted.size() / 2) / 1e6, sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1) / 1e6,
                after[0] - before[0], (after[1] - before[1]) / Math.max(1, after[0] - before[0]));
    }

    /** iommufd_viommu_invalidation_batch_entries count and sum from viommu-service's /q/metrics. */
    static double[] batches() {
        String m = given().get(stack.url(Service.VIOMMU) + "/q/metrics").then().statusCode(200).extract().asString();
        double count = 0;
        double sum = 0;
        for (String l : m.split("\n")) {
            if (l.startsWith("iommufd_viommu_invalidation_batch_entries_count")) {
                count = Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
            } else if (l.startsWith("iommufd_viommu_invalidation_batch_entries_sum")) {
                sum = Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
            }
        }
        return new double[] {count, sum};
    }
}
