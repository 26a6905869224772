package dev.iommufd.e2e;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;

import dev.iommufd.devinfra.LocalInfra;
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
        stack = new ServiceLauncher(LocalInfra.repoRoot(), 10000, "e2e");
        stack.up();
    }

    @AfterAll
    static void down() {
        if (stack != null) {
            stack.down(false);
        }
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
}
