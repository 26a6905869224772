package dev.iommufd.sim.bench;

import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.DomainCreate;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.contract.events.NestedDomainCreate;
import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.contract.events.PageResponse;
import dev.iommufd.sim.dma.DmaEngine;
import dev.iommufd.sim.dma.DmaJob;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.memory.HostMemory;
import dev.iommufd.sim.platform.Platform;

/**
 * Translations per second of the simulated IOMMU on one thread: the IOTLB-hit path (one page,
 * again and again) and the page-walk path (a sweep over 64 Mi of 4 KiB pages, far more than the
 * 1024-entry IOTLB holds, so every access misses and walks), the nested page-walk path (VT-d
 * first stage, 4 levels in host memory, each table pointer through the stage-2 parent, on the same
 * sweep) and PRI round trips (a DMA miss, its page request answered SUCCESS by another thread, the
 * retry). Run:
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
        nested(seconds, pages);
        pri(seconds);
    }

    /** VT-d nested: a guest 4-level first-stage table mapping the sweep, over a stage-2 parent. */
    private static void nested(long seconds, long pages) {
        HostMemory mem = new HostMemory();
        Platform p = new Platform(Topology.defaults(), mem);
        String rid = "0000:05:00.0";
        long gpaData = 0x40000000L;
        long tables = 0x10000000L; // GPA = host PA of the guest's table pages (identity in the parent)
        p.apply(new DomainCreate("bench/1", "dmar0", 48, true));
        p.apply(new MapRange("bench/1", 0, 1L << 32, 0, true, true)); // stage 2: the guest's first 4 GiB
        long[] next = {tables + 4096};
        long root = tables;
        for (long i = 0; i < pages; i++) {
            long iova = 0x100000000L + i * 4096;
            long table = root;
            for (int level = 4; level > 1; level--) {
                long slot = table + ((iova >>> (12 + 9 * (level - 1))) & 0x1ff) * 8;
                long e = mem.readLong(slot);
                if ((e & 1) == 0) {
                    e = next[0] | 0x7;
                    next[0] += 4096;
                    mem.writeLong(slot, e);
                }
                table = e & 0x000f_ffff_ffff_f000L;
            }
            mem.writeLong(table + ((iova >>> 12) & 0x1ff) * 8, (gpaData + i * 4096) | 0x7);
        }
        p.apply(new NestedDomainCreate("bench/2", "dmar0", "bench/1", null, null,
                new NestedDomainCreate.VtdS1(root, 48, false, false, true), null));
        p.apply(new AttachDevice(rid, null, "bench/2"));
        for (int round = 0; round < 2; round++) {
            long walk = run(seconds, i -> p.translateAddress(rid, null, 0x100000000L + ((i * 4096) % (pages * 4096))));
            if (round == 1) {
                System.out.printf("nested walk: %,.0f translations/s (VT-d first stage through the parent, every access misses)%n",
                        walk / (double) seconds);
            }
        }
    }

    /** DMA misses answered by page responses from another thread, one at a time. */
    private static void pri(long seconds) {
        Platform p = new Platform(Topology.defaults(), new HostMemory());
        String rid = "0000:03:00.0"; // PRI 32
        p.apply(new DomainCreate("bench/1", "dmar0", 48, false, 1));
        p.apply(new AttachDevice(rid, null, "bench/1"));
        java.util.concurrent.BlockingQueue<PageRequest> requests = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread handler = new Thread(() -> {
            try {
                while (true) {
                    PageRequest r = requests.take();
                    synchronized (p) {
                        p.apply(new MapRange("bench/1", r.addr(), 4096, r.addr(), true, true));
                        p.apply(new PageResponse("dmar0", rid, null, r.grpid(), "SUCCESS"));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        handler.setDaemon(true);
        handler.start();
        DmaEngine engine = new DmaEngine(p, e -> requests.add((PageRequest) e.payload()), java.time.Clock.systemUTC());
        for (int round = 0; round < 2; round++) {
            long base = 0x100000000L * (round + 1);
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            long n = 0;
            while (System.nanoTime() < end) {
                if (!"OK".equals(engine.run(new DmaJob(rid, null, base + n++ * 4096, 4, false, null, false), 5000).status())) {
                    throw new IllegalStateException("PRI round trip failed");
                }
            }
            if (round == 1) {
                System.out.printf("PRI round trip: %,.0f DMAs/s (miss, page request, SUCCESS from another thread, retry)%n",
                        n / (double) seconds);
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
