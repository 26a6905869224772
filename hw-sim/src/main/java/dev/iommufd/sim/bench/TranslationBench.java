package dev.iommufd.sim.bench;

import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.DomainCreate;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.memory.HostMemory;
import dev.iommufd.sim.platform.Platform;

/**
 * Translations per second of the simulated IOMMU on one thread: the IOTLB-hit path (one page,
 * again and again) and the page-walk path (a sweep over 64 Mi of 4 KiB pages, far more than the
 * 1024-entry IOTLB holds, so every access misses and walks). Run:
 * the command in the README's Benchmarks section (class TranslationBench; classpath: hw-sim/target/classes and every jar under hw-sim/target/quarkus-app/lib, after {@code mvn -DskipTests install})
 */
public final class TranslationBench {
    private TranslationBench() {}

    public static void main(String[] args) {
        long seconds = args.length > 0 ? Long.parseLong(args[0]) : 3;
        Platform p = new Platform(Topology.defaults(), new HostMemory());
        String rid = "0000:05:00.0"; // dmar0, no ATS: IOTLB and walks only
        long pages = 1 << 16;
        p.apply(new DomainCreate("bench/1", "dmar0", 48, false));
        p.apply(new MapRange("bench/1", 0x100000000L, pages * 4096, 0x200000000L, true, true));
        p.apply(new AttachDevice(rid, null, "bench/1"));
        for (int round = 0; round < 2; round++) { // the first round warms the JIT
            long hit = run(seconds, i -> p.translateAddress(rid, null, 0x100000000L + (i & 0xff8)));
            long walk = run(seconds, i -> p.translateAddress(rid, null, 0x100000000L + ((i * 4096) % (pages * 4096))));
            if (round == 1) {
                System.out.printf("IOTLB hit : %,.0f translations/s%n", hit / (double) seconds);
                System.out.printf("page walk : %,.0f translations/s (every access misses the 1024-entry IOTLB)%n", walk / (double) seconds);
            }
        }
    }

    interface Op {
        long apply(long i);
    }

    private static long run(long seconds, Op op) {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long n = 0;
        long sink = 0;
        while (System.nanoTime() < end) {
            for (int k = 0; k < 1024; k++) {
                sink += op.apply(n++);
            }
        }
        if (sink == 42) {
            System.out.print("");
        }
        return n;
    }
}
