package dev.iommufd.sim.queue;

import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.InvalidateBatch;
import java.util.HashMap;
import java.util.Map;

/**
 * How long the simulated hardware takes to execute a queued command, by event kind (INV_IOTLB,
 * INV_ATC, …), so a load test can model real hardware. {@link #off()} executes as fast as
 * possible. {@link #vtd()} uses figures measured on VT-d hosts: an IOTLB invalidation ≈ 1 µs, a
 * device-TLB (ATS) invalidation ≈ 2 µs; everything else free. The command queue is busy for that
 * long (a spin, since sleeping cannot wait a microsecond), so later commands and syncs of every
 * queue wait behind it as behind one invalidation engine.
 */
public final class CostModel {
    private final Map<String, Long> nanosByKind;

    private CostModel(Map<String, Long> nanosByKind) {
        this.nanosByKind = Map.copyOf(nanosByKind);
    }

    public static CostModel off() {
        return new CostModel(Map.of());
    }

    public static CostModel vtd() {
        return new CostModel(Map.of("INV_IOTLB", 1_000L, "INV_ATC", 2_000L));
    }

    /** {@code base} ("off" or "vtd") with some kinds' costs replaced; an unknown name is an error. */
    public static CostModel of(String base, Map<String, Long> overridesNanos) {
        CostModel b = switch (base) {
            case "off" -> off();
            case "vtd" -> vtd();
            default -> throw new IllegalArgumentException("cost model must be off or vtd, not " + base);
        };
        Map<String, Long> m = new HashMap<>(b.nanosByKind);
        overridesNanos.forEach((kind, nanos) -> {
            if (nanos < 0) {
                throw new IllegalArgumentException("negative cost for " + kind);
            }
            m.put(kind, nanos);
        });
        return new CostModel(m);
    }

    /** An INV_BATCH costs what its descriptors cost as single INV_IOTLB / INV_ATC records (unless INV_BATCH has its own figure). */
    public long nanos(EventPayload command) {
        if (nanosByKind.isEmpty()) {
            return 0;
        }
        if (command instanceof InvalidateBatch b && !nanosByKind.containsKey("INV_BATCH")) {
            long iotlb = nanosByKind.getOrDefault("INV_IOTLB", 0L);
            long atc = nanosByKind.getOrDefault("INV_ATC", 0L);
            long sum = 0;
            for (InvalidateBatch.Inv inv : b.invs()) {
                sum += inv.domain() != null ? iotlb : atc;
            }
            return sum;
        }
        return nanosByKind.getOrDefault(EventJson.kind(command), 0L);
    }

    /** Keeps the calling queue busy for the command's cost. */
    public void charge(EventPayload command) {
        long cost = nanos(command);
        if (cost > 0) {
            long end = System.nanoTime() + cost;
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        }
    }
}
