package dev.iommufd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iommufd.tools.cli.LoadCommand;
import dev.iommufd.tools.launch.ServiceLauncher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code iommuctl load} end to end against the packaged services: a short strict-unmap run with DMA
 * probes and the Kafka baseline, and a short SMMUv3 invalidation-array run; the JSON report has
 * every field issue 8 asks for and the HTML report is a page with its charts.
 */
class LoadIT {
    static ServiceLauncher stack;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void up() {
        stack = E2eStack.start();
    }

    @AfterAll
    static void down() {
        E2eStack.stop(stack);
    }

    static JsonNode load(Path dir, String... args) throws Exception {
        Path json = dir.resolve("report.json");
        Path html = dir.resolve("report.html");
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(List.of("--port-offset", "10000", "--report", json.toString(), "--html", html.toString()));
        int exit = new CommandLine(new LoadCommand()).execute(all.toArray(String[]::new));
        assertEquals(0, exit, "iommuctl load " + all);
        String page = Files.readString(html);
        assertTrue(page.startsWith("<!DOCTYPE html>") || page.startsWith("<!doctype html>"), page.substring(0, Math.min(80, page.length())));
        assertTrue(page.contains("<svg"), "charts are inline SVG");
        return JSON.readTree(json.toFile());
    }

    static void percentiles(JsonNode n, long count) {
        assertEquals(count, n.get("count").asLong());
        for (String p : List.of("p50", "p90", "p99", "p99.9", "max")) {
            assertTrue(n.get(p).asLong() > 0, p + " in " + n);
        }
        assertTrue(n.get("p50").asLong() <= n.get("p99").asLong() && n.get("p99").asLong() <= n.get("max").asLong(), n.toString());
    }

    @Test
    void strictUnmapWithProbesAndBaseline(@TempDir Path dir) throws Exception {
        JsonNode r = load(dir, "--scenario", "strict-unmap", "--ops", "20", "--dma", "--baseline", "--baseline-seconds", "1");
        assertEquals("strict-unmap", r.get("scenario").asText());
        assertEquals(20, r.get("operations").asLong());
        assertEquals(0, r.get("failed").asLong());
        assertTrue(r.get("passed").asBoolean());
        assertTrue(r.get("operationsPerSecond").asDouble() > 0);
        percentiles(r.get("latencyUs"), 20);
        assertTrue(r.get("correctedLatencyUs").get("count").asLong() >= 20);
        JsonNode hw = r.get("hwSim");
        assertEquals(0, hw.get("staleTranslations").asLong(), "strict mode: no stale translation");
        assertTrue(hw.get("iotlbMisses").asLong() + hw.get("atcHits").asLong() > 0, "the probes translated: " + hw);
        assertTrue(hw.has("iotlbHitRate"));
        JsonNode b = r.get("baseline");
        assertTrue(b.get("kafkaRecordsPerSecond").asDouble() > 0, b.toString());
        assertTrue(b.get("hopP50Us").asLong() > 0, b.toString());
        assertTrue(b.get("throughputRatio").asDouble() > 0 && b.get("p50RatioToHop").asDouble() > 0, b.toString());
        assertTrue(r.get("intervals").size() >= 1);
    }

    @Test
    void smmuInvalidationArrays(@TempDir Path dir) throws Exception {
        JsonNode r = load(dir, "--scenario", "smmu-invalidate", "--entries", "16", "--ops", "10");
        assertEquals("smmu-invalidate", r.get("scenario").asText());
        assertEquals(10, r.get("operations").asLong());
        assertEquals(0, r.get("failed").asLong());
        assertEquals(16, r.get("entriesPerOperation").asLong());
        assertEquals(16 * r.get("operationsPerSecond").asDouble(), r.get("entriesPerSecond").asDouble(), 1e-6);
        percentiles(r.get("latencyUs"), 10);
    }
}
