package dev.iommufd.sim;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasSize;

import dev.iommufd.devinfra.LocalInfraTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

/** hw-sim's HTTP surface with the API conventions, against real Kafka. */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
class HwSimApiTest {

    @Test
    void readinessIncludesKafka() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItems("Kafka connection health check"));
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/metrics").then().statusCode(200).body(containsString("jvm_"));
        given().get("/q/openapi").then().statusCode(200).body(containsString("/v1/hw/memory/{pa}"));
    }

    @Test
    void defaultTopologyIsServed() {
        given().get("/v1/hw/iommus").then().statusCode(200)
                .body("iommus.id", equalTo(java.util.List.of("dmar0", "dmar1", "smmu0")))
                .body("iommus[2].type", equalTo("ARM_SMMUV3"))
                .body("iommus[0].reservedRegions[0].start", equalTo("0xfee00000"));
        given().get("/v1/hw/devices").then().statusCode(200)
                .body("devices", hasSize(6))
                .body("devices.find { it.rid == '0001:00:01.0' }.sid", equalTo(8));
    }

    @Test
    void memoryWriteThenReadBack() {
        given().contentType(ContentType.JSON).body("{\"data\":\"AQIDBA==\"}")
                .put("/v1/hw/memory/0x7000ffe").then().statusCode(204);
        given().get("/v1/hw/memory/0x7000ffc?length=8").then().statusCode(200)
                .body("pa", equalTo("0x7000ffc"))
                .body("data", equalTo("AAABAgMEAAA="));
        given().get("/v1/hw/memory/117444604?length=0x2").then().statusCode(200)
                .body("pa", equalTo("0x7000ffc")).body("data", equalTo("AAA="));
    }

    @Test
    void clientMistakesGetErrnoBodies() {
        // unknown JSON field
        given().contentType(ContentType.JSON).body("{\"data\":\"AA==\",\"bogus\":1}")
                .put("/v1/hw/memory/0x1000").then().log().ifValidationFails().statusCode(400).body("errno", equalTo("E2BIG"));
        // malformed JSON, missing field, bad base64, bad address
        given().contentType(ContentType.JSON).body("{\"data\":")
                .put("/v1/hw/memory/0x1000").then().statusCode(400).body("errno", equalTo("EINVAL"));
        given().contentType(ContentType.JSON).body("{}")
                .put("/v1/hw/memory/0x1000").then().statusCode(400).body("errno", equalTo("EINVAL"));
        given().contentType(ContentType.JSON).body("{\"data\":\"***\"}")
                .put("/v1/hw/memory/0x1000").then().statusCode(400).body("errno", equalTo("EINVAL"));
        given().contentType(ContentType.JSON).body("{\"data\":\"AA==\"}")
                .put("/v1/hw/memory/0xzz").then().statusCode(400).body("errno", equalTo("EINVAL"));
        given().get("/v1/hw/memory/0x1000").then().statusCode(400).body("errno", equalTo("EINVAL"));
        given().get("/v1/hw/memory/0x1000?length=0x200000").then().statusCode(400).body("errno", equalTo("EINVAL"));
        given().get("/v1/hw/memory/0xfffffffffffffffc?length=8").then().statusCode(400).body("errno", equalTo("EOVERFLOW"));
        // unknown path: 404 with an errno body, never an HTML page
        given().get("/v1/hw/nothing-here").then().statusCode(404).body("errno", equalTo("ENOENT"));
    }

    @Test
    void failedWriteChangedNothing() {
        given().contentType(ContentType.JSON).body("{\"data\":\"/w==\",\"bogus\":true}")
                .put("/v1/hw/memory/0x9000").then().statusCode(400);
        given().get("/v1/hw/memory/0x9000?length=1").then().statusCode(200).body("data", equalTo("AA=="));
    }

    @Test
    void statsShowPriAndConfigCacheCountersPerIommuAndInTotal() {
        given().get("/v1/hw/stats").then().statusCode(200)
                .body("pageRequests", org.hamcrest.Matchers.greaterThanOrEqualTo(0))
                .body("unknownResponses", org.hamcrest.Matchers.greaterThanOrEqualTo(0))
                .body("configHits", org.hamcrest.Matchers.greaterThanOrEqualTo(0))
                .body("configMisses", org.hamcrest.Matchers.greaterThanOrEqualTo(0))
                .body("iommus.smmu0.unknownResponses", org.hamcrest.Matchers.greaterThanOrEqualTo(0))
                .body("iommus.dmar0.configHits", org.hamcrest.Matchers.greaterThanOrEqualTo(0));
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("iommufd_hw_page_responses_unknown_total"))
                .body(containsString("iommufd_hw_config_misses_total"))
                .body(containsString("type=\"TLBI_NH_ASID\""));
    }

    @Test
    void pageRequestAndEventInjectionRejectBadInput() {
        String nic = "/v1/hw/devices/0000:03:00.0/page-requests";
        String ok = "\"perm\":[\"READ\"],\"addr\":\"0x1000\",\"last\":true";
        given().contentType(ContentType.JSON).body("{\"grpid\":1," + ok + "}")
                .post("/v1/hw/devices/0000:99:00.0/page-requests").then().statusCode(404).body("errno", equalTo("ENOENT"));
        // storage has no PRI; the NIC on an unused PASID is not attached
        given().contentType(ContentType.JSON).body("{\"grpid\":1," + ok + "}")
                .post("/v1/hw/devices/0000:05:00.0/page-requests").then().statusCode(400).body("errno", equalTo("EINVAL"))
                .body("message", containsString("no PRI"));
        given().contentType(ContentType.JSON).body("{\"pasid\":1048574,\"grpid\":1," + ok + "}")
                .post(nic).then().statusCode(400).body("errno", equalTo("EINVAL")).body("message", containsString("not attached"));
        given().contentType(ContentType.JSON).body("{\"grpid\":512," + ok + "}").post(nic).then().statusCode(400).body("errno", equalTo("EINVAL"));
        given().contentType(ContentType.JSON).body("{\"grpid\":1,\"perm\":[\"BOGUS\"],\"addr\":\"0x1000\",\"last\":true}")
                .post(nic).then().statusCode(400).body("errno", equalTo("EINVAL"));
        given().contentType(ContentType.JSON).body("{\"grpid\":1,\"perm\":[\"READ\"],\"addr\":\"0x1000\"}")
                .post(nic).then().statusCode(400).body("errno", equalTo("EINVAL"));
        given().contentType(ContentType.JSON).body("{\"pasid\":1048576,\"grpid\":1," + ok + "}").post(nic).then().statusCode(400);

        String ev = "{\"rid\":\"0001:00:01.0\",\"type\":\"F_TRANSLATION\",\"addr\":\"0x1000\"}";
        given().contentType(ContentType.JSON).body(ev).post("/v1/hw/iommus/nope/events").then().statusCode(404).body("errno", equalTo("ENOENT"));
        given().contentType(ContentType.JSON).body(ev).post("/v1/hw/iommus/dmar0/events").then().statusCode(400).body("errno", equalTo("EINVAL"))
                .body("message", containsString("not behind"));
        given().contentType(ContentType.JSON).body(ev.replace("F_TRANSLATION", "F_NOPE"))
                .post("/v1/hw/iommus/smmu0/events").then().statusCode(400).body("errno", equalTo("EINVAL"))
                .body("message", containsString("unknown"));
        given().contentType(ContentType.JSON).body(ev.replace("0001:00:01.0", "0000:99:00.0"))
                .post("/v1/hw/iommus/smmu0/events").then().statusCode(404).body("errno", equalTo("ENOENT"));

        String dma = "/v1/hw/devices/0000:03:00.0/dma";
        given().contentType(ContentType.JSON).body("{\"iova\":\"0x1000\",\"length\":4,\"write\":false,\"priv\":true}")
                .post(dma).then().statusCode(400).body("errno", equalTo("EINVAL"));
        given().contentType(ContentType.JSON).body("{\"iova\":\"0x1000\",\"length\":4,\"write\":false,\"priTimeoutMs\":-1}")
                .post(dma).then().statusCode(400).body("errno", equalTo("EINVAL"));
    }
}
