package dev.iommufd.tools.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * A self-contained HTML page of a {@link LoadReport} (no script, no external file): the figures as
 * a table and two inline SVG charts — throughput per second over the run, and the latency
 * percentile distribution (x in "nines": 90%, 99%, 99.9% … equally spaced, as HdrHistogram plots it).
 */
public final class HtmlReport {
    private static final int W = 640;
    private static final int H = 280;
    private static final int PAD_L = 70;
    private static final int PAD_B = 40;
    private static final int PAD_T = 30;
    private static final int PAD_R = 20;
    /** Percentiles drawn on the distribution chart. */
    static final double[] CURVE = {0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100};

    private HtmlReport() {}

    record Series(String name, String color, List<double[]> points) {}

    public static String render(LoadReport r) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>iommuctl load: ").append(esc(r.scenario()))
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}"
                        + "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}th{background:#eee}"
                        + ".fail{color:#b00;font-weight:bold}.ok{color:#070;font-weight:bold}</style></head><body>\n");
        b.append("<h1>iommuctl load — ").append(esc(r.scenario())).append("</h1>\n<p>")
                .append(r.clients()).append(" clients over ").append(r.contexts()).append(" contexts, ")
                .append(r.targetRate() > 0 ? fmt("target %.0f ops/s", r.targetRate()) : "closed loop").append(", ")
                .append(r.operations()).append(' ').append(r.ops()).append(" in ").append(fmt("%.1f", r.seconds())).append(" s = <b>")
                .append(fmt("%.0f", r.operationsPerSecond())).append(' ').append(r.ops()).append("/s</b>")
                .append(LoadReport.invalidation(r.scenario()) ? fmt(" of %d entries each = <b>%.0f invalidation entries/s</b>", r.entriesPerOperation(),
                        r.operationsPerSecond() * r.entriesPerOperation()) : "")
                .append(". Result: ")
                .append(r.passed() ? "<span class=\"ok\">passed</span>" : "<span class=\"fail\">FAILED</span>")
                .append(" (").append(r.failed()).append(" failed calls, ").append(r.staleTranslations()).append(" stale translations")
                .append(r.lazy() ? ", expected in LAZY mode" : "").append(").</p>\n");

        b.append("<h2>Latency (µs)</h2>\n<table><tr><th></th>");
        for (double p : LoadReport.PERCENTILES) {
            b.append("<th>").append(LoadReport.label(p)).append("</th>");
        }
        b.append("</tr>\n");
        row(b, r.what() + ", as measured", r.latency());
        row(b, r.what() + ", corrected for coordinated omission", r.corrected());
        if (r.lazyWindow() != null) {
            row(b, "lazy window (answer → DMA faults)", r.lazyWindow());
        }
        b.append("</table>\n");

        b.append("<h2>Hardware (hw-sim) during the run</h2>\n<p>IOTLB hit rate ")
                .append(Double.isNaN(r.iotlbHitRate()) ? "n/a" : fmt("%.1f%%", 100 * r.iotlbHitRate())).append(" (")
                .append(r.iotlbHits()).append(" hits, ").append(r.iotlbMisses()).append(" misses); ATC hits ").append(r.atcHits())
                .append("; stale translations ")
                .append(r.staleTranslations()).append(".</p>\n");
        if (r.baseline() != null) {
            KafkaBaseline.Result k = r.baseline();
            b.append("<h2>Baseline (same machine, same run)</h2>\n<p>Raw Kafka produce→consume: ").append(fmt("%,.0f", k.recordsPerSecond()))
                    .append(" records/s (").append(KafkaBaseline.RECORD_BYTES).append(" B, acks=all); one hop p50 ").append(k.hopP50Us())
                    .append(" µs, p99 ").append(k.hopP99Us()).append(" µs.<br>").append(r.ops()).append("/s = <b>").append(fmt("%.4f", r.operationsPerSecond() / k.recordsPerSecond()))
                    .append("</b> × the Kafka record rate; ").append(r.what()).append(" p50 = <b>").append(fmt("%.1f", LoadReport.ratio(r.latency().getValueAtPercentile(50), k.hopP50Us())))
                    .append("</b> × hop p50, p99 = <b>").append(fmt("%.1f", LoadReport.ratio(r.latency().getValueAtPercentile(99), k.hopP99Us())))
                    .append("</b> × hop p99.</p>\n");
        }

        List<double[]> tput = new ArrayList<>();
        List<double[]> p99 = new ArrayList<>();
        double prev = 0;
        for (LoadReport.Interval i : r.intervals()) {
            double span = Math.max(1e-3, i.atSeconds() - prev);
            tput.add(new double[] {i.atSeconds(), i.operations() / span});
            p99.add(new double[] {i.atSeconds(), i.p99Us() / 1000.0});
            prev = i.atSeconds();
        }
        b.append("<h2>Throughput over time</h2>\n");
        b.append(chart(r.ops() + " completed per second", "seconds", r.ops() + "/s", List.of(new Series(r.ops() + "/s", "#1f77b4", tput)), false));
        b.append(chart(r.what() + " latency p99 per second", "seconds", "ms", List.of(new Series("p99 ms", "#d62728", p99)), false));
        b.append("<h2>Latency percentiles</h2>\n");
        b.append(chart(r.what() + " latency by percentile", "percentile", "ms", List.of(new Series("as measured", "#1f77b4", curve(r.latency())),
                new Series("corrected", "#ff7f0e", curve(r.corrected()))), true));
        b.append("<p style=\"color:#666\">Generated by iommuctl load; the same figures are in the JSON report.</p>\n</body></html>\n");
        return b.toString();
    }

    private static void row(StringBuilder b, String name, Histogram h) {
        b.append("<tr><th style=\"text-align:left\">").append(esc(name)).append("</th>");
        for (double p : LoadReport.PERCENTILES) {
            b.append("<td>").append(p == 100 ? h.getMaxValue() : h.getValueAtPercentile(p)).append("</td>");
        }
        b.append("</tr>\n");
    }

    /** x = number of nines of the percentile (0 → 0, 90 → 1, 99 → 2 …), max drawn one step past 99.99; y in ms. */
    static List<double[]> curve(Histogram h) {
        List<double[]> pts = new ArrayList<>();
        if (h.getTotalCount() == 0) {
            return pts;
        }
        for (double p : CURVE) {
            double x = p == 100 ? 5 : p == 0 ? 0 : -Math.log10(1 - p / 100);
            pts.add(new double[] {x, (p == 100 ? h.getMaxValue() : h.getValueAtPercentile(p)) / 1000.0});
        }
        return pts;
    }

    static String chart(String title, String xLabel, String yLabel, List<Series> series, boolean nines) {
        double maxX = 0;
        double maxY = 0;
        for (Series s : series) {
            for (double[] p : s.points()) {
                maxX = Math.max(maxX, p[0]);
                maxY = Math.max(maxY, p[1]);
            }
        }
        maxX = maxX <= 0 ? 1 : maxX;
        maxY = maxY <= 0 ? 1 : maxY * 1.1;
        double sx = (W - PAD_L - PAD_R) / maxX;
        double sy = (H - PAD_T - PAD_B) / maxY;
        StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\" role=\"img\" aria-label=\"").append(esc(title)).append("\">\n");
        b.append("<title>").append(esc(title)).append("</title>\n");
        b.append(fmt("<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>%n", PAD_L, esc(title)));
        int x0 = PAD_L;
        int y0 = H - PAD_B;
        b.append(fmt("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>%n", x0, y0, W - PAD_R, y0));
        b.append(fmt("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>%n", x0, PAD_T, x0, y0));
        for (int i = 0; i <= 4; i++) { // y grid and labels
            double v = maxY * i / 4;
            double y = y0 - v * sy;
            b.append(fmt("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", x0, y, W - PAD_R, y));
            b.append(fmt("<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>%n", x0 - 4, y + 4, num(v)));
        }
        if (nines) {
            String[] names = {"0%", "90%", "99%", "99.9%", "99.99%", "max"};
            for (int i = 0; i < names.length; i++) {
                b.append(fmt("<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n", x0 + i * sx, y0 + 15, names[i]));
            }
        } else {
            for (int i = 0; i <= 4; i++) {
                double v = maxX * i / 4;
                b.append(fmt("<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n", x0 + v * sx, y0 + 15, num(v)));
            }
        }
        b.append(fmt("<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>%n", (x0 + W - PAD_R) / 2, H - 6, esc(xLabel)));
        b.append(fmt("<text x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">%s</text>%n",
                (PAD_T + y0) / 2, (PAD_T + y0) / 2, esc(yLabel)));
        int legend = 0;
        for (Series s : series) {
            StringBuilder pts = new StringBuilder();
            for (double[] p : s.points()) {
                pts.append(fmt("%.1f,%.1f ", x0 + p[0] * sx, y0 - p[1] * sy));
            }
            b.append(fmt("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n", s.color(), pts.toString().trim()));
            b.append(fmt("<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">%s</text>%n", W - PAD_R - 150, PAD_T + 12 + 14 * legend++, s.color(),
                    esc(s.name())));
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static String num(double v) {
        return v >= 100 ? fmt("%,.0f", v) : v >= 1 ? fmt("%.1f", v) : fmt("%.2f", v);
    }

    private static String fmt(String f, Object... args) {
        return String.format(Locale.ROOT, f, args);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
