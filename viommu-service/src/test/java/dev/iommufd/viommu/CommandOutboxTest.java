package dev.iommufd.viommu;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.ViommuAlloc;
import dev.iommufd.contract.events.ViommuFree;
import dev.iommufd.devinfra.LocalInfraTestResource;
import dev.iommufd.viommu.support.FakeHw;
import dev.iommufd.viommu.support.IoasStandIn;
import dev.iommufd.viommu.support.IoasStandInAccess;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The lifecycle commands' outbox: a committed row always reaches the hardware (also one no call
 * waits for, as after a crash between commit and publish), and a call whose commands the hardware
 * never completed is undone in order (ALLOC then FREE) and leaves no row.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
@QuarkusTestResource(FakeHw.class)
class CommandOutboxTest {
    @Inject
    Pool pool;

    long count(String sql, Object... args) {
        return pool.preparedQuery(sql).execute(Tuple.from(args)).await().atMost(Duration.ofSeconds(5)).iterator().next().getLong(0);
    }

    @Test
    void aCommittedRowNoCallWaitsForIsPublishedAndDeleted() throws Exception {
        String name = "crashed-" + UUID.randomUUID() + "/7";
        EventPayload free = new ViommuFree(name);
        pool.preparedQuery("INSERT INTO viommu.outbox (kafka_key, context_id, payload) VALUES ('dmar0', NULL, $1)")
                .execute(Tuple.of(EventJson.writePayload(free))).await().atMost(Duration.ofSeconds(5));
        List<ViommuFree> got = NestingApiTest.eventually(() -> FakeHw.received(ViommuFree.class).stream().filter(f -> f.viommu().equals(name)).toList(),
                l -> !l.isEmpty());
        assertEquals(1, got.size(), "published once");
        long left = NestingApiTest.eventually(() -> count("SELECT count(*) FROM viommu.outbox WHERE payload LIKE $1", "%" + name + "%"), n -> n == 0);
        assertEquals(0, left, "deleted once the broker acknowledged it");
    }

    @Test
    void hardwareThatNeverCompletesLeavesNothingAndIsToldInOrder() throws Exception {
        NestingApiTest.Setup s = new NestingApiTest.Setup();
        // smmu9: no simulator on the broker completes its syncs
        int lost = IoasStandIn.device(s.ctx, "0009:00:01.0", "smmu9", "ARM_SMMUV3", 0x8, false);
        int lostParent = IoasStandIn.pagingHwpt(s.ctx, "smmu9", "ARM_SMMUV3", true);
        int before = IoasStandInAccess.objects(s.ctx);
        s.post("/viommus", "{\"type\":\"ARM_SMMUV3\",\"deviceId\":" + lost + ",\"hwptId\":" + lostParent + "}")
                .statusCode(422).body("errno", equalTo("EIO"));
        assertEquals(before, IoasStandInAccess.objects(s.ctx), "the id is released");
        assertEquals(0, count("SELECT count(*) FROM viommu.viommus WHERE context_id = $1", s.ctx), "no row stays");
        // the ALLOC was committed with the row, so it went out; the undo's FREE follows it on the same queue
        List<EventPayload> told = NestingApiTest.eventually(() -> FakeHw.RECEIVED.stream().map(e -> e.payload())
                        .filter(p -> p instanceof ViommuAlloc a && a.viommu().startsWith(s.ctx + "/") || p instanceof ViommuFree f && f.viommu().startsWith(s.ctx + "/"))
                        .toList(), l -> l.size() >= 2);
        assertEquals(2, told.size(), told.toString());
        assertTrue(told.get(0) instanceof ViommuAlloc a && a.iommu().equals("smmu9"), told.toString());
        assertEquals(new ViommuFree(((ViommuAlloc) told.get(0)).viommu()), told.get(1));
        assertEquals(0, NestingApiTest.eventually(() -> count("SELECT count(*) FROM viommu.outbox WHERE context_id = $1", s.ctx), n -> n == 0));
    }
}
