package dev.iommufd.contract.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The PRI, event and nesting payloads: wire names, round trips, and the topic each travels on. */
class FaultAndNestedEventsTest {
    private static EventEnvelope env(EventPayload p) {
        return new EventEnvelope(1, "e", "hw-sim", "ctx", "dmar0", 3, null, Instant.EPOCH, null, p);
    }

    @Test
    void roundTripsWithTheirKindsAndTopics() {
        List<EventPayload> all = List.of(
                new DomainCreate("ctx/5", "dmar0", 48, true, 9),
                new NestedDomainCreate("ctx/6", "dmar0", "ctx/5", null, null,
                        new NestedDomainCreate.VtdS1(0x1000, 48, true, false, false), null),
                new NestedDomainCreate("ctx/7", "smmu0", "ctx/5", "ctx/8", 9, null,
                        new NestedDomainCreate.SmmuSte(0x0000_1234_5000_000bL, 0x80000000L)),
                new ViommuAlloc("ctx/8", "smmu0", "ctx/5", "ARM_SMMUV3"),
                new ViommuFree("ctx/8"),
                new SmmuCommands("smmu0", "ctx/8", List.of(new SmmuCommands.Cmd(0x11 | (7L << 48), 0), new SmmuCommands.Cmd(-1L, -2L))),
                new PageRequest("dmar0", "0000:04:00.0", 3, 17, true, true, false, false, 0x7000, true, "ctx/5", 9),
                new PageResponse("dmar0", "0000:04:00.0", null, 17, "SUCCESS"),
                new HwEvent("smmu0", "0001:00:01.0", 8, null, "ctx/7", "F_TRANSLATION", 0x10, 0x4000, List.of(0x10L, 0L, 0x4000L, 0L)),
                new FaultDetach("ctx", 9, "0000:04:00.0", null),
                new VdeviceGone("ctx", 11, "0001:00:01.0"),
                new InvalidateBatch("dmar0", List.of(InvalidateBatch.Inv.iotlb("ctx/6", 0x1000, 0x2000), InvalidateBatch.Inv.atc("0000:04:00.0", 0, 0))));
        List<String> kinds = List.of("DOMAIN_CREATE", "NESTED_DOMAIN_CREATE", "NESTED_DOMAIN_CREATE", "VIOMMU_ALLOC",
                "VIOMMU_FREE", "SMMU_CMDS", "PAGE_REQUEST", "PAGE_RESPONSE", "HW_EVENT", "FAULT_DETACH",
                "VDEVICE_GONE", "INV_BATCH");
        List<String> topics = List.of(Topics.HW_COMMANDS, Topics.HW_COMMANDS, Topics.HW_COMMANDS, Topics.HW_COMMANDS,
                Topics.HW_COMMANDS, Topics.HW_COMMANDS, Topics.HW_PAGE_REQUESTS, Topics.HW_COMMANDS, Topics.HW_EVENTS,
                Topics.CONTEXTS, Topics.CONTEXTS, Topics.HW_COMMANDS);
        for (int i = 0; i < all.size(); i++) {
            EventEnvelope e = env(all.get(i));
            assertEquals(e, EventJson.read(EventJson.write(e)));
            assertEquals(kinds.get(i), EventJson.kind(all.get(i)));
            assertEquals(topics.get(i), Topics.of(all.get(i)), kinds.get(i));
        }
    }

    @Test
    void domainCreateWithoutFaultIdReadsAsNoFaultQueue() {
        EventPayload p = EventJson.readPayload("{\"kind\":\"DOMAIN_CREATE\",\"domain\":\"c/1\",\"iommu\":\"dmar0\",\"addressWidth\":48,\"hugePages\":false}");
        assertEquals(new DomainCreate("c/1", "dmar0", 48, false), p);
        assertNull(((DomainCreate) p).faultId());
        assertEquals(Topics.CONTEXTS, Topics.of(new ContextClosed("c")));
        assertEquals(Topics.HW_COMPLETIONS, Topics.of(new Completion("dmar0", "ioas-service", 1)));
    }
}
