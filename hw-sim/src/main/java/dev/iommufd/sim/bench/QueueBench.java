package dev.iommufd.sim.bench;

import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.DomainCreate;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.InvalidateIotlb;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.contract.events.SyncRequest;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.memory.HostMemory;
import dev.iommufd.sim.platform.Platform;
import dev.iommufd.sim.queue.CommandQueues;
import dev.iommufd.sim.queue.CostModel;
import java.time.Clock;
import java.time.Instant;

/**
 * Invalidations per second through one command queue (decoded envelopes in, completions out: the
 * work hw-sim does per Kafka record, without Kafka): page-selective IOTLB invalidations of a
 * populated IOTLB in batches of 256, each batch followed by a sync; with the cost model off and
 * with the VT-d figures. Run:
 * the command in the README's Benchmarks section (class QueueBench; classpath: hw-sim/target/classes and every jar under hw-sim/target/quarkus-app/lib, after {@code mvn -DskipTests install})
 */
public final class QueueBench {
    private QueueBench() {}

    public static void main(String[] args) {
        long seconds = args.length > 0 ? Long.parseLong(args[0]) : 3;
        for (String model : new String[] {"off", "vtd"}) {
            double rate = 0;
            for (int round = 0; round < 2; round++) { // the first round warms the JIT
                rate = run(CostModel.of(model, java.util.Map.of()), seconds);
            }
            System.out.printf("cost model %-3s: %,.0f invalidations/s (batches of 256 + sync)%n", model, rate);
        }
    }

    private static double run(CostModel cost, long seconds) {
        Platform p = new Platform(Topology.defaults(), new HostMemory());
        CommandQueues q = new CommandQueues(Topology.defaults(), p, Clock.systemUTC(), cost);
        long[] seq = {0};
        java.util.function.Consumer<EventPayload> send = payload -> q.apply(new EventEnvelope(EventEnvelope.SCHEMA_VERSION, "b",
                "bench", null, "dmar0", ++seq[0], "c", Instant.EPOCH, null, payload));
        send.accept(new DomainCreate("bench/1", "dmar0", 48, false));
        send.accept(new MapRange("bench/1", 0x100000000L, 1024 * 4096L, 0x200000000L, true, true));
        send.accept(new AttachDevice("0000:05:00.0", null, "bench/1"));
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long start = System.nanoTime();
        long done = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 256; i++) {
                long iova = 0x100000000L + (long) (i & 1023) * 4096;
                p.translateAddress("0000:05:00.0", null, iova); // refill the entry the invalidation will drop
                send.accept(new InvalidateIotlb("dmar0", "bench/1", iova, 4096));
            }
            send.accept(new SyncRequest("dmar0"));
            done += 256;
        }
        return done / ((System.nanoTime() - start) / 1e9);
    }
}
