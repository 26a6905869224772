package dev.iommufd.tools.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iommufd.contract.api.U64;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.Topics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The export format of {@code iommuctl replay --export} / {@code --from-file}: one JSON object per line,
 * in stream order.
 * <pre>
 * {"topic":"iommufd.hw.commands","partition":0,"offset":42,"timestamp":1795306957929,"event":{…EventJson envelope…}}
 * {"timestamp":1795306957931,"dma":{"rid":"0000:03:00.0","pasid":null,"iova":"0x40001000","length":4,"write":false}}
 * </pre>
 * {@code topic} defaults to the payload's topic, {@code partition}/{@code offset} to -1 and
 * {@code timestamp} to the event's time, so a hand-written line needs only {@code event}. Blank lines
 * and lines starting with {@code #} are ignored. A line that is none of these is an input error
 * (with its line number): a bug report's stream must be read exactly or not at all.
 */
public final class Ndjson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> EVENT_FIELDS = Set.of("topic", "partition", "offset", "timestamp", "event");
    private static final Set<String> DMA_FIELDS = Set.of("rid", "pasid", "iova", "length", "write");

    private Ndjson() {}

    public static String line(StreamItem item) {
        if (item instanceof Recorded r) {
            return "{\"topic\":" + quote(r.topic()) + ",\"partition\":" + r.partition() + ",\"offset\":" + r.offset()
                    + ",\"timestamp\":" + r.timestamp() + ",\"event\":" + EventJson.write(r.event()) + "}";
        }
        DmaProbe d = (DmaProbe) item;
        ObjectNode n = JSON.createObjectNode();
        n.put("timestamp", d.timestamp());
        n.putObject("dma").put("rid", d.rid()).put("pasid", d.pasid()).put("iova", "0x" + Long.toHexString(d.iova()))
                .put("length", d.length()).put("write", d.write());
        return n.toString();
    }

    public static void write(List<? extends StreamItem> items, Writer out) throws IOException {
        for (StreamItem i : items) {
            out.write(line(i));
            out.write('\n');
        }
        out.flush();
    }

    public static List<StreamItem> read(BufferedReader in) throws IOException {
        List<StreamItem> items = new ArrayList<>();
        String text;
        int n = 0;
        while ((text = in.readLine()) != null) {
            n++;
            if (text.isBlank() || text.startsWith("#")) {
                continue;
            }
            try {
                items.add(parse(text, n));
            } catch (RuntimeException | JsonProcessingException e) {
                throw new BadLineException(n, e.getMessage());
            }
        }
        return items;
    }

    private static StreamItem parse(String text, int line) throws JsonProcessingException {
        JsonNode n = JSON.readTree(text);
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        if (n.has("dma")) {
            JsonNode d = n.get("dma");
            unknown(d, DMA_FIELDS, "dma");
            return new DmaProbe(n.path("timestamp").asLong(0), text(d, "rid"), d.hasNonNull("pasid") ? d.get("pasid").asInt() : null,
                    number(d.get("iova"), "iova"), (int) number(d.get("length"), "length"), d.path("write").asBoolean(false), line);
        }
        unknown(n, EVENT_FIELDS, "line");
        if (!n.hasNonNull("event")) {
            throw new IllegalArgumentException("neither \"event\" nor \"dma\"");
        }
        EventEnvelope e = EventJson.read(n.get("event").toString());
        String topic = n.hasNonNull("topic") ? n.get("topic").asText() : Topics.of(e.payload());
        if (!Topics.ALL.contains(topic)) {
            throw new IllegalArgumentException("unknown topic " + topic);
        }
        return new Recorded(topic, n.path("partition").asInt(-1), n.path("offset").asLong(-1),
                n.hasNonNull("timestamp") ? n.get("timestamp").asLong() : e.time().toEpochMilli(), e);
    }

    private static void unknown(JsonNode n, Set<String> known, String what) {
        n.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                throw new IllegalArgumentException("unknown field \"" + f + "\" in " + what);
            }
        });
    }

    private static String text(JsonNode n, String field) {
        if (!n.hasNonNull(field)) {
            throw new IllegalArgumentException("missing " + field);
        }
        return n.get(field).asText();
    }

    /** A number or a "0x…" string, as API.md writes addresses. */
    static long number(JsonNode v, String field) {
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing " + field);
        }
        if (v.isIntegralNumber()) {
            return v.asLong();
        }
        return U64.parse(v.asText()).bits();
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A line of an NDJSON file that is not a stream item. */
    public static final class BadLineException extends RuntimeException {
        public BadLineException(int line, String reason) {
            super("line " + line + ": " + reason);
        }
    }
}
