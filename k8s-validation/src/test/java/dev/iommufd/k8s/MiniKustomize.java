package dev.iommufd.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A renderer for the subset of kustomize that k8s/ uses, for machines without kubectl: {@code resources}
 * (files and kustomization directories), {@code namespace}, {@code configMapGenerator} (files and literals,
 * without name hash), {@code images} and {@code patches} given as inline or file JSON 6902 patches with a
 * kind/name target. Anything else fails loudly instead of rendering something kubectl would not.
 */
final class MiniKustomize {
    private static final Set<String> KNOWN = Set.of("apiVersion", "kind", "resources", "namespace", "configMapGenerator",
            "generatorOptions", "images", "patches");
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding",
            "CustomResourceDefinition", "PersistentVolume", "StorageClass", "IngressClass", "PriorityClass");

    private MiniKustomize() {}

    static List<ObjectNode> render(Path dir) {
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no kustomization.yaml in " + dir);
        }
        JsonNode k = Yaml.one(read(file));
        for (Iterator<String> it = k.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!KNOWN.contains(f)) {
                throw new UnsupportedOperationException(file + ": kustomization field '" + f + "' is not supported without kubectl");
            }
        }
        List<ObjectNode> docs = new ArrayList<>();
        for (JsonNode r : k.path("resources")) {
            Path p = dir.resolve(r.asText()).normalize();
            if (Files.isDirectory(p)) {
                docs.addAll(render(p));
            } else {
                docs.addAll(Yaml.documents(read(p)));
            }
        }
        for (JsonNode g : k.path("configMapGenerator")) {
            docs.add(configMap(dir, g, k.path("generatorOptions")));
        }
        for (JsonNode patch : k.path("patches")) {
            applyPatch(dir, patch, docs);
        }
        if (k.hasNonNull("namespace")) {
            for (ObjectNode d : docs) {
                if (!CLUSTER_SCOPED.contains(d.path("kind").asText())) {
                    ((ObjectNode) d.with("metadata")).put("namespace", k.get("namespace").asText());
                }
            }
        }
        for (JsonNode img : k.path("images")) {
            for (ObjectNode d : docs) {
                for (JsonNode list : List.of(d.at("/spec/template/spec/containers"), d.at("/spec/template/spec/initContainers"))) {
                    for (JsonNode c : list) {
                        retag((ObjectNode) c, img);
                    }
                }
            }
        }
        return docs;
    }

    private static void retag(ObjectNode container, JsonNode img) {
        String image = container.path("image").asText();
        String name = image;
        String tag = null;
        int colon = image.lastIndexOf(':');
        if (colon > image.lastIndexOf('/')) {
            name = image.substring(0, colon);
            tag = image.substring(colon + 1);
        }
        if (!name.equals(img.path("name").asText())) {
            return;
        }
        String newName = img.hasNonNull("newName") ? img.get("newName").asText() : name;
        String newTag = img.hasNonNull("newTag") ? img.get("newTag").asText() : tag;
        container.put("image", newTag == null ? newName : newName + ":" + newTag);
    }

    private static ObjectNode configMap(Path dir, JsonNode g, JsonNode globalOptions) {
        JsonNode options = g.path("options");
        boolean noHash = options.path("disableNameSuffixHash").asBoolean(globalOptions.path("disableNameSuffixHash").asBoolean(false));
        if (!noHash) {
            throw new UnsupportedOperationException("configMapGenerator " + g.path("name").asText()
                    + ": name suffix hashes need kubectl (set options.disableNameSuffixHash: true)");
        }
        ObjectNode cm = JsonNodeFactory.instance.objectNode();
        cm.put("apiVersion", "v1");
        cm.put("kind", "ConfigMap");
        ObjectNode meta = cm.putObject("metadata");
        meta.put("name", g.path("name").asText());
        ObjectNode labels = JsonNodeFactory.instance.objectNode();
        if (globalOptions.has("labels")) {
            labels.setAll((ObjectNode) globalOptions.get("labels").deepCopy());
        }
        if (options.has("labels")) {
            labels.setAll((ObjectNode) options.get("labels").deepCopy());
        }
        if (!labels.isEmpty()) {
            meta.set("labels", labels);
        }
        ObjectNode data = cm.putObject("data");
        for (JsonNode f : g.path("files")) {
            String spec = f.asText();
            int eq = spec.indexOf('=');
            String key = eq < 0 ? Path.of(spec).getFileName().toString() : spec.substring(0, eq);
            data.put(key, read(dir.resolve(eq < 0 ? spec : spec.substring(eq + 1))));
        }
        for (JsonNode l : g.path("literals")) {
            String spec = l.asText();
            int eq = spec.indexOf('=');
            data.put(spec.substring(0, eq), spec.substring(eq + 1));
        }
        return cm;
    }

    private static void applyPatch(Path dir, JsonNode patch, List<ObjectNode> docs) {
        String text = patch.hasNonNull("patch") ? patch.get("patch").asText() : read(dir.resolve(patch.path("path").asText()));
        JsonNode ops = Yaml.YAML.valueToTree(parseAny(text));
        if (!ops.isArray()) {
            throw new UnsupportedOperationException("strategic-merge patches need kubectl; use JSON 6902 (a list of ops)");
        }
        JsonNode target = patch.path("target");
        for (Iterator<String> it = target.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("kind", "name").contains(f)) {
                throw new UnsupportedOperationException("patch target field '" + f + "' is not supported without kubectl");
            }
        }
        int matched = 0;
        for (ObjectNode d : docs) {
            if (target.has("kind") && !target.get("kind").asText().equals(d.path("kind").asText())) {
                continue;
            }
            if (target.has("name") && !target.get("name").asText().equals(d.at("/metadata/name").asText())) {
                continue;
            }
            matched++;
            for (JsonNode op : ops) {
                apply(d, op);
            }
        }
        if (matched == 0) {
            throw new IllegalArgumentException("patch target " + target + " matches no resource");
        }
    }

    private static Object parseAny(String text) {
        try {
            return Yaml.YAML.readValue(text, Object.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One JSON 6902 operation (add, replace, remove) on a document. */
    static void apply(ObjectNode doc, JsonNode op) {
        String kind = op.path("op").asText();
        String path = op.path("path").asText();
        List<String> tokens = new ArrayList<>();
        for (String t : path.substring(1).split("/", -1)) {
            tokens.add(t.replace("~1", "/").replace("~0", "~"));
        }
        JsonNode parent = doc;
        for (String t : tokens.subList(0, tokens.size() - 1)) {
            parent = parent.isArray() ? parent.get(Integer.parseInt(t)) : parent.get(t);
            if (parent == null) {
                throw new IllegalArgumentException("JSON patch path " + path + " does not exist");
            }
        }
        String last = tokens.get(tokens.size() - 1);
        JsonNode value = op.has("value") ? op.get("value").deepCopy() : null; // one patch may hit many documents
        switch (kind) {
            case "add", "replace" -> {
                if (parent instanceof ArrayNode a) {
                    if (last.equals("-")) {
                        a.add(value);
                    } else if (kind.equals("add")) {
                        a.insert(Integer.parseInt(last), value);
                    } else {
                        a.set(Integer.parseInt(last), value);
                    }
                } else {
                    if (kind.equals("replace") && !parent.has(last)) {
                        throw new IllegalArgumentException("JSON patch replace of missing " + path);
                    }
                    ((ObjectNode) parent).set(last, value);
                }
            }
            case "remove" -> {
                if (parent instanceof ArrayNode a) {
                    a.remove(Integer.parseInt(last));
                } else if (((ObjectNode) parent).remove(last) == null) {
                    throw new IllegalArgumentException("JSON patch remove of missing " + path);
                }
            }
            default -> throw new UnsupportedOperationException("JSON patch op " + kind + " is not supported without kubectl");
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, ObjectNode> byId(List<ObjectNode> docs) {
        Map<String, ObjectNode> m = new java.util.TreeMap<>();
        for (ObjectNode d : docs) {
            m.put(d.path("apiVersion").asText() + "/" + d.path("kind").asText() + "/" + d.at("/metadata/namespace").asText()
                    + "/" + d.at("/metadata/name").asText(), d);
        }
        return m;
    }
}
