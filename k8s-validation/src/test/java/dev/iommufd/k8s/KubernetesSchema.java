package dev.iommufd.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.annotations.SerializedName;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.custom.Quantity;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Ingress;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.util.List;
import java.util.Map;

/**
 * Strict parsing of built-in Kubernetes objects with the official Java models (io.kubernetes:client-java-api):
 * {@code validateJsonElement} rejects unknown fields, missing required fields (a Deployment without selector)
 * and non-primitive values where primitives belong; Gson binding rejects unparsable numbers and bad
 * quantities ({@code cpu: 1x}); and a type-preserving round trip rejects what Gson would silently coerce
 * (a string "2" for an integer, a number for a string), as the API server's strict decoding does.
 */
final class KubernetesSchema {
    private KubernetesSchema() {}

    static final Map<String, Class<?>> MODELS = Map.ofEntries(
            Map.entry("v1/Namespace", V1Namespace.class),
            Map.entry("v1/ConfigMap", V1ConfigMap.class),
            Map.entry("v1/Secret", V1Secret.class),
            Map.entry("v1/Service", V1Service.class),
            Map.entry("v1/ServiceAccount", V1ServiceAccount.class),
            Map.entry("apps/v1/Deployment", V1Deployment.class),
            Map.entry("apps/v1/StatefulSet", V1StatefulSet.class),
            Map.entry("networking.k8s.io/v1/Ingress", V1Ingress.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", V1NetworkPolicy.class),
            Map.entry("policy/v1/PodDisruptionBudget", V1PodDisruptionBudget.class));

    static boolean handles(JsonNode doc) {
        return MODELS.containsKey(doc.path("apiVersion").asText() + "/" + doc.path("kind").asText());
    }

    /** Problems of one document (empty when it parses strictly). */
    static void check(JsonNode doc, String where, List<String> problems) {
        Class<?> model = MODELS.get(doc.path("apiVersion").asText() + "/" + doc.path("kind").asText());
        checkAs(doc, model, where, problems);
    }

    /** Only the metadata of a custom resource whose schema is not available here. */
    static void checkMetadata(JsonNode doc, String where, List<String> problems) {
        checkAs(doc.path("metadata"), V1ObjectMeta.class, where + " metadata", problems);
    }

    private static void checkAs(JsonNode doc, Class<?> model, String where, List<String> problems) {
        JsonElement in = JsonParser.parseString(doc.toString());
        try {
            model.getMethod("validateJsonElement", JsonElement.class).invoke(null, in);
        } catch (InvocationTargetException e) {
            problems.add(where + ": " + model.getSimpleName() + " schema: " + firstLine(e.getCause()));
            return;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        Object parsed;
        try {
            parsed = JSON.getGson().fromJson(in, model);
        } catch (RuntimeException e) {
            problems.add(where + ": " + model.getSimpleName() + " does not parse: " + firstLine(e));
            return;
        }
        JsonElement out = JSON.getGson().toJsonTree(parsed);
        compare(in, out, parsed, "", where, problems);
    }

    /** Walks input and round-tripped output side by side; {@code value} is the bound Java value at this point. */
    private static void compare(JsonElement in, JsonElement out, Object value, String path, String where, List<String> problems) {
        if (in == null || in.isJsonNull()) {
            return;
        }
        if (out == null || out.isJsonNull()) {
            problems.add(where + ": field " + path + " was dropped when parsing (unknown field or wrong type)");
            return;
        }
        if (in.isJsonObject()) {
            if (!out.isJsonObject()) {
                problems.add(where + ": field " + path + " has the wrong type (an object where " + kind(out) + " belongs)");
                return;
            }
            JsonObject o = out.getAsJsonObject();
            for (Map.Entry<String, JsonElement> e : in.getAsJsonObject().entrySet()) {
                compare(e.getValue(), o.get(e.getKey()), child(value, e.getKey()), path + "." + e.getKey(), where, problems);
            }
        } else if (in.isJsonArray()) {
            if (!out.isJsonArray()) {
                problems.add(where + ": field " + path + " has the wrong type (a list where " + kind(out) + " belongs)");
                return;
            }
            JsonArray a = in.getAsJsonArray();
            JsonArray b = out.getAsJsonArray();
            List<?> list = value instanceof List<?> l ? l : null;
            for (int i = 0; i < a.size(); i++) {
                compare(a.get(i), i < b.size() ? b.get(i) : null, list != null && i < list.size() ? list.get(i) : null,
                        path + "[" + i + "]", where, problems);
            }
        } else {
            JsonPrimitive p = in.getAsJsonPrimitive();
            if (!out.isJsonPrimitive()) {
                problems.add(where + ": field " + path + " has the wrong type (" + kind(in) + " where " + kind(out) + " belongs)");
                return;
            }
            JsonPrimitive q = out.getAsJsonPrimitive();
            boolean sameKind = p.isNumber() == q.isNumber() && p.isString() == q.isString() && p.isBoolean() == q.isBoolean();
            // a quantity may be written as a number or a string; IntOrString keeps its own kind
            boolean lenient = value instanceof Quantity || value instanceof IntOrString;
            if (!sameKind && !lenient) {
                problems.add(where + ": field " + path + " has the wrong type (" + kind(in) + " " + p + " where a "
                        + kind(q) + " belongs)");
            }
        }
    }

    private static Object child(Object value, String key) {
        if (value == null) {
            return null;
        }
        if (value instanceof Map<?, ?> m) {
            return m.get(key);
        }
        for (Class<?> c = value.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                SerializedName n = f.getAnnotation(SerializedName.class);
                if (n != null && n.value().equals(key)) {
                    try {
                        f.setAccessible(true);
                        return f.get(value);
                    } catch (IllegalAccessException e) {
                        return null;
                    }
                }
            }
        }
        return null;
    }

    private static String kind(JsonElement e) {
        if (e.isJsonObject()) {
            return "object";
        }
        if (e.isJsonArray()) {
            return "list";
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        return p.isNumber() ? "number" : p.isBoolean() ? "boolean" : "string";
    }

    static String firstLine(Throwable t) {
        String m = String.valueOf(t.getMessage());
        int nl = m.indexOf('\n');
        m = nl < 0 ? m : m.substring(0, nl);
        int json = m.indexOf(" JSON: ");
        return (json < 0 ? m : m.substring(0, json)) + (t.getClass() == IllegalArgumentException.class ? "" : " (" + t.getClass().getSimpleName() + ")");
    }
}
