package dev.iommufd.fault;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.contract.events.PageResponse;
import dev.iommufd.devinfra.LocalInfraTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The optional response timeout through its configuration ({@code iommufd.fault.response-timeout},
 * off by default: PriDeliveryTest shows groups waiting). The one extra application start of this
 * module's tests.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
@QuarkusTestResource(FakeIoasService.class)
@TestProfile(ResponseTimeoutTest.TwoSeconds.class)
class ResponseTimeoutTest {
    public static class TwoSeconds implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("iommufd.fault.response-timeout", "2s");
        }
    }

    @Test
    void unansweredGroupsAreAnsweredInvalidAfterTheTimeout() throws Exception {
        String ctx = "timeout-" + UUID.randomUUID();
        String base = "/v1/contexts/" + ctx + "/fault-queues";
        int q = FaultApiTest.as(ctx).body("{}").post(base).then().statusCode(201).extract().jsonPath().getInt("id");
        try (HwSimStandIn sim = new HwSimStandIn()) {
            sim.request(ctx, new PageRequest("dmar0", "0000:04:00.0", null, 1, true, false, false, false, 0x1000, true, ctx + "/2", q));
            sim.request(ctx, new PageRequest("dmar0", "0000:04:00.0", 3, 2, true, false, false, false, 0x2000, true, ctx + "/2", q));
            long start = System.nanoTime();
            List<Integer> cookies = List.of();
            while (cookies.size() < 1 && System.nanoTime() - start < Duration.ofSeconds(10).toNanos()) {
                cookies = FaultApiTest.as(ctx).queryParam("maxGroups", 1).get(base + "/" + q + "/faults").then().statusCode(200)
                        .extract().jsonPath().getList("groups.cookie", Integer.class);
            }
            assertEquals(List.of(1), cookies); // one read (awaiting a response), one still delivered: both time out
            long read = System.nanoTime();
            List<PageResponse> got = sim.responses(ctx, 2, Duration.ofSeconds(15));
            org.junit.jupiter.api.Assertions.assertTrue(System.nanoTime() - read > Duration.ofSeconds(1).toNanos(),
                    "answered by the timeout, not at once");
            assertEquals(List.of(new PageResponse("dmar0", "0000:04:00.0", null, 1, "INVALID"),
                    new PageResponse("dmar0", "0000:04:00.0", 3, 2, "INVALID")), got);
            FaultApiTest.as(ctx).body("{\"responses\":[{\"cookie\":1,\"code\":\"SUCCESS\"}]}").post(base + "/" + q + "/responses")
                    .then().statusCode(400).body("errno", equalTo("EINVAL")).body("accepted", equalTo(0));
            FaultApiTest.as(ctx).get(base + "/" + q + "/faults").then().statusCode(200).body("groups.size()", equalTo(0));
        }
    }
}
