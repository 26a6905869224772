package dev.iommufd.tools.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iommufd.tools.launch.Service;
import dev.iommufd.tools.launch.ServiceLauncher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Load generator. Scenario {@code strict-unmap}: each client maps a 4 KiB page into an IOAS whose
 * domain has an ATS device attached, then strict-unmaps it, closed loop; the unmap latency is
 * recorded (HdrHistogram). Devices are exclusive to a context, so clients share the platform's
 * six devices' contexts round-robin. Ends with hw-sim's stale-translation count (must be 0).
 * Scenario {@code lazy-unmap}: the same with the IOAS in LAZY mode, and before each unmap a DMA
 * that puts the page in the IOTLB; after the unmap's answer the device reads the page until it
 * faults: that time is the lazy window (recorded separately). Stale translations are expected
 * there and reported, not an error.
 */
@Command(name = "load", description = "Drive a scenario against the running stack and report latency percentiles and throughput.")
public class LoadCommand implements Callable<Integer> {
    private static final String[] DEVICES = {"0000:03:00.0", "0000:04:00.0", "0000:05:00.0", "0001:00:01.0", "0001:00:02.0", "0000:00:02.0"};

    @Option(names = "--scenario", defaultValue = "strict-unmap", description = "strict-unmap or lazy-unmap (more come with issue 8)")
    String scenario;

    @Option(names = "--clients", defaultValue = "1")
    int clients;

    @Option(names = "--ops", defaultValue = "500", description = "unmaps per client")
    int ops;

    @Option(names = "--report", description = "write a JSON report here")
    Path report;

    private final Http http = new Http();

    record Ctx(String url, String token, String ioasUrl, int memoryId, String rid) {}

    @Override
    public Integer call() throws Exception {
        boolean lazy = scenario.equals("lazy-unmap");
        if (!scenario.equals("strict-unmap") && !lazy) {
            System.err.println("unknown scenario " + scenario);
            return 2;
        }
        ServiceLauncher l = ServiceLauncher.forCli();
        l.up();
        String ioas = l.url(Service.IOAS);
        List<Ctx> contexts = new ArrayList<>();
        try {
            for (int i = 0; i < Math.min(clients, DEVICES.length); i++) {
                contexts.add(setUp(ioas, DEVICES[i], lazy));
            }
            return run(l, contexts, lazy);
        } finally {
            // a context holds its device: close them whatever happened, or the next run finds EBUSY
            for (Ctx c : contexts) {
                http.call("DELETE", c.url, c.token, null);
            }
        }
    }

    private int run(ServiceLauncher l, List<Ctx> contexts, boolean lazy) throws Exception {
        String dmaBase = l.url(Service.HW_SIM) + "/v1/hw/devices/";
        long staleBefore = stale(l);
        Recorder recorder = new Recorder(3);
        Recorder window = new Recorder(3);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
        List<Future<Integer>> errors = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Ctx ctx = contexts.get(c % contexts.size());
            long base = 0x100000000L + (long) c * 0x10000000L;
            errors.add(pool.submit(() -> {
                int failed = 0;
                for (int i = 0; i < ops; i++) {
                    String iova = "0x" + Long.toHexString(base + (long) (i % 1024) * 0x1000);
                    Http.Reply m = http.call("POST", ctx.ioasUrl + "/map", ctx.token, "{\"flags\":[\"FIXED_IOVA\",\"READABLE\"],\"memoryId\":"
                            + ctx.memoryId + ",\"length\":4096,\"iova\":\"" + iova + "\"}");
                    String dma = "{\"iova\":\"" + iova + "\",\"length\":4,\"write\":false}";
                    if (lazy && !"OK".equals(http.call("POST", dmaBase + ctx.rid + "/dma", null, dma).body().path("status").asText())) {
                        failed++;
                    }
                    long t0 = System.nanoTime();
                    Http.Reply u = http.call("POST", ctx.ioasUrl + "/unmap", ctx.token, "{\"iova\":\"" + iova + "\",\"length\":4096}");
                    long answered = System.nanoTime();
                    recorder.recordValue((answered - t0) / 1000);
                    if (m.status() != 201 || u.status() != 200) {
                        failed++;
                    }
                    while (lazy && !"FAULT".equals(http.call("POST", dmaBase + ctx.rid + "/dma", null, dma).body().path("status").asText())) {
                        if (System.nanoTime() - answered > 10_000_000_000L) {
                            failed++;
                            break;
                        }
                    }
                    if (lazy) {
                        window.recordValue((System.nanoTime() - answered) / 1000);
                    }
                }
                return failed;
            }));
        }
        int failed = 0;
        for (Future<Integer> f : errors) {
            failed += f.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        Histogram h = recorder.getIntervalHistogram();
        long stale = stale(l) - staleBefore;
        Histogram w = window.getIntervalHistogram();
        double rate = h.getTotalCount() / seconds;
        System.out.printf("scenario %s: %d clients over %d contexts, %d unmaps in %.1f s = %.0f unmaps/s (map+unmap pairs, closed loop)%n",
                scenario, clients, contexts.size(), h.getTotalCount(), seconds, rate);
        System.out.printf("unmap latency µs: p50 %d  p90 %d  p99 %d  p99.9 %d  max %d%n", h.getValueAtPercentile(50),
                h.getValueAtPercentile(90), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
        if (lazy) {
            System.out.printf("lazy window µs (unmap answered → DMA faults): p50 %d  p99 %d  max %d%n",
                    w.getValueAtPercentile(50), w.getValueAtPercentile(99), w.getMaxValue());
        }
        System.out.printf("failed calls %d, staleTranslations during the run %d%s%n", failed, stale, lazy ? " (expected in LAZY mode)" : "");
        if (report != null) {
            ObjectNode r = new ObjectMapper().createObjectNode();
            r.put("scenario", scenario).put("clients", clients).put("contexts", contexts.size()).put("unmaps", h.getTotalCount())
                    .put("seconds", seconds).put("unmapsPerSecond", rate).put("p50Us", h.getValueAtPercentile(50))
                    .put("p90Us", h.getValueAtPercentile(90)).put("p99Us", h.getValueAtPercentile(99))
                    .put("p999Us", h.getValueAtPercentile(99.9)).put("maxUs", h.getMaxValue())
                    .put("failed", failed).put("staleTranslations", stale);
            if (lazy) {
                r.put("lazyWindowP50Us", w.getValueAtPercentile(50)).put("lazyWindowP99Us", w.getValueAtPercentile(99))
                        .put("lazyWindowMaxUs", w.getMaxValue());
            }
            Files.writeString(report, r.toPrettyString());
        }
        return failed == 0 && (lazy || stale == 0) ? 0 : 1;
    }

    private long stale(ServiceLauncher l) {
        return http.call("GET", l.url(Service.HW_SIM) + "/v1/hw/stats", null, null).body().path("staleTranslations").asLong();
    }

    private Ctx setUp(String ioas, String rid, boolean lazy) {
        Http.Reply c = http.call("POST", ioas + "/v1/contexts", null, "{}");
        String url = ioas + "/v1/contexts/" + c.body().path("id").asText();
        String token = c.body().path("token").asText();
        int mem = http.call("POST", url + "/memory", token, "{\"length\":\"0x200000\"}").body().path("id").asInt();
        Http.Reply d = http.call("POST", url + "/devices", token, "{\"rid\":\"" + rid + "\"}");
        if (d.status() != 201) {
            http.call("DELETE", url, token, null);
            throw new IllegalStateException("cannot bind " + rid + ": " + d);
        }
        int as = http.call("POST", url + "/ioas", token, "{}").body().path("id").asInt();
        Http.Reply a = http.call("PUT", url + "/devices/" + d.body().path("id").asInt() + "/attachment", token, "{\"ptId\":" + as + "}");
        if (a.status() != 200) {
            http.call("DELETE", url, token, null);
            throw new IllegalStateException("cannot attach " + rid + ": " + a);
        }
        if (lazy) {
            http.call("PUT", url + "/ioas/" + as + "/options/invalidation", token, "{\"mode\":\"LAZY\"}");
        }
        return new Ctx(url, token, url + "/ioas/" + as, mem, rid);
    }
}
