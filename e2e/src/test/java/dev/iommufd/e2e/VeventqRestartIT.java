package dev.iommufd.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.tools.launch.Service;
import io.restassured.http.ContentType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * vEVENTQs survive a viommu-service restart across the real processes: an event queued before the
 * stop is still there, one hw-sim recorded while the service was down is queued after the restart
 * (stable consumer group, committed offsets), each once: sequences 0, 1 and nothing else.
 */
class VeventqRestartIT extends ContextIT {
    static final String SMMU_DEV = "0001:00:01.0";  // smmu0, SID 8

    void inject(String addr) {
        given().contentType(ContentType.JSON).body("{\"rid\":\"" + SMMU_DEV + "\",\"type\":\"F_TRANSLATION\",\"addr\":\"" + addr + "\"}")
                .post(stack.url(Service.HW_SIM) + "/v1/hw/iommus/smmu0/events").then().statusCode(202);
    }

    double queuedMetric() {
        String metrics = given().get(stack.url(Service.VIOMMU) + "/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith("iommufd_viommu_events_reported_total{outcome=\"queued\"}"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(0);
    }

    @Test
    void queuedAndMissedEventsAreReadAfterARestartOnce() throws Exception {
        openContext();
        int dev = create(ioas("/devices"), "{\"rid\":\"" + SMMU_DEV + "\"}");
        int ioasId = create(ioas("/ioas"), "{}");
        int parent = create(ioas("/hwpts"), "{\"deviceId\":" + dev + ",\"ptId\":" + ioasId + ",\"flags\":[\"NEST_PARENT\"]}");
        int v = create(viommu("/viommus"), "{\"type\":\"ARM_SMMUV3\",\"deviceId\":" + dev + ",\"hwptId\":" + parent + "}");
        create(viommu("/vdevices"), "{\"viommuId\":" + v + ",\"deviceId\":" + dev + ",\"virtId\":\"0x20\"}");
        int q = create(viommu("/veventqs"), "{\"viommuId\":" + v + ",\"type\":\"ARM_SMMUV3\",\"depth\":16}");
        // only a device attached to a nested HWPT of the vIOMMU reports to the guest
        int nested = create(viommu("/nested-hwpts"), "{\"deviceId\":" + dev + ",\"ptId\":" + v
                + ",\"data\":{\"type\":\"ARM_SMMUV3\",\"ste\":[\"0xb\",\"0x0\"]}}");
        as().body("{\"ptId\":" + nested + "}").put(ioas("/devices/" + dev + "/attachment")).then().statusCode(200);

        inject("0x1000");
        long end = System.nanoTime() + 30_000_000_000L;
        while (queuedMetric() < 1 && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        assertEquals(1.0, queuedMetric(), "the first event is queued (and not read) before the stop");
        stack.stop(Service.VIOMMU);
        assertFalse(stack.running(Service.VIOMMU));
        inject("0x2000");                                   // recorded while no viommu-service runs
        stack.up();                                         // starts viommu-service again

        List<Map<String, Object>> got = new ArrayList<>();
        end = System.nanoTime() + 30_000_000_000L;
        while (got.size() < 2 && System.nanoTime() < end) {
            got.addAll(as().get(viommu("/veventqs/" + q + "/events")).then().statusCode(200).extract().jsonPath().getList("events"));
            Thread.sleep(100);
        }
        assertEquals(2, got.size(), got.toString());
        for (int i = 0; i < 2; i++) {
            Map<String, Object> e = got.get(i);
            assertEquals(i, e.get("sequence"));
            assertEquals(List.of(), e.get("flags"));
            assertEquals("0x20", e.get("virtId"));
            Map<?, ?> data = (Map<?, ?>) e.get("data");
            assertEquals("F_TRANSLATION", data.get("type"));
            assertEquals(i == 0 ? "0x1000" : "0x2000", data.get("addr"));
            String evt0 = (String) ((List<?>) data.get("evt")).get(0);
            assertEquals(0x20L, Long.parseUnsignedLong(evt0.substring(2), 16) >>> 32, "the record carries the vSID");
        }
        // nothing twice (a record redelivered after the restart is skipped by its sequence mark)
        assertTrue(as().get(viommu("/veventqs/" + q + "/events")).then().statusCode(200).extract().jsonPath()
                .getList("events").isEmpty());
        as().delete(ioas("/objects/" + q)).then().statusCode(204);
        closeContext();
    }
}
