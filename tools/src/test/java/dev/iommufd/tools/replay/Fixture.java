package dev.iommufd.tools.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The stream recorded from a live run (src/test/resources/replay/live-run.ndjson: {@code iommuctl demo},
 * then two more contexts through the public API) and helpers to doctor copies of it line by line.
 */
final class Fixture {
    static final String RESOURCE = "/replay/live-run.ndjson";
    /** hw-sim's GET /v1/hw/state/digest at the end of the recorded run. */
    static final String LIVE_DIGEST = "6c6e6e9fe9a181dcf5c75d2e1525df1bbec6af8d774c4ca9a49941b651bde97f";
    /** The context left open on 0000:04:00.0: map ×2, attach, strict unmap ×2, map. */
    static final String CONTEXT = "736746a0-141e-47a7-9245-91ff73d116b9";
    static final ObjectMapper JSON = new ObjectMapper();

    private Fixture() {}

    /** The fixture's event lines (comments dropped), in stream order. */
    static List<String> lines() {
        List<String> out = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                Objects.requireNonNull(Fixture.class.getResourceAsStream(RESOURCE)), StandardCharsets.UTF_8))) {
            String l;
            while ((l = in.readLine()) != null) {
                if (!l.isBlank() && !l.startsWith("#")) {
                    out.add(l);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static List<StreamItem> read(List<String> lines) {
        try {
            return Ndjson.read(new BufferedReader(new StringReader(String.join("\n", lines))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<StreamItem> stream() {
        return read(lines());
    }

    static ObjectNode tree(String line) {
        try {
            return (ObjectNode) JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Index (0-based) of the first line whose event has this kind and whose text contains {@code text}. */
    static int find(List<String> lines, String kind, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("\"kind\":\"" + kind + "\"") && lines.get(i).contains(text)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no " + kind + " with " + text);
    }
}
