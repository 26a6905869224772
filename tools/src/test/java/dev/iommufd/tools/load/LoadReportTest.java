package dev.iommufd.tools.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class LoadReportTest {
    private static Histogram histogram(long... values) {
        Histogram h = new Histogram(3);
        for (long v : values) {
            h.recordValue(v);
        }
        return h;
    }

    /** 100 unmaps in 2 s: 98 at 1 ms, one at 5 ms, one at 50 ms. */
    private static LoadReport report(long stale, Histogram lazyWindow, KafkaBaseline.Result baseline) {
        long[] v = new long[100];
        java.util.Arrays.fill(v, 1000);
        v[98] = 5000;
        v[99] = 50_000;
        Histogram h = histogram(v);
        return new LoadReport("strict-unmap", 2, 2, 0, 100, 2.0, 0, h, h.copyCorrectedForCoordinatedOmission(1000), lazyWindow,
                List.of(new LoadReport.Interval(1.0, 60, 1000, 5000, 5000), new LoadReport.Interval(2.0, 40, 1000, 50_000, 50_000)),
                300, 100, 7, 0.75, stale, baseline);
    }

    @Test
    void jsonCarriesEveryFigure() {
        JsonNode j = report(0, null, new KafkaBaseline.Result(100_000, 2.0, 50_000, 200, 800, 4000, 9000)).toJson();
        assertEquals(50.0, j.path("operationsPerSecond").asDouble());
        assertEquals(100, j.path("latencyUs").path("count").asLong());
        assertEquals(1000, j.path("latencyUs").path("p50").asLong());
        assertEquals(1000, j.path("latencyUs").path("p90").asLong());
        assertEquals(5003, j.path("latencyUs").path("p99").asLong()); // HdrHistogram's bucket of 5000 at 3 digits
        assertEquals(50_015, j.path("latencyUs").path("p99.9").asLong());
        assertEquals(50_015, j.path("latencyUs").path("max").asLong());
        // at an expected 1 ms interval, 5 ms adds 4 synthetic samples (4 … 1 ms) and 50 ms adds 49 (49 … 1 ms)
        assertEquals(153, j.path("correctedLatencyUs").path("count").asLong());
        assertEquals(0.75, j.path("hwSim").path("iotlbHitRate").asDouble());
        assertEquals(7, j.path("hwSim").path("atcHits").asLong());
        assertEquals(0, j.path("hwSim").path("staleTranslations").asLong());
        assertEquals(0.001, j.path("baseline").path("throughputRatio").asDouble(), 1e-12);
        assertEquals(1.25, j.path("baseline").path("p50RatioToHop").asDouble(), 0.01);
        assertEquals(2, j.path("intervals").size());
        assertEquals(60, j.path("intervals").get(0).path("operations").asLong());
        assertTrue(j.path("passed").asBoolean());
        assertTrue(j.path("lazyWindowUs").isMissingNode());
    }

    @Test
    void aStaleTranslationFailsStrictButNotLazy() {
        assertFalse(report(1, null, null).passed());
        assertTrue(report(1, histogram(300), null).passed());
        assertTrue(report(1, null, null).text().contains("staleTranslations 1 (must be 0 in STRICT mode)"));
        assertTrue(report(1, null, null).text().endsWith("failed calls 0  → FAILED\n"));
        assertTrue(report(0, null, null).toJson().path("baseline").isMissingNode());
    }

    @Test
    void theTextGivesPercentilesAndTheBaselineRatios() {
        String t = report(0, null, new KafkaBaseline.Result(100_000, 2.0, 50_000, 200, 800, 4000, 9000)).text();
        assertTrue(t.startsWith("scenario strict-unmap: 2 clients over 2 contexts (closed loop), 100 unmaps in 2.0 s = 50 unmaps/s\n"), t);
        assertTrue(t.contains("unmap latency µs           p50 1000  p90 1000  p99 5003  p99.9 50015  max 50015\n"), t);
        assertTrue(t.contains("IOTLB hit rate 75.0% (300 hits, 100 misses), ATC hits 7, staleTranslations 0"), t);
        assertTrue(t.contains("→ unmaps/s = 0.0010 × the Kafka record rate; unmap p50 = 1.3 × hop p50, p99 = 1.3 × hop p99"), t);
    }

    @Test
    void theHtmlPageIsSelfContainedWithWellFormedCharts() throws Exception {
        String html = HtmlReport.render(report(0, histogram(200, 300), new KafkaBaseline.Result(100_000, 2.0, 50_000, 200, 800, 4000, 9000)));
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertFalse(html.contains("<script"));
        assertFalse(html.contains("src=") || html.contains("href="), "no external resource");
        assertTrue(html.contains("<b>50 unmaps/s</b>"));
        assertTrue(html.contains("<td>5003</td><td>50015</td><td>50015</td>"));
        assertTrue(html.contains("lazy window (answer → DMA faults)"));
        Matcher m = Pattern.compile("<svg .*?</svg>", Pattern.DOTALL).matcher(html);
        int charts = 0;
        int lines = 0;
        while (m.find()) {
            Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(m.group().getBytes(StandardCharsets.UTF_8)));
            charts++;
            lines += d.getElementsByTagName("polyline").getLength();
        }
        assertEquals(3, charts); // throughput, p99 per second, percentile distribution
        assertEquals(4, lines); // one, one, and measured + corrected
    }

    @Test
    void aPageFaultReportSpeaksOfFaultRoundTrips() {
        LoadReport u = report(0, null, null);
        LoadReport f = new LoadReport(LoadReport.PAGE_FAULT, 1, 1, 0, 100, 2.0, 0, u.latency(), u.corrected(), null, u.intervals(),
                0, 200, 0, 0.0, 0, null);
        assertTrue(f.text().startsWith("scenario page-fault: 1 clients over 1 contexts (closed loop), 100 fault round trips in 2.0 s = "
                + "50 fault round trips/s\nfault round trip latency µs p50 1000"), f.text());
        String html = HtmlReport.render(f);
        assertTrue(html.contains("<b>50 fault round trips/s</b>") && html.contains("fault round trip, as measured"), html);
        assertFalse(html.contains("unmap"));
    }

    @Test
    void anInvalidationArrayReportCountsEntries() {
        LoadReport u = report(0, null, null);
        LoadReport v = new LoadReport(LoadReport.VTD_INVALIDATE, 1, 1, 0, 100, 2.0, 0, u.latency(), u.corrected(), null, u.intervals(),
                0, 0, 0, Double.NaN, 0, new KafkaBaseline.Result(100_000, 2.0, 6400, 200, 800, 4000, 9000));
        assertTrue(v.text().contains("100 invalidation arrays in 2.0 s = 50 invalidation arrays/s\n  256 entries each: 12800 "
                + "invalidation entries/s = 2.00 × the Kafka record rate\n"), v.text());
        JsonNode j = v.toJson();
        assertEquals(12_800.0, j.path("entriesPerSecond").asDouble());
        assertEquals(2.0, j.path("baseline").path("entriesRatio").asDouble(), 1e-9);
        assertTrue(report(0, null, null).toJson().path("entriesPerSecond").isMissingNode());
    }

    @Test
    void anSmmuReportCountsTheEntriesItWasRunWithEvenOne() {
        LoadReport u = report(0, null, null);
        LoadReport s16 = new LoadReport(LoadReport.SMMU_INVALIDATE, 1, 1, 0, 100, 2.0, 0, u.latency(), u.corrected(), null, u.intervals(),
                0, 0, 0, Double.NaN, 0, new KafkaBaseline.Result(100_000, 2.0, 6400, 200, 800, 4000, 9000), 16);
        assertTrue(s16.text().contains("= 50 invalidation arrays/s\n  16 entries each: 800 invalidation entries/s = 0.125 × the Kafka record rate\n"
                + "invalidate call latency µs"), s16.text());
        assertEquals(16, s16.toJson().path("entriesPerOperation").asInt());
        String html = HtmlReport.render(s16);
        assertTrue(html.contains("<b>50 invalidation arrays/s</b> of 16 entries each = <b>800 invalidation entries/s</b>. Result: "), html);
        assertFalse(HtmlReport.render(u).contains("entries each"));
        assertEquals(0.125, s16.toJson().path("baseline").path("entriesRatio").asDouble(), 1e-9);
        LoadReport s1 = new LoadReport(LoadReport.SMMU_INVALIDATE, 1, 1, 0, 100, 2.0, 0, u.latency(), u.corrected(), null, u.intervals(),
                0, 0, 0, Double.NaN, 0, null, 1);
        assertTrue(s1.text().contains("  1 entries each: 50 invalidation entries/s\n"), s1.text());
        assertEquals(50.0, s1.toJson().path("entriesPerSecond").asDouble());
        // without an explicit count the array scenarios default to 256
        assertEquals(256, new LoadReport(LoadReport.SMMU_INVALIDATE, 1, 1, 0, 100, 2.0, 0, u.latency(), u.corrected(), null, u.intervals(),
                0, 0, 0, Double.NaN, 0, null).entriesPerOperation());
    }

    @Test
    void thePercentileCurveIsPlacedInNines() {
        List<double[]> c = HtmlReport.curve(histogram(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
        assertEquals(HtmlReport.CURVE.length, c.size());
        assertEquals(0.0, c.get(0)[0]);
        assertEquals(1.0, c.get(3)[0], 1e-9); // 90 %
        assertEquals(2.0, c.get(5)[0], 1e-9); // 99 %
        assertEquals(5.0, c.get(c.size() - 1)[0]); // max
        assertEquals(0.010, c.get(c.size() - 1)[1], 1e-12); // 10 µs, in ms
        assertEquals(List.of(), HtmlReport.curve(new Histogram(3)));
        assertEquals("a&lt;b&gt;&amp;&quot;", HtmlReport.esc("a<b>&\""));
    }
}
