package dev.iommufd.tools.cli;

import dev.iommufd.devinfra.LocalInfra;
import dev.iommufd.tools.launch.Service;
import dev.iommufd.tools.launch.ServiceLauncher;
import dev.iommufd.tools.load.BatchMeters;
import dev.iommufd.tools.load.HtmlReport;
import dev.iommufd.tools.load.Invalidations;
import dev.iommufd.tools.load.KafkaBaseline;
import dev.iommufd.tools.load.LoadReport;
import dev.iommufd.tools.load.Pacing;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Load generator. Scenario {@code strict-unmap}: each client maps a 4 KiB page into an IOAS whose
 * domain has a device attached, then strict-unmaps it; the unmap latency is recorded (HdrHistogram).
 * Devices are exclusive to a context, so clients share the contexts of the platform's free devices
 * round-robin. Ends with hw-sim's stale-translation count (must be 0) and IOTLB hit rate.
 * Scenario {@code lazy-unmap}: the same with the IOAS in LAZY mode, and before each unmap a DMA
 * that puts the page in the IOTLB; after the unmap's answer the device reads the page until it
 * faults: that time is the lazy window (recorded separately). Stale translations are expected
 * there and reported, not an error.
 * Scenario {@code page-fault}: a PRI device attached to a HWPT with a fault queue reads an unmapped
 * page; the page request reaches fault-service, the client gets the group from the queue's SSE
 * stream, maps the page and answers SUCCESS, and the DMA completes: that round trip (DMA start →
 * DMA done) is recorded; the page is then unmapped (strict) for the next round. One client per
 * PRI device's context. Scenario {@code vtd-invalidate}: a device of dmar0 attached to a VT-d stage-1
 * nested HWPT (over a NEST_PARENT paging HWPT); each operation is one 256-entry page-selective
 * invalidation array through viommu-service, answered after hw-sim completed it. Scenario
 * {@code smmu-invalidate}: a device of smmu0 with a vIOMMU (ARM_SMMUV3) over a NEST_PARENT HWPT and a
 * vdevice; each operation is one array of SMMUv3 commands (TLBI_NH_VA, every 16th TLBI_NH_ASID) through
 * the vIOMMU's invalidate. Both array scenarios take {@code --entries} and report entries/s.
 * <p>Closed loop by default; {@code --rate} paces the clients and measures latency from each
 * operation's intended start (coordinated omission). {@code --baseline} measures this machine's raw
 * Kafka ceiling in the same run. Reports: terminal, {@code --report} JSON, {@code --html} page.
 */
@Command(name = "load", mixinStandardHelpOptions = true, description = "Drive a scenario against the running stack and report latency percentiles and throughput.")
public class LoadCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] DEVICES = {"0000:03:00.0", "0000:04:00.0", "0000:05:00.0", "0001:00:01.0", "0001:00:02.0", "0000:00:02.0"};

    @Option(names = "--scenario", defaultValue = "strict-unmap", description = "strict-unmap, lazy-unmap, page-fault, vtd-invalidate or smmu-invalidate")
    String scenario;

    @Option(names = "--entries", defaultValue = "256", description = "vtd-invalidate, smmu-invalidate: entries per invalidation array (default ${DEFAULT-VALUE})")
    int entries;

    @Option(names = "--clients", defaultValue = "1", description = "concurrent clients (each on its own context while free devices last)")
    int clients;

    @Option(names = "--ops", defaultValue = "500", description = "unmaps per client (ignored with --duration)")
    int ops;

    @Option(names = "--duration", description = "run for this many seconds instead of --ops")
    Integer duration;

    @Option(names = "--rate", defaultValue = "0", description = "target unmaps/s over all clients; 0 = closed loop")
    double rate;

    @Option(names = "--dma", description = "strict-unmap: two DMA reads before each unmap (IOTLB/ATC filled, then hit) and one after "
            + "its answer, which must fault; gives the hit rates and makes the stale-translation check bite (lazy-unmap always probes)")
    boolean dmaProbes;

    @Option(names = "--baseline", description = "also measure raw Kafka produce→consume (records/s, one hop) in this run")
    boolean baseline;

    @Option(names = "--baseline-seconds", defaultValue = "3", description = "how long the baseline produces (default ${DEFAULT-VALUE})")
    int baselineSeconds;

    @Option(names = "--report", description = "write a JSON report here")
    Path report;

    @Option(names = "--html", description = "write a self-contained HTML report (charts) here")
    Path html;

    @Option(names = "--port-offset", defaultValue = "0", description = "drive the stack whose ports are 8081–8084 plus this "
            + "(10000: the end-to-end tests' stack, which is then used as it runs; default ${DEFAULT-VALUE}: iommuctl up's)")
    int portOffset;

    private final Http http = new Http();

    /**
     * One context with its device attached; {@code targetUrl}: for page-fault its fault queue (whose group
     * stream is {@code groups}); for vtd-invalidate its nested HWPT, for smmu-invalidate its vIOMMU, on viommu-service.
     */
    record Ctx(String url, String token, String ioasUrl, int memoryId, String rid, String targetUrl, GroupStream groups) {}

    /** Devices of the default topology's VT-d IOMMU with nesting (dmar0). */
    private static final String[] VTD_NESTING_DEVICES = {"0000:03:00.0", "0000:04:00.0", "0000:05:00.0"};

    /** Devices of the default topology's SMMUv3 (smmu0, nesting). */
    private static final String[] SMMU_DEVICES = {"0001:00:01.0", "0001:00:02.0"};

    /** The ASID the smmu-invalidate commands name (the guest's, in the stage-1 context descriptor). */
    private static final int SMMU_ASID = 1;

    /** PRI-capable devices of the default topology. */
    private static final String[] PRI_DEVICES = {"0000:04:00.0", "0000:03:00.0", "0001:00:01.0"};

    private final HttpClient client = HttpClient.newHttpClient();

    /** A fault queue's SSE stream (fault-service): one page-request group per message, queued for the client. */
    final class GroupStream implements AutoCloseable {
        private final BlockingQueue<JsonNode> groups = new LinkedBlockingQueue<>();
        private final HttpResponse<Stream<String>> resp;

        GroupStream(String url, String token) throws IOException, InterruptedException {
            resp = client.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                    .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines());
            if (resp.statusCode() != 200) {
                throw new IllegalStateException("fault stream " + url + " answered " + resp.statusCode());
            }
            Thread reader = new Thread(() -> {
                try {
                    resp.body().filter(line -> line.startsWith("data:")).forEach(line -> {
                        try {
                            groups.add(JSON.readTree(line.substring(5).trim()));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
                } catch (RuntimeException closed) {
                    // the stream ends when the load does
                }
            }, "fault-stream");
            reader.setDaemon(true);
            reader.start();
        }

        JsonNode next(Duration timeout) throws InterruptedException {
            return groups.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            resp.body().close();
        }
    }

    @Override
    public Integer call() throws Exception {
        boolean lazy = scenario.equals("lazy-unmap");
        boolean faults = scenario.equals(LoadReport.PAGE_FAULT);
        boolean vtd = scenario.equals(LoadReport.VTD_INVALIDATE);
        boolean smmu = scenario.equals(LoadReport.SMMU_INVALIDATE);
        if (!scenario.equals("strict-unmap") && !lazy && !faults && !vtd && !smmu) {
            System.err.println("unknown scenario " + scenario);
            return 2;
        }
        if (clients < 1 || ops < 1 || rate < 0 || (duration != null && duration < 1) || entries < 1) {
            System.err.println("clients, ops, entries and duration must be >= 1, rate >= 0");
            return 2;
        }
        ServiceLauncher l = portOffset == 0 ? ServiceLauncher.forCli()
                : new ServiceLauncher(LocalInfra.repoRoot(), portOffset, "load");
        l.up();
        String ioas = l.url(Service.IOAS);
        List<Ctx> contexts = new ArrayList<>();
        try {
            String[] devices = faults ? PRI_DEVICES : vtd ? VTD_NESTING_DEVICES : smmu ? SMMU_DEVICES : DEVICES;
            for (String rid : devices) {
                if (contexts.size() == Math.min(clients, devices.length)) {
                    break;
                }
                Ctx c = setUp(l, rid, lazy, faults, vtd, smmu);
                if (c != null) {
                    contexts.add(c);
                }
            }
            if (contexts.isEmpty()) {
                System.err.println("no free device: every device is bound by another context");
                return 1;
            }
            KafkaBaseline.Result base = null;
            if (baseline) {
                System.err.println("measuring the Kafka baseline (" + baselineSeconds + " s) ...");
                base = KafkaBaseline.measure(l.infra().endpoints().kafkaBootstrap(), Duration.ofSeconds(baselineSeconds), 200);
            }
            if (faults && clients > contexts.size()) {
                // a fault queue's groups cannot be told apart by client: one client per context
                System.err.println("page-fault: " + contexts.size() + " clients (one per PRI device context)");
                clients = contexts.size();
            }
            BatchMeters batchesBefore = vtd || smmu ? batchMeters(l) : null;
            LoadReport r = run(l, contexts, lazy, faults, vtd || smmu, base);
            System.out.print(r.text());
            // whether concurrent clients shared records and syncs (the stack's other traffic counts too)
            BatchMeters batches = batchesBefore == null ? null : batchMeters(l).since(batchesBefore);
            if (batches != null) {
                System.out.print(batches.text());
            }
            if (report != null) {
                com.fasterxml.jackson.databind.node.ObjectNode json = r.toJson();
                if (batches != null) {
                    batches.into(json);
                }
                Files.writeString(report, json.toPrettyString());
                System.out.println("JSON report: " + report);
            }
            if (html != null) {
                Files.writeString(html, HtmlReport.render(r));
                System.out.println("HTML report: " + html);
            }
            return r.passed() ? 0 : 1;
        } finally {
            // a context holds its device: close them whatever happened, or the next run finds EBUSY
            for (Ctx c : contexts) {
                if (c.groups() != null) {
                    c.groups().close();
                }
                http.call("DELETE", c.url, c.token, null);
            }
        }
    }

    private LoadReport run(ServiceLauncher l, List<Ctx> contexts, boolean lazy, boolean faults, boolean arrays, KafkaBaseline.Result base)
            throws Exception {
        String dmaBase = l.url(Service.HW_SIM) + "/v1/hw/devices/";
        JsonNode statsBefore = stats(l);
        Recorder measured = new Recorder(3);
        Recorder corrected = new Recorder(3);
        Recorder window = new Recorder(3);
        Pacing pacing = new Pacing(rate, clients);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
        long deadline = duration == null ? Long.MAX_VALUE : start + duration * 1_000_000_000L;
        Histogram total = new Histogram(3);
        List<LoadReport.Interval> intervals = new ArrayList<>();
        long[] failedSoFar = {0};
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        Runnable sample = () -> {
            synchronized (total) {
                Histogram h = measured.getIntervalHistogram();
                total.add(h);
                double at = (System.nanoTime() - start) / 1e9;
                intervals.add(new LoadReport.Interval(at, h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getMaxValue()));
                System.err.printf("%s[%5.1f s] %d %s, %d/s now, p99 %d µs%s", System.console() != null ? "\r" : "", at, total.getTotalCount(),
                        faults ? "fault round trips" : arrays ? "invalidation arrays" : "unmaps", h.getTotalCount(), h.getValueAtPercentile(99), System.console() != null ? "   " : "\n");
            }
        };
        sampler.scheduleAtFixedRate(sample, 1, 1, TimeUnit.SECONDS);
        List<Future<Integer>> errors = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Ctx ctx = contexts.get(c % contexts.size());
            long base64k = 0x100000000L + (long) c * 0x10000000L;
            int client = c;
            errors.add(pool.submit(() -> {
                int failed = 0;
                for (long i = 0; duration != null ? System.nanoTime() < deadline : i < ops; i++) {
                    long due = start + pacing.dueNanos(client, i);
                    while (System.nanoTime() < due) {
                        LockSupport.parkNanos(due - System.nanoTime());
                    }
                    long late = Math.max(0, System.nanoTime() - due); // how far behind schedule this operation starts
                    if (faults || arrays) {
                        long t0 = System.nanoTime();
                        failed += faults ? faultRoundTrip(l, ctx, 0x100000L + (i % 1024) * 0x1000, (i % 512) * 0x1000)
                                : invalidateArray(ctx, i);
                        long done = System.nanoTime();
                        measured.recordValue((done - t0) / 1000);
                        if (!pacing.closedLoop()) {
                            corrected.recordValue((done - t0 + late) / 1000);
                        }
                        continue;
                    }
                    String iova = "0x" + Long.toHexString(base64k + (i % 1024) * 0x1000);
                    Http.Reply m = http.call("POST", ctx.ioasUrl + "/map", ctx.token, "{\"flags\":[\"FIXED_IOVA\",\"READABLE\"],\"memoryId\":"
                            + ctx.memoryId + ",\"length\":4096,\"iova\":\"" + iova + "\"}");
                    String dma = "{\"iova\":\"" + iova + "\",\"length\":4,\"write\":false}";
                    for (int probe = 0; probe < (lazy ? 1 : dmaProbes ? 2 : 0); probe++) { // the first fills IOTLB/ATC, the second hits
                        if (!"OK".equals(http.call("POST", dmaBase + ctx.rid + "/dma", null, dma).body().path("status").asText())) {
                            failed++;
                        }
                    }
                    long t0 = System.nanoTime();
                    Http.Reply u = http.call("POST", ctx.ioasUrl + "/unmap", ctx.token, "{\"iova\":\"" + iova + "\",\"length\":4096}");
                    long answered = System.nanoTime();
                    measured.recordValue((answered - t0) / 1000);
                    if (!pacing.closedLoop()) {
                        // as a caller at the target rate sees it: a stall delays every later operation, and that delay counts
                        corrected.recordValue((answered - t0 + late) / 1000);
                    }
                    if (m.status() != 201 || u.status() != 200) {
                        failed++;
                    }
                    if (!lazy && dmaProbes && !"FAULT".equals(http.call("POST", dmaBase + ctx.rid + "/dma", null, dma).body().path("status")
                            .asText())) {
                        failed++; // STRICT: once the unmap is answered, nothing translates the page any more
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
        sampler.shutdown();
        sampler.awaitTermination(5, TimeUnit.SECONDS);
        sample.run(); // the last partial second
        if (System.console() != null) {
            System.err.println();
        }
        pool.shutdown();
        Histogram co;
        if (pacing.closedLoop()) {
            // closed loop has no schedule: HdrHistogram's correction with the median as the expected interval
            co = total.copyCorrectedForCoordinatedOmission(Math.max(1, total.getValueAtPercentile(50)));
        } else {
            co = corrected.getIntervalHistogram();
        }
        JsonNode statsAfter = stats(l);
        long hits = statsAfter.path("iotlbHits").asLong() - statsBefore.path("iotlbHits").asLong();
        long misses = statsAfter.path("iotlbMisses").asLong() - statsBefore.path("iotlbMisses").asLong();
        long stale = statsAfter.path("staleTranslations").asLong() - statsBefore.path("staleTranslations").asLong();
        long atcHits = statsAfter.path("atcHits").asLong() - statsBefore.path("atcHits").asLong();
        return new LoadReport(scenario, clients, contexts.size(), rate, total.getTotalCount(), seconds, failed, total, co,
                lazy ? window.getIntervalHistogram() : null, List.copyOf(intervals), hits, misses, atcHits,
                hits + misses == 0 ? Double.NaN : (double) hits / (hits + misses), stale, base, arrays ? entries : 1);
    }

    /**
     * One I/O page fault served end to end: the device reads an unmapped page (hw-sim sends a page
     * request and holds the DMA), the group arrives on the fault queue's stream, the VMM maps the
     * page and answers SUCCESS, the DMA completes; then the page is unmapped again. Returns failures.
     */
    private int faultRoundTrip(ServiceLauncher l, Ctx ctx, long iova, long offset) throws Exception {
        String hex = "0x" + Long.toHexString(iova);
        var dma = client.sendAsync(HttpRequest.newBuilder(URI.create(l.url(Service.HW_SIM) + "/v1/hw/devices/" + ctx.rid + "/dma"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"iova\":\"" + hex + "\",\"length\":4,\"write\":false,\"priTimeoutMs\":15000}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        JsonNode group = ctx.groups.next(Duration.ofSeconds(15));
        if (group == null) {
            dma.cancel(true);
            return 1;
        }
        Http.Reply m = http.call("POST", ctx.ioasUrl + "/map", ctx.token, "{\"flags\":[\"FIXED_IOVA\",\"READABLE\",\"WRITEABLE\"],\"memoryId\":"
                + ctx.memoryId + ",\"start\":" + offset + ",\"length\":\"0x1000\",\"iova\":\"" + hex + "\"}");
        Http.Reply r = http.call("POST", ctx.targetUrl + "/responses", ctx.token, "{\"responses\":[{\"cookie\":"
                + group.path("cookie").asLong() + ",\"code\":\"SUCCESS\"}]}");
        JsonNode done = JSON.readTree(dma.get(20, TimeUnit.SECONDS).body());
        int failed = m.status() == 201 && r.status() == 200 && "OK".equals(done.path("status").asText())
                && hex.equals(group.path("faults").path(0).path("addr").asText()) ? 0 : 1;
        if (http.call("POST", ctx.ioasUrl + "/unmap", ctx.token, "{\"iova\":\"" + hex + "\",\"length\":4096}").status() != 200) {
            failed++;
        }
        return failed;
    }

    /**
     * One invalidation array of {@code --entries} entries: VT-d stage-1 page-selective entries on the nested
     * HWPT, or SMMUv3 commands on the vIOMMU (viommu-service turns them into IOTLB/ATC invalidations and
     * answers after hw-sim's completion). Returns failures: anything but 200 with every entry applied.
     */
    private int invalidateArray(Ctx ctx, long op) {
        String body = scenario.equals(LoadReport.SMMU_INVALIDATE) ? Invalidations.smmuArray(entries, op, SMMU_ASID)
                : Invalidations.vtdArray(entries, op);
        Http.Reply r = http.call("POST", ctx.targetUrl + "/invalidate", ctx.token, body);
        return r.status() == 200 && r.body().path("entryNum").asInt() == entries ? 0 : 1;
    }

    /** viommu-service's invalidation batching meters (Prometheus page). */
    private BatchMeters batchMeters(ServiceLauncher l) throws IOException, InterruptedException {
        HttpResponse<String> m = client.send(HttpRequest.newBuilder(URI.create(l.url(Service.VIOMMU) + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        return BatchMeters.parse(m.statusCode() == 200 ? m.body() : "");
    }

    private JsonNode stats(ServiceLauncher l) {
        return http.call("GET", l.url(Service.HW_SIM) + "/v1/hw/stats", null, null).body();
    }

    /** A context with {@code rid} bound and attached to a fresh IOAS, or null when the device is taken (EBUSY). */
    private Ctx setUp(ServiceLauncher l, String rid, boolean lazy, boolean faults, boolean vtd, boolean smmu)
            throws IOException, InterruptedException {
        String ioas = l.url(Service.IOAS);
        Http.Reply c = http.call("POST", ioas + "/v1/contexts", null, "{}");
        String url = ioas + "/v1/contexts/" + c.body().path("id").asText();
        String token = c.body().path("token").asText();
        int mem = http.call("POST", url + "/memory", token, "{\"length\":\"0x200000\"}").body().path("id").asInt();
        Http.Reply d = http.call("POST", url + "/devices", token, "{\"rid\":\"" + rid + "\"}");
        if (d.status() != 201) {
            http.call("DELETE", url, token, null);
            System.err.println("skipping " + rid + ": " + d);
            return null;
        }
        int as = http.call("POST", url + "/ioas", token, "{}").body().path("id").asInt();
        int pt = as;
        String faultQueueUrl = null;
        if (faults) { // a HWPT with a fault queue: a translation miss of this PRI device becomes a page request
            String queues = l.url(Service.FAULT) + "/v1/contexts/" + c.body().path("id").asText() + "/fault-queues";
            int queue = http.call("POST", queues, token, "{}").body().path("id").asInt();
            faultQueueUrl = queues + "/" + queue;
            Http.Reply h = http.call("POST", url + "/hwpts", token, "{\"deviceId\":" + d.body().path("id").asInt() + ",\"ptId\":" + as
                    + ",\"flags\":[\"FAULT_ID_VALID\"],\"faultId\":" + queue + "}");
            if (h.status() != 201) {
                http.call("DELETE", url, token, null);
                throw new IllegalStateException("cannot allocate a fault-capable HWPT for " + rid + ": " + h);
            }
            pt = h.body().path("id").asInt();
        }
        if (vtd) { // a NEST_PARENT paging HWPT and a VT-d stage-1 nested HWPT over it (viommu-service), which the device uses
            Http.Reply parent = http.call("POST", url + "/hwpts", token, "{\"deviceId\":" + d.body().path("id").asInt() + ",\"ptId\":" + as
                    + ",\"flags\":[\"NEST_PARENT\"]}");
            Http.Reply nested = parent.status() != 201 ? parent : http.call("POST", l.url(Service.VIOMMU) + "/v1/contexts/"
                    + c.body().path("id").asText() + "/nested-hwpts", token, "{\"deviceId\":" + d.body().path("id").asInt() + ",\"ptId\":"
                    + parent.body().path("id").asInt() + ",\"data\":{\"type\":\"VTD_S1\",\"pgtblAddr\":\"0x100000\",\"addrWidth\":48}}");
            if (nested.status() != 201) {
                http.call("DELETE", url, token, null);
                throw new IllegalStateException("cannot set up a nested HWPT for " + rid + ": " + nested);
            }
            pt = nested.body().path("id").asInt();
            faultQueueUrl = l.url(Service.VIOMMU) + "/v1/contexts/" + c.body().path("id").asText() + "/nested-hwpts/" + pt;
        }
        if (smmu) { // a vIOMMU over a NEST_PARENT HWPT and a vdevice (vSID 0x20), so commands naming the device translate
            String viommus = l.url(Service.VIOMMU) + "/v1/contexts/" + c.body().path("id").asText();
            Http.Reply parent = http.call("POST", url + "/hwpts", token, "{\"deviceId\":" + d.body().path("id").asInt() + ",\"ptId\":" + as
                    + ",\"flags\":[\"NEST_PARENT\"]}");
            Http.Reply v = parent.status() != 201 ? parent : http.call("POST", viommus + "/viommus", token, "{\"type\":\"ARM_SMMUV3\",\"deviceId\":"
                    + d.body().path("id").asInt() + ",\"hwptId\":" + parent.body().path("id").asInt() + "}");
            Http.Reply vd = v.status() != 201 ? v : http.call("POST", viommus + "/vdevices", token, "{\"viommuId\":" + v.body().path("id").asInt()
                    + ",\"deviceId\":" + d.body().path("id").asInt() + ",\"virtId\":\"0x20\"}");
            if (vd.status() != 201) {
                http.call("DELETE", url, token, null);
                throw new IllegalStateException("cannot set up a vIOMMU for " + rid + ": " + vd);
            }
            pt = parent.body().path("id").asInt();
            faultQueueUrl = viommus + "/viommus/" + v.body().path("id").asInt();
        }
        Http.Reply a = http.call("PUT", url + "/devices/" + d.body().path("id").asInt() + "/attachment", token, "{\"ptId\":" + pt + "}");
        if (a.status() != 200) {
            http.call("DELETE", url, token, null);
            throw new IllegalStateException("cannot attach " + rid + ": " + a);
        }
        if (lazy) {
            http.call("PUT", url + "/ioas/" + as + "/options/invalidation", token, "{\"mode\":\"LAZY\"}");
        }
        return new Ctx(url, token, url + "/ioas/" + as, mem, rid, faultQueueUrl,
                faults ? new GroupStream(faultQueueUrl + "/stream", token) : null);
    }
}
