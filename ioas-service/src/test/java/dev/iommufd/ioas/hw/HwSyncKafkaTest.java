package dev.iommufd.ioas.hw;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufd.devinfra.LocalInfraTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * ioas-service's half of the command-queue round trip over the real broker, answered by
 * {@link dev.iommufd.ioas.FakeHardwareResource}; hw-sim itself is exercised across processes by
 * the e2e module.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
@QuarkusTestResource(dev.iommufd.ioas.FakeHardwareResource.class)
class HwSyncKafkaTest {
    @Inject
    HwQueueGateway gateway;

    @Test
    void syncCompletesThroughKafka() {
        given().post("/v1/internal/iommus/dmar0/sync").then().statusCode(200)
                .body("iommu", equalTo("dmar0"))
                .body("sequence", greaterThan(0L))
                .body("latencyUs", greaterThan(0));
        assertEquals(0, gateway.pendingCount());
    }

    @Test
    void unansweredSyncIsEioAndLeavesNothingPending() {
        given().post("/v1/internal/iommus/dmar7/sync").then().statusCode(422).body("errno", equalTo("EIO"));
        assertEquals(0, gateway.pendingCount());
        given().post("/v1/internal/iommus/BAD!/sync").then().statusCode(400).body("errno", equalTo("EINVAL"));
    }

    @Test
    void concurrentSyncsEachGetTheirOwnCompletion() {
        List<Long> seqs = java.util.stream.IntStream.range(0, 20).parallel()
                .mapToObj(i -> given().post("/v1/internal/iommus/dmar0/sync").then().statusCode(200)
                        .extract().jsonPath().getLong("sequence"))
                .toList();
        assertEquals(20, Set.copyOf(seqs).size());
    }
}
