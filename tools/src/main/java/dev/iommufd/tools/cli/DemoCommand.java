package dev.iommufd.tools.cli;

import dev.iommufd.tools.launch.Service;
import dev.iommufd.tools.launch.ServiceLauncher;
import com.fasterxml.jackson.databind.JsonNode;
import dev.iommufd.tools.load.Invalidations;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * A guided walk through what works today, against the real services. It grows with them: each
 * step prints the call and what came back.
 */
@Command(name = "demo", description = "Start what is missing, then walk a scenario and print what happens.")
public class DemoCommand implements Callable<Integer> {
    /** The PRI accelerator of the default topology (dmar0: nesting, ATS, PRI). */
    private static final String ACCEL = "0000:04:00.0";

    private final Http http = new Http();
    private int failures;

    @Override
    public Integer call() {
        java.time.Instant started = java.time.Instant.now().minusSeconds(1);
        ServiceLauncher l = ServiceLauncher.forCli();
        System.out.println("== bringing the stack up (Kafka, PostgreSQL, hw-sim, ioas-service, viommu-service, fault-service)");
        l.up();
        StatusCommand.print(l);
        String hw = l.url(Service.HW_SIM);
        String ioas = l.url(Service.IOAS);

        section("the simulated platform (hw-sim)");
        Http.Reply iommus = step("GET", hw + "/v1/hw/iommus", null, null, 200);
        iommus.body().path("iommus").forEach(i -> System.out.printf("   %-6s %-11s %d-bit  caps=%s%n",
                i.path("id").asText(), i.path("type").asText(), i.path("addressWidth").asInt(), i.path("capabilities")));
        Http.Reply devices = step("GET", hw + "/v1/hw/devices", null, null, 200);
        devices.body().path("devices").forEach(d -> System.out.printf("   %-13s on %-6s ats=%-5s pasidBits=%-2d pri=%d%n",
                d.path("rid").asText(), d.path("iommu").asText(), d.path("ats").asBoolean(), d.path("pasidBits").asInt(),
                d.path("priOutstanding").asInt()));

        section("open a context (/dev/iommu) on ioas-service");
        Http.Reply ctx = step("POST", ioas + "/v1/contexts", null, "{}", 201);
        String id = ctx.body().path("id").asText();
        String token = ctx.body().path("token").asText();
        System.out.println("   context " + id + ", token " + token.substring(0, 24) + "…");
        step("GET", ioas + "/v1/contexts/" + id + "/objects", token, null, 200);
        step("PUT", ioas + "/v1/contexts/" + id + "/options/rlimit-mode", token, "{\"value\":1}", 200);

        section("one round trip through an IOMMU command queue: ioas-service → Kafka → hw-sim → Kafka → ioas-service");
        for (String iommu : new String[] {"dmar0", "smmu0"}) {
            Http.Reply sync = step("POST", ioas + "/v1/internal/iommus/" + iommu + "/sync", null, null, 200);
            System.out.println("   completion of sequence " + sync.body().path("sequence").asLong() + " after "
                    + sync.body().path("latencyUs").asLong() + " µs");
        }

        section("give a device a DMA address space: memory, bind, IOAS, map, attach");
        Http.Reply mem = step("POST", ioas + "/v1/contexts/" + id + "/memory", token, "{\"length\":\"0x200000\"}", 201);
        long hostPa = Long.decode(mem.body().path("hostPa").asText());
        step("PUT", hw + "/v1/hw/memory/0x" + Long.toHexString(hostPa + 0x1000), null, "{\"data\":\"aW9tbXVmZA==\"}", 204);
        System.out.println("   (the VMM's memory at host PA 0x" + Long.toHexString(hostPa) + " now holds \"iommufd\" at +0x1000)");
        int dev = step("POST", ioas + "/v1/contexts/" + id + "/devices", token, "{\"rid\":\"0000:03:00.0\"}", 201).body().path("id").asInt();
        step("GET", ioas + "/v1/contexts/" + id + "/devices/" + dev + "/hw-info", token, null, 200);
        int as = step("POST", ioas + "/v1/contexts/" + id + "/ioas", token, "{}", 201).body().path("id").asInt();
        String ioasUrl = ioas + "/v1/contexts/" + id + "/ioas/" + as;
        step("POST", ioasUrl + "/map", token, "{\"flags\":[\"FIXED_IOVA\",\"READABLE\",\"WRITEABLE\"],\"memoryId\":"
                + mem.body().path("id").asInt() + ",\"length\":\"0x200000\",\"iova\":\"0x40000000\"}", 201);
        dma(hw, "0000:03:00.0", "0x40001000", "FAULT");
        System.out.println("   (not attached yet: the DMA is blocked)");
        step("PUT", ioas + "/v1/contexts/" + id + "/devices/" + dev + "/attachment", token, "{\"ptId\":" + as + "}", 200);
        step("GET", ioasUrl + "/iova-ranges", token, null, 200);
        System.out.println("   (the domain's 48-bit aperture and the MSI window are no longer usable IOVA)");

        section("DMA through hw-sim: ATC → IOTLB → page walk");
        dma(hw, "0000:03:00.0", "0x40001000", "OK");
        dma(hw, "0000:03:00.0", "0x40001000", "OK");
        step("GET", hw + "/v1/hw/iommus/dmar0/iotlb", null, null, 200);
        step("GET", hw + "/v1/hw/devices/0000:03:00.0/atc", null, null, 200);

        section("strict unmap: answered only after hw-sim invalidated the IOTLB and the ATC");
        step("POST", ioasUrl + "/unmap", token, "{\"iova\":\"0x40000000\",\"length\":\"0x200000\"}", 200);
        dma(hw, "0000:03:00.0", "0x40001000", "FAULT");
        Http.Reply stats = step("GET", hw + "/v1/hw/stats", null, null, 200);
        long stale = stats.body().path("staleTranslations").asLong();
        System.out.println("   staleTranslations = " + stale + " (must stay 0 in STRICT mode)");
        if (stale != 0) {
            failures++;
        }

        int accel = pageFault(l, id, token, mem.body().path("id").asInt());
        nestedInvalidation(l, id, token, accel);

        section("what a client gets wrong, it is told exactly (nothing changes)");
        step("PUT", ioas + "/v1/contexts/" + id + "/options/rlimit-mode", token, "{\"value\":2}", 400);
        step("PUT", ioas + "/v1/contexts/" + id + "/options/rlimit-mode", token, "{\"value\":0}", 409);
        step("PUT", ioas + "/v1/contexts/" + id + "/options/rlimit-mode", token, "{\"value\":0,\"bogus\":1}", 400);
        step("GET", ioas + "/v1/contexts/" + id + "/objects", null, null, 401);
        Http.Reply other = http.call("POST", ioas + "/v1/contexts", null, "{}");
        step("GET", ioas + "/v1/contexts/" + id + "/objects", other.body().path("token").asText(), null, 404);
        step("GET", l.url(Service.VIOMMU) + "/v1/contexts/" + id + "/viommus/1", token, null, 404);
        step("GET", l.url(Service.FAULT) + "/v1/contexts/" + id + "/fault-queues/1/faults", token, null, 404);
        step("POST", ioasUrl + "/unmap", token, "{\"iova\":\"0x40000000\",\"length\":\"0x1000\"}", 404);
        step("DELETE", ioas + "/v1/contexts/" + id + "/objects/" + as, token, null, 409);

        section("close the contexts");
        step("DELETE", ioas + "/v1/contexts/" + id, token, null, 204);
        http.call("DELETE", ioas + "/v1/contexts/" + other.body().path("id").asText(), other.body().path("token").asText(), null);
        step("GET", ioas + "/v1/contexts/" + id + "/objects", token, null, 404);

        section("what just happened, read back from Kafka: ./iommuctl replay --context " + id);
        // the flight recorder over this demo's events only (since it started): linked timeline, re-driven digest, invariants
        int replayed = new CommandLine(new ReplayCommand()).execute("--context", id, "--from-time", started.toString(),
                "--bootstrap", l.infra().endpoints().kafkaBootstrap());
        if (replayed != 0) {
            failures++;
        }

        System.out.println();
        System.out.println(failures == 0 ? "demo finished: every step answered as expected."
                : "demo finished with " + failures + " unexpected answers (see above).");
        System.out.println("The services keep running: ./iommuctl status | ./iommuctl down");
        return failures == 0 ? 0 : 1;
    }

    /**
     * A page fault served (FaultIT, load scenario page-fault): the accelerator, attached to a HWPT with a fault queue,
     * reads an unmapped IOVA; hw-sim sends a page request and holds the DMA (so it runs on another thread) until
     * fault-service relays the answer; the VMM reads the group, maps the page, answers SUCCESS and the DMA completes.
     */
    private int pageFault(ServiceLauncher l, String id, String token, int memoryId) {
        String hw = l.url(Service.HW_SIM);
        String ctx = l.url(Service.IOAS) + "/v1/contexts/" + id;
        String queues = l.url(Service.FAULT) + "/v1/contexts/" + id + "/fault-queues";
        section("a page fault served: DMA to an unmapped IOVA → page request → fault-service → the VMM maps and answers → DMA done");
        int dev = step("POST", ctx + "/devices", token, "{\"rid\":\"" + ACCEL + "\"}", 201).body().path("id").asInt();
        int queue = step("POST", queues, token, "{}", 201).body().path("id").asInt();
        int as = step("POST", ctx + "/ioas", token, "{}", 201).body().path("id").asInt();
        int hwpt = step("POST", ctx + "/hwpts", token, "{\"deviceId\":" + dev + ",\"ptId\":" + as + ",\"flags\":[\"FAULT_ID_VALID\"],\"faultId\":"
                + queue + "}", 201).body().path("id").asInt();
        step("PUT", ctx + "/devices/" + dev + "/attachment", token, "{\"ptId\":" + hwpt + "}", 200);
        String dmaBody = "{\"iova\":\"0x100000\",\"length\":7,\"write\":false,\"priTimeoutMs\":15000}";
        System.out.println("   POST /v1/hw/devices/" + ACCEL + "/dma " + dmaBody + "  (on another thread: it waits for the answer)");
        CompletableFuture<Http.Reply> pending = CompletableFuture.supplyAsync(() -> http.call("POST", hw + "/v1/hw/devices/" + ACCEL + "/dma", null, dmaBody));
        // the group reaches fault-service through Kafka: poll the queue (reading consumes the group) until it is there
        Http.Reply faults = http.call("GET", queues + "/" + queue + "/faults", token, null);
        long until = System.nanoTime() + 15_000_000_000L;
        while (faults.status() == 200 && faults.body().path("groups").isEmpty() && System.nanoTime() < until && !pending.isDone()) {
            sleep(100);
            faults = http.call("GET", queues + "/" + queue + "/faults", token, null);
        }
        JsonNode group = faults.body() == null ? null : faults.body().path("groups").path(0);
        print("GET", queues + "/" + queue + "/faults", null, faults,
                faults.status() == 200 && group != null && "0x100000".equals(group.path("faults").path(0).path("addr").asText()));
        if (group == null || group.isMissingNode()) {
            pending.cancel(true);
            return dev;
        }
        step("POST", ctx + "/ioas/" + as + "/map", token, "{\"flags\":[\"FIXED_IOVA\",\"READABLE\",\"WRITEABLE\"],\"memoryId\":" + memoryId
                + ",\"start\":4096,\"length\":\"0x1000\",\"iova\":\"0x100000\"}", 201);
        step("POST", queues + "/" + queue + "/responses", token, "{\"responses\":[{\"cookie\":" + group.path("cookie").asLong()
                + ",\"code\":\"SUCCESS\"}]}", 200);
        Http.Reply done;
        try {
            done = pending.get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            failures++;
            System.out.println(" ✗ the held DMA did not complete: " + e);
            return dev;
        }
        print("POST", hw + "/v1/hw/devices/" + ACCEL + "/dma", "(the held DMA)", done, done.status() == 200
                && "OK".equals(done.body().path("status").asText()) && done.body().path("pageRequests").asInt() >= 1);
        System.out.println("   (the device read \"" + text(done) + "\" from the page mapped while it waited)");
        return dev;
    }

    /**
     * A nested domain invalidated (NestedIT, load scenario vtd-invalidate): guest memory mapped at GPA 0x200000 in a
     * NEST_PARENT stage-2; the guest's VT-d first-stage table written into it (hw-sim memory); a VTD_S1 nested HWPT
     * over it, to which the accelerator moves (replacing its fault-capable HWPT: the demo needs no third free device);
     * it translates IOVA 0x40000000 through both stages; the guest clears its PTE and invalidates through
     * viommu-service (IOTLB and the device's ATC), and the same DMA faults.
     */
    private void nestedInvalidation(ServiceLauncher l, String id, String token, int dev) {
        String hw = l.url(Service.HW_SIM);
        String ctx = l.url(Service.IOAS) + "/v1/contexts/" + id;
        String viommu = l.url(Service.VIOMMU) + "/v1/contexts/" + id;
        long g = 0x200000;   // GPA where the guest memory sits (IOVA of the stage-2)
        section("a nested domain invalidated: the guest's VT-d first-stage table over a NEST_PARENT stage-2");
        Http.Reply mem = step("POST", ctx + "/memory", token, "{\"length\":\"0x200000\"}", 201);
        long hostPa = Long.decode(mem.body().path("hostPa").asText("0x0"));
        int as = step("POST", ctx + "/ioas", token, "{}", 201).body().path("id").asInt();
        step("POST", ctx + "/ioas/" + as + "/map", token, "{\"flags\":[\"FIXED_IOVA\",\"READABLE\",\"WRITEABLE\"],\"memoryId\":"
                + mem.body().path("id").asInt() + ",\"start\":0,\"length\":\"0x200000\",\"iova\":\"" + Invalidations.hex(g) + "\"}", 201);
        int parent = step("POST", ctx + "/hwpts", token, "{\"deviceId\":" + dev + ",\"ptId\":" + as + ",\"flags\":[\"NEST_PARENT\"]}", 201)
                .body().path("id").asInt();
        System.out.println("   the guest writes its 4-level table: PML4[0] → PDPT[1] → PD[0] → PT[0] → page, for IOVA 0x40000000");
        long pml4 = g, pdpt = g + 0x1000, pd = g + 0x2000, pt = g + 0x3000, page = g + 0x10000;
        long flags = Invalidations.P | Invalidations.RW | Invalidations.US;
        String memory = hw + "/v1/hw/memory/";
        step("PUT", memory + Invalidations.hex(hostPa + pml4 - g), null, Invalidations.pteBody(pdpt | flags), 204);
        step("PUT", memory + Invalidations.hex(hostPa + pdpt - g + 8), null, Invalidations.pteBody(pd | flags), 204);
        step("PUT", memory + Invalidations.hex(hostPa + pd - g), null, Invalidations.pteBody(pt | flags), 204);
        step("PUT", memory + Invalidations.hex(hostPa + pt - g), null, Invalidations.pteBody(page | flags), 204);
        step("PUT", memory + Invalidations.hex(hostPa + page - g), null, "{\"data\":\"TkVTVEVE\"}", 204);
        int nested = step("POST", viommu + "/nested-hwpts", token, "{\"deviceId\":" + dev + ",\"ptId\":" + parent
                + ",\"data\":{\"type\":\"VTD_S1\",\"pgtblAddr\":\"" + Invalidations.hex(pml4) + "\",\"addrWidth\":48}}", 201).body().path("id").asInt();
        step("PUT", ctx + "/devices/" + dev + "/attachment", token, "{\"ptId\":" + nested + "}", 200);
        Http.Reply ok = dma(hw, ACCEL, "0x40000000", "OK");
        System.out.println("   (IOVA 0x40000000 → guest table → GPA 0x" + Long.toHexString(page) + " → stage-2 → host PA 0x"
                + Long.toHexString(hostPa + page - g) + ": read \"" + text(ok) + "\")");
        System.out.println("   the guest clears its PTE, then invalidates the page (a one-entry VTD_S1 array)");
        step("PUT", memory + Invalidations.hex(hostPa + pt - g), null, Invalidations.pteBody(0), 204);
        Http.Reply inv = step("POST", viommu + "/nested-hwpts/" + nested + "/invalidate", token, Invalidations.vtdArray(1, 0), 200);
        if (inv.body() == null || inv.body().path("entryNum").asInt() != 1) {
            failures++;
            System.out.println(" ✗ expected entryNum 1");
        }
        dma(hw, ACCEL, "0x40000000", "FAULT");
    }

    /** A 7-byte DMA read; the step fails unless hw-sim answers 200 with {@code status}. */
    private Http.Reply dma(String hw, String rid, String iova, String status) {
        String url = hw + "/v1/hw/devices/" + rid + "/dma";
        String body = "{\"iova\":\"" + iova + "\",\"length\":7,\"write\":false}";
        Http.Reply r = http.call("POST", url, null, body);
        print("POST", url, body, r, r.status() == 200 && status.equals(r.body().path("status").asText()));
        return r;
    }

    private static String text(Http.Reply dma) {
        String data = dma.body() == null ? "" : dma.body().path("data").asText("");
        return new String(java.util.Base64.getDecoder().decode(data), java.nio.charset.StandardCharsets.US_ASCII).replaceAll("[^\\x20-\\x7e]", ".");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void section(String title) {
        System.out.println();
        System.out.println("== " + title);
    }

    private Http.Reply step(String method, String url, String token, String body, int expected) {
        Http.Reply r = http.call(method, url, token, body);
        print(method, url, body, r, r.status() == expected);
        return r;
    }

    /** One call and its answer, ✓ or ✗ (counted) as the expectation held. */
    private void print(String method, String url, String body, Http.Reply r, boolean ok) {
        if (!ok) {
            failures++;
        }
        System.out.printf(" %s %s %s%s%n     → %s  (%d µs)%n", ok ? "✓" : "✗", method, url.replaceFirst("http://127.0.0.1", ""),
                body == null ? "" : " " + body, r, r.micros());
    }
}
