package dev.iommufd.tools.cli;

import dev.iommufd.tools.launch.Service;
import dev.iommufd.tools.launch.ServiceLauncher;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * A guided walk through what works today, against the real services. It grows with them: each
 * step prints the call and what came back.
 */
@Command(name = "demo", description = "Start what is missing, then walk a scenario and print what happens.")
public class DemoCommand implements Callable<Integer> {
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
        step("POST", hw + "/v1/hw/devices/0000:03:00.0/dma", null, "{\"iova\":\"0x40001000\",\"length\":7,\"write\":false}", 200);
        System.out.println("   (not attached yet: the DMA is blocked)");
        step("PUT", ioas + "/v1/contexts/" + id + "/devices/" + dev + "/attachment", token, "{\"ptId\":" + as + "}", 200);
        step("GET", ioasUrl + "/iova-ranges", token, null, 200);
        System.out.println("   (the domain's 48-bit aperture and the MSI window are no longer usable IOVA)");

        section("DMA through hw-sim: ATC → IOTLB → page walk");
        step("POST", hw + "/v1/hw/devices/0000:03:00.0/dma", null, "{\"iova\":\"0x40001000\",\"length\":7,\"write\":false}", 200);
        step("POST", hw + "/v1/hw/devices/0000:03:00.0/dma", null, "{\"iova\":\"0x40001000\",\"length\":7,\"write\":false}", 200);
        step("GET", hw + "/v1/hw/iommus/dmar0/iotlb", null, null, 200);
        step("GET", hw + "/v1/hw/devices/0000:03:00.0/atc", null, null, 200);

        section("strict unmap: answered only after hw-sim invalidated the IOTLB and the ATC");
        step("POST", ioasUrl + "/unmap", token, "{\"iova\":\"0x40000000\",\"length\":\"0x200000\"}", 200);
        step("POST", hw + "/v1/hw/devices/0000:03:00.0/dma", null, "{\"iova\":\"0x40001000\",\"length\":7,\"write\":false}", 200);
        Http.Reply stats = step("GET", hw + "/v1/hw/stats", null, null, 200);
        System.out.println("   staleTranslations = " + stats.body().path("staleTranslations").asLong() + " (must stay 0 in STRICT mode)");

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

    private static void section(String title) {
        System.out.println();
        System.out.println("== " + title);
    }

    private Http.Reply step(String method, String url, String token, String body, int expected) {
        Http.Reply r = http.call(method, url, token, body);
        boolean ok = r.status() == expected;
        if (!ok) {
            failures++;
        }
        System.out.printf(" %s %s %s%s%n     → %s  (%d µs)%n", ok ? "✓" : "✗", method, url.replaceFirst("http://127.0.0.1", ""),
                body == null ? "" : " " + body, r, r.micros());
        return r;
    }
}
