package dev.iommufd.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** Multi-document YAML to Jackson trees (plain scalars: true/false, ints and floats typed, the rest strings). */
final class Yaml {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    private Yaml() {}

    static List<ObjectNode> documents(String text) {
        List<ObjectNode> out = new ArrayList<>();
        try (YAMLParser parser = ((YAMLFactory) YAML.getFactory()).createParser(text)) {
            for (JsonNode n : YAML.readValues(parser, JsonNode.class).readAll()) {
                if (n == null || n.isNull() || n.isMissingNode()) {
                    continue;
                }
                if (!n.isObject()) {
                    throw new IllegalArgumentException("a YAML document is not a mapping: " + n);
                }
                out.add((ObjectNode) n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static JsonNode one(String text) {
        List<ObjectNode> docs = documents(text);
        if (docs.size() != 1) {
            throw new IllegalArgumentException("expected one YAML document, got " + docs.size());
        }
        return docs.get(0);
    }

    static String text(JsonNode n, String... path) {
        JsonNode c = n;
        for (String p : path) {
            c = c == null ? null : c.get(p);
        }
        return c == null || c.isNull() ? null : c.asText();
    }
}
