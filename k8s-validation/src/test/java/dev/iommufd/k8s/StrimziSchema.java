package dev.iommufd.k8s;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.crdgenerator.annotations.Maximum;
import io.strimzi.crdgenerator.annotations.Minimum;
import io.strimzi.crdgenerator.annotations.MinimumItems;
import io.strimzi.crdgenerator.annotations.Pattern;
import io.strimzi.crdgenerator.annotations.PresentInVersions;
import io.strimzi.crdgenerator.annotations.RequiredInVersions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strimzi's CRD schemas for one API version, generated offline from the io.strimzi:api model classes the way
 * Strimzi's own CRD generator does (Jackson properties; {@code @PresentInVersions}, {@code @RequiredInVersions},
 * {@code @Minimum}, {@code @Maximum}, {@code @MinimumItems}, {@code @Pattern}; {@code @JsonSubTypes} unions with a
 * {@code type} enum; Kubernetes types from the fabric8 model), and a structural-schema validator: unknown
 * fields, wrong types, missing required fields, enum, pattern and range violations fail. Resources are then
 * also bound with Jackson into the model classes with scalar coercion off, and any property the classes kept
 * as "unknown" (Strimzi's {@code UnknownPropertyPreserving}) fails too.
 */
final class StrimziSchema {
    static final String GROUP = "kafka.strimzi.io";
    static final String VERSION = "v1";
    /** Strimzi's API versions, oldest first (for "v1beta2+" style version ranges). */
    private static final List<String> VERSIONS = List.of("v1alpha1", "v1beta1", "v1beta2", "v1");

    static final Map<String, Class<?>> KINDS = Map.of(
            "Kafka", Kafka.class,
            "KafkaNodePool", KafkaNodePool.class,
            "KafkaTopic", KafkaTopic.class);

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_INVALID_SUBTYPE)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Map<String, ObjectNode> SCHEMAS = new LinkedHashMap<>();

    private StrimziSchema() {}

    static boolean handles(JsonNode doc) {
        return doc.path("apiVersion").asText().startsWith(GROUP + "/");
    }

    /** The openAPIV3Schema of {@code kind} at {@link #VERSION}: apiVersion, kind, metadata, spec. */
    static synchronized ObjectNode schema(String kind) {
        return SCHEMAS.computeIfAbsent(kind, k -> {
            Class<?> resource = KINDS.get(k);
            if (resource == null) {
                return null;
            }
            ObjectNode root = F.objectNode().put("type", "object");
            ObjectNode props = root.putObject("properties");
            props.putObject("apiVersion").put("type", "string");
            props.putObject("kind").put("type", "string");
            props.putObject("metadata").put("type", "object").put("x-kubernetes-preserve-unknown-fields", true);
            try {
                Method spec = resource.getMethod("getSpec");
                props.set("spec", typeSchema(MAPPER.constructType(spec.getGenericReturnType()), new ArrayDeque<>()));
                Method status = resource.getMethod("getStatus");
                props.putObject("status").put("type", "object").put("x-kubernetes-preserve-unknown-fields", true);
                status.getName();
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException(e);
            }
            return root;
        });
    }

    /** Writes the generated schemas (for people to look at; the test uses them in memory). */
    static void writeSchemas(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String kind : KINDS.keySet()) {
                Files.writeString(dir.resolve(kind + "." + VERSION + ".json"),
                        MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(schema(kind)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void check(JsonNode doc, String where, List<String> problems) {
        String apiVersion = doc.path("apiVersion").asText();
        String kind = doc.path("kind").asText();
        if (!apiVersion.equals(GROUP + "/" + VERSION)) {
            problems.add(where + ": Strimzi resources must use " + GROUP + "/" + VERSION + ", not " + apiVersion);
            return;
        }
        ObjectNode schema = schema(kind);
        if (schema == null) {
            problems.add(where + ": no Strimzi schema for kind " + kind + " (known: " + KINDS.keySet() + ")");
            return;
        }
        KubernetesSchema.checkMetadata(doc, where, problems);
        int before = problems.size();
        validate(schema, doc, "", where + ": " + kind + " " + VERSION + " schema", problems);
        if (problems.size() > before) {
            return;
        }
        Object bound;
        try {
            bound = MAPPER.treeToValue(doc, KINDS.get(kind));
        } catch (IOException | IllegalArgumentException e) {
            problems.add(where + ": does not bind to " + KINDS.get(kind).getName() + ": " + KubernetesSchema.firstLine(e));
            return;
        }
        unknownProperties(bound, "", where, problems, new IdentityHashMap<>());
    }

    // ---- schema generation ----

    private static ObjectNode typeSchema(JavaType t, Deque<Class<?>> stack) {
        Class<?> raw = t.getRawClass();
        if (raw == String.class || raw == char.class || raw == Character.class) {
            return F.objectNode().put("type", "string");
        }
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class || raw == short.class || raw == Short.class) {
            return F.objectNode().put("type", "integer");
        }
        if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class || Number.class.isAssignableFrom(raw)) {
            return F.objectNode().put("type", "number");
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return F.objectNode().put("type", "boolean");
        }
        if (raw.getName().equals("io.fabric8.kubernetes.api.model.Quantity") || raw.getName().equals("io.fabric8.kubernetes.api.model.IntOrString")) {
            return F.objectNode().put("x-kubernetes-int-or-string", true);
        }
        if (raw.isEnum()) {
            ObjectNode s = F.objectNode().put("type", "string");
            ArrayNode values = s.putArray("enum");
            for (Object c : raw.getEnumConstants()) {
                values.add(MAPPER.valueToTree(c).asText());
            }
            return s;
        }
        if (t.isMapLikeType()) {
            ObjectNode s = F.objectNode().put("type", "object");
            JavaType content = t.getContentType();
            if (content.getRawClass() == Object.class) {
                s.put("x-kubernetes-preserve-unknown-fields", true);
            } else {
                s.set("additionalProperties", typeSchema(content, stack));
            }
            return s;
        }
        if (t.isCollectionLikeType() || t.isArrayType()) {
            ObjectNode s = F.objectNode().put("type", "array");
            s.set("items", typeSchema(t.getContentType(), stack));
            return s;
        }
        if (raw == Object.class || JsonNode.class.isAssignableFrom(raw) || stack.contains(raw)) {
            return F.objectNode().put("x-kubernetes-preserve-unknown-fields", true);
        }
        JsonSubTypes sub = raw.getAnnotation(JsonSubTypes.class);
        if (sub != null && (raw.isInterface() || Modifier.isAbstract(raw.getModifiers()))) {
            return union(raw, sub, stack);
        }
        stack.push(raw);
        try {
            return bean(t, stack);
        } finally {
            stack.pop();
        }
    }

    /** A polymorphic type: the union of its subtypes' properties, with the discriminator as an enum. */
    private static ObjectNode union(Class<?> raw, JsonSubTypes sub, Deque<Class<?>> stack) {
        JsonTypeInfo info = raw.getAnnotation(JsonTypeInfo.class);
        String discriminator = info == null || info.property().isEmpty() ? "type" : info.property();
        ObjectNode s = F.objectNode().put("type", "object");
        ObjectNode props = s.putObject("properties");
        ArrayNode names = F.arrayNode();
        for (JsonSubTypes.Type st : sub.value()) {
            String name = !st.name().isEmpty() ? st.name()
                    : st.value().getAnnotation(JsonTypeName.class) != null ? st.value().getAnnotation(JsonTypeName.class).value() : null;
            if (name != null) {
                names.add(name);
            }
            for (String n : st.names()) {
                names.add(n);
            }
            ObjectNode one = typeSchema(MAPPER.constructType(st.value()), stack);
            one.path("properties").fields().forEachRemaining(e -> props.putIfAbsent(e.getKey(), e.getValue()));
        }
        ObjectNode d = F.objectNode().put("type", "string");
        d.set("enum", names);
        props.set(discriminator, d);
        s.putArray("required").add(discriminator);
        return s;
    }

    private static ObjectNode bean(JavaType t, Deque<Class<?>> stack) {
        ObjectNode s = F.objectNode().put("type", "object");
        ObjectNode props = s.putObject("properties");
        ArrayNode required = F.arrayNode();
        BeanDescription desc = MAPPER.getSerializationConfig().introspect(t);
        for (BeanPropertyDefinition p : desc.findProperties()) {
            AnnotatedMember m = p.getAccessor();
            if (m == null || p.getName().equals("additionalProperties")) {
                continue;
            }
            PresentInVersions present = annotation(p, PresentInVersions.class);
            if (present != null && !inVersions(present.value())) {
                continue;
            }
            ObjectNode ps = typeSchema(p.getPrimaryType(), stack);
            Minimum min = annotation(p, Minimum.class);
            if (min != null) {
                ps.put("minimum", min.value());
            }
            Maximum max = annotation(p, Maximum.class);
            if (max != null) {
                ps.put("maximum", max.value());
            }
            MinimumItems minItems = annotation(p, MinimumItems.class);
            if (minItems != null) {
                ps.put("minItems", minItems.value());
            }
            Pattern pattern = annotation(p, Pattern.class);
            if (pattern != null) {
                ps.put("pattern", pattern.value());
            }
            RequiredInVersions req = annotation(p, RequiredInVersions.class);
            if (req != null && inVersions(req.value()) || p.isRequired()) {
                required.add(p.getName());
            }
            props.set(p.getName(), ps);
        }
        if (!required.isEmpty()) {
            s.set("required", required);
        }
        return s;
    }

    private static <A extends Annotation> A annotation(BeanPropertyDefinition p, Class<A> type) {
        for (AnnotatedMember m : new AnnotatedMember[] {p.getGetter(), p.getField(), p.getSetter()}) {
            AnnotatedElement e = m == null ? null : m.getAnnotated();
            if (e != null && e.getAnnotation(type) != null) {
                return e.getAnnotation(type);
            }
        }
        return null;
    }

    /** Whether {@link #VERSION} is in a Strimzi version list such as "v1beta2", "v1+", "v1alpha1-v1beta2", "a,b". */
    static boolean inVersions(String spec) {
        int v = VERSIONS.indexOf(VERSION);
        for (String item : spec.split(",")) {
            item = item.trim();
            if (item.endsWith("+")) {
                if (v >= index(item.substring(0, item.length() - 1))) {
                    return true;
                }
            } else if (item.contains("-")) {
                String[] r = item.split("-");
                if (v >= index(r[0]) && v <= index(r[1])) {
                    return true;
                }
            } else if (v == index(item)) {
                return true;
            }
        }
        return false;
    }

    private static int index(String version) {
        int i = VERSIONS.indexOf(version);
        if (i < 0) {
            throw new IllegalArgumentException("unknown Strimzi API version " + version);
        }
        return i;
    }

    // ---- structural validation ----

    static void validate(JsonNode schema, JsonNode value, String path, String where, List<String> problems) {
        String at = path.isEmpty() ? "(root)" : path;
        if (value == null || value.isNull()) {
            return;
        }
        if (schema.path("x-kubernetes-int-or-string").asBoolean()) {
            if (!value.isIntegralNumber() && !value.isTextual()) {
                problems.add(where + ": " + at + " must be an integer or a string, not " + value.getNodeType());
            }
            return;
        }
        String type = schema.path("type").asText("");
        switch (type) {
            case "object" -> {
                if (!value.isObject()) {
                    problems.add(where + ": " + at + " must be an object, not " + value.getNodeType() + " " + value);
                    return;
                }
                for (JsonNode r : schema.path("required")) {
                    if (!value.hasNonNull(r.asText())) {
                        problems.add(where + ": " + at + " misses required field " + r.asText());
                    }
                }
                if (schema.path("x-kubernetes-preserve-unknown-fields").asBoolean() && !schema.has("properties")) {
                    return;
                }
                JsonNode props = schema.path("properties");
                JsonNode additional = schema.get("additionalProperties");
                for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String child = path + "." + e.getKey();
                    if (props.has(e.getKey())) {
                        validate(props.get(e.getKey()), e.getValue(), child, where, problems);
                    } else if (additional != null) {
                        validate(additional, e.getValue(), child, where, problems);
                    } else {
                        problems.add(where + ": unknown field " + child);
                    }
                }
            }
            case "array" -> {
                if (!value.isArray()) {
                    problems.add(where + ": " + at + " must be a list, not " + value.getNodeType() + " " + value);
                    return;
                }
                if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()) {
                    problems.add(where + ": " + at + " needs at least " + schema.get("minItems").asInt() + " items");
                }
                for (int i = 0; i < value.size(); i++) {
                    validate(schema.path("items"), value.get(i), path + "[" + i + "]", where, problems);
                }
            }
            case "string" -> {
                if (!value.isTextual()) {
                    problems.add(where + ": " + at + " must be a string, not " + value.getNodeType() + " " + value);
                    return;
                }
                if (schema.has("enum")) {
                    boolean ok = false;
                    for (JsonNode e : schema.get("enum")) {
                        ok |= e.asText().equals(value.asText());
                    }
                    if (!ok) {
                        problems.add(where + ": " + at + " must be one of " + schema.get("enum") + ", not " + value);
                    }
                }
                if (schema.has("pattern") && !java.util.regex.Pattern.compile(schema.get("pattern").asText()).matcher(value.asText()).find()) {
                    problems.add(where + ": " + at + " does not match " + schema.get("pattern").asText());
                }
            }
            case "integer", "number" -> {
                if (type.equals("integer") ? !value.isIntegralNumber() : !value.isNumber()) {
                    problems.add(where + ": " + at + " must be " + (type.equals("integer") ? "an integer" : "a number")
                            + ", not " + value.getNodeType() + " " + value);
                    return;
                }
                if (schema.has("minimum") && value.asDouble() < schema.get("minimum").asDouble()) {
                    problems.add(where + ": " + at + " must be >= " + schema.get("minimum"));
                }
                if (schema.has("maximum") && value.asDouble() > schema.get("maximum").asDouble()) {
                    problems.add(where + ": " + at + " must be <= " + schema.get("maximum"));
                }
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    problems.add(where + ": " + at + " must be a boolean, not " + value.getNodeType() + " " + value);
                }
            }
            default -> {
                // x-kubernetes-preserve-unknown-fields without a type: anything goes
            }
        }
    }

    // ---- what the bound model kept as unknown ----

    private static void unknownProperties(Object o, String path, String where, List<String> problems, Map<Object, Boolean> seen) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownProperties(e, path + "[" + i++ + "]", where, problems, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownProperties(v, path + "." + k, where, problems, seen));
            return;
        }
        String pkg = o.getClass().getPackageName();
        if (!pkg.startsWith("io.strimzi.") && !pkg.startsWith("io.fabric8.")) {
            return;
        }
        for (Method g : o.getClass().getMethods()) {
            if (g.getParameterCount() != 0 || g.getDeclaringClass() == Object.class || !g.getName().startsWith("get")
                    || g.getReturnType().isPrimitive() || Set.of("getClass", "getMetadata", "getStatus").contains(g.getName())) {
                continue;
            }
            Object v;
            try {
                v = g.invoke(o);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue;
            }
            if (g.getName().equals("getAdditionalProperties") && v instanceof Map<?, ?> extra) {
                if (!extra.isEmpty() && !(o.getClass().getName().startsWith("io.fabric8.") && path.isEmpty())) {
                    problems.add(where + ": unknown field(s) " + extra.keySet() + " at " + (path.isEmpty() ? "(root)" : path)
                            + " (kept by " + o.getClass().getSimpleName() + " as unknown)");
                }
                continue;
            }
            String prop = Character.toLowerCase(g.getName().charAt(3)) + g.getName().substring(4);
            unknownProperties(v, path + "." + prop, where, problems, seen);
        }
    }
}
