package dev.iommufd.tools.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufd.contract.events.EventJson;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Filters over the recorded stream; the expected events are counted by hand from the fixture's timeline. */
class SelectionTest {
    private static List<String> kinds(Selection s) {
        return s.apply(Fixture.stream()).stream()
                .map(i -> i instanceof Recorded r ? EventJson.kind(r.event().payload()) : "DMA").toList();
    }

    @Test
    void contextKeepsItsCommandsAndTheSyncsThatCompleteThem() {
        assertEquals(List.of("DOMAIN_CREATE", "MAP", "MAP", "ATTACH", "SYNC", "COMPLETION", "UNMAP", "INV_IOTLB", "INV_ATC", "SYNC",
                "COMPLETION", "UNMAP", "INV_IOTLB", "INV_ATC", "SYNC", "COMPLETION", "MAP", "SYNC", "COMPLETION"),
                kinds(new Selection(Fixture.CONTEXT, null, null, null, null, null)));
        // the demo's context: its CONTEXT_CLOSED (key = context id) too
        List<String> demo = kinds(new Selection("e0ff889a-0d73-4775-8750-beae364ea10d", null, null, null, null, null));
        assertEquals(List.of("DOMAIN_CREATE", "MAP", "ATTACH", "SYNC", "COMPLETION", "UNMAP", "INV_IOTLB", "INV_ATC", "SYNC", "COMPLETION",
                "ATTACH", "DOMAIN_DESTROY", "CONTEXT_CLOSED", "SYNC", "COMPLETION"), demo);
        assertEquals(List.of(), kinds(new Selection("no-such-context", null, null, null, null, null)));
    }

    @Test
    void deviceKeepsItsOwnEventsAndThoseOfItsDomains() {
        // the detach and destroy were completed by the next sync on dmar0, made for another context (#23, #24)
        assertEquals(List.of("DOMAIN_CREATE", "MAP", "ATTACH", "SYNC", "COMPLETION", "UNMAP", "INV_IOTLB", "INV_ATC", "SYNC", "COMPLETION",
                "ATTACH", "DOMAIN_DESTROY", "SYNC", "COMPLETION"), kinds(new Selection(null, "0000:03:00.0", null, null, null, null)));
    }

    @Test
    void domainKeepsItsEventsAndThoseOfItsDevices() {
        assertEquals(kinds(new Selection(null, "0000:03:00.0", null, null, null, null)),
                kinds(new Selection(null, null, "e0ff889a-0d73-4775-8750-beae364ea10d/4", null, null, null)));
    }

    @Test
    void iovaRangeKeepsOverlappingEventsAndTheSetting() {
        assertEquals(List.of("DOMAIN_CREATE", "MAP", "ATTACH", "SYNC", "COMPLETION", "UNMAP", "INV_IOTLB", "INV_ATC", "SYNC", "COMPLETION"),
                kinds(new Selection(Fixture.CONTEXT, null, null, 0x80000000L, 0x80001000L, null)));
        assertEquals(List.of("DOMAIN_CREATE", "ATTACH", "SYNC", "COMPLETION", "MAP", "SYNC", "COMPLETION"),
                kinds(new Selection(Fixture.CONTEXT, null, null, 0x90000000L, 0x90000001L, null)));
    }

    @Test
    void dmaProbesGoWithTheirDeviceContextAndRange() {
        List<String> l = new java.util.ArrayList<>(Fixture.lines());
        l.add("{\"timestamp\":1,\"dma\":{\"rid\":\"0000:04:00.0\",\"iova\":\"0x80000000\",\"length\":8,\"write\":false}}");
        List<StreamItem> stream = Fixture.read(l);
        java.util.function.Function<Selection, Long> dmas = s -> s.apply(stream).stream().filter(i -> i instanceof DmaProbe).count();
        assertEquals(1, dmas.apply(Selection.ALL));
        assertEquals(1, dmas.apply(new Selection(Fixture.CONTEXT, null, null, null, null, null)));
        assertEquals(0, dmas.apply(new Selection("e0ff889a-0d73-4775-8750-beae364ea10d", null, null, null, null, null)));
        assertEquals(1, dmas.apply(new Selection(null, "0000:04:00.0", null, null, null, null)));
        assertEquals(0, dmas.apply(new Selection(null, "0000:03:00.0", null, null, null, null)));
        assertEquals(1, dmas.apply(new Selection(null, null, Fixture.CONTEXT + "/4", null, null, null)));
        assertEquals(1, dmas.apply(new Selection(null, null, null, 0x80000004L, 0x80000005L, null)));
        assertEquals(0, dmas.apply(new Selection(null, null, null, 0x80000008L, 0x80001000L, null)));
        assertEquals(0, dmas.apply(new Selection(null, null, null, null, null, "any")));
    }

    @Test
    void correlationKeepsTheRequestAndItsAnswer() {
        assertEquals(List.of("SYNC", "COMPLETION"), kinds(new Selection(null, null, null, null, null, "b9335a73-" + tail("b9335a73"))));
    }

    private static String tail(String prefix) {
        for (StreamItem i : Fixture.stream()) {
            String c = ((Recorded) i).event().correlationId();
            if (c != null && c.startsWith(prefix)) {
                return c.substring(prefix.length() + 1);
            }
        }
        throw new IllegalStateException();
    }

    @Test
    void rangesAreParsedAndChecked() {
        assertEquals(List.of(0x40000000L, 0x40200000L), java.util.Arrays.stream(Selection.parseRange("0x40000000-0x40200000")).boxed().toList());
        assertEquals(List.of(4096L, 8192L), java.util.Arrays.stream(Selection.parseRange("4096-8192")).boxed().toList());
        for (String bad : List.of("0x1000", "-0x1000", "0x1000-", "x-y", "0x1000-0x1000", "0x2000-0x1000")) {
            assertThrows(IllegalArgumentException.class, () -> {
                long[] r = Selection.parseRange(bad);
                new Selection(null, null, null, r[0], r[1], null);
            }, bad);
        }
    }
}
