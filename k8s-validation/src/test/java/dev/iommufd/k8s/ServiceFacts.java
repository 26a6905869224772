package dev.iommufd.k8s;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.stream.Stream;

/**
 * What the services need from a deployment, read from their sources (not restated by hand, so a new
 * placeholder, topic, REST client or resource path in a service fails the k8s test until k8s/ has it).
 */
record ServiceFacts(
        String name,
        int httpPort,
        String httpPortEnv,
        /** env var → why it is required (the property that uses it) */
        Map<String, String> requiredEnv,
        Set<String> topics,
        /** topics an incoming channel re-reads from the beginning on every start (a new consumer group per boot) */
        Set<String> replayedTopics,
        boolean usesDatabase,
        boolean usesKafka,
        /** REST client name → the env var of its URL property ({@code iommufd.services.x-url} → IOMMUFD_SERVICES_X_URL) */
        Map<String, String> restClientUrlEnv,
        /** class-level JAX-RS paths of the service's own resources (REST client interfaces excluded) */
        Set<String> resourcePaths) {

    /** The deployable services: directory name = quarkus.application.name = Deployment/Service name. */
    static final List<String> SERVICES = List.of("ioas-service", "viommu-service", "fault-service", "hw-sim");

    private static final java.util.regex.Pattern PLACEHOLDER = java.util.regex.Pattern.compile("\\$\\{([^}:]+)(?::([^}]*))?}");
    private static final java.util.regex.Pattern CLASS_PATH = java.util.regex.Pattern.compile("@Path\\(\"(/[^\"]*)\"\\)");
    private static final java.util.regex.Pattern STRING_CONSTANT =
            java.util.regex.Pattern.compile("public\\s+static\\s+final\\s+String\\s+\\w+\\s*=\\s*\"([^\"]+)\"\\s*;");
    /** Properties Quarkus itself provides, never set by a deployment. */
    private static final Set<String> BUILT_IN = Set.of("quarkus.uuid", "quarkus.application.name", "quarkus.profile");

    private static volatile List<ServiceFacts> all;
    private static volatile Set<String> meters;

    /** The four services' facts (read once per test run: the sources do not change under it). */
    static List<ServiceFacts> all() {
        if (all == null) {
            all = SERVICES.stream().map(s -> of(Repo.root().resolve(s))).toList();
        }
        return all;
    }

    static ServiceFacts of(Path module) {
        String name = module.getFileName().toString();
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(module.resolve("src/main/resources/application.properties"))) {
            props.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> required = new TreeMap<>();
        Set<String> topics = new TreeSet<>();
        Set<String> replayed = new TreeSet<>();
        Map<String, String> clients = new TreeMap<>();
        int port = -1;
        String portEnv = null;
        for (String key : new TreeSet<>(props.stringPropertyNames())) {
            if (key.startsWith("%")) {
                continue; // profile-specific (%test, %dev): not what runs in the cluster
            }
            String value = props.getProperty(key);
            Matcher m = PLACEHOLDER.matcher(value);
            while (m.find()) {
                String ref = m.group(1);
                String def = m.group(2);
                if (BUILT_IN.contains(ref) || props.containsKey(ref)) {
                    continue;
                }
                if (key.equals("quarkus.http.port")) {
                    port = Integer.parseInt(def);
                    portEnv = envName(ref);
                    continue;
                }
                if (!usableInCluster(ref, def)) {
                    required.put(envName(ref), key);
                }
            }
            if (key.startsWith("mp.messaging.") && (key.endsWith(".topic"))) {
                topics.add(value);
            }
            // a fresh group per start that begins at the earliest offset reads the whole topic every start
            if (key.startsWith("mp.messaging.incoming.") && key.endsWith(".group.id") && value.contains("${quarkus.uuid}")
                    && "earliest".equals(props.getProperty(key.substring(0, key.length() - ".group.id".length()) + ".auto.offset.reset"))) {
                String channel = key.substring("mp.messaging.incoming.".length(), key.length() - ".group.id".length());
                String topic = props.getProperty("mp.messaging.incoming." + channel + ".topic", channel);
                replayed.add(topic);
            }
            if (key.startsWith("quarkus.rest-client.") && key.endsWith(".url")) {
                String client = key.substring("quarkus.rest-client.".length(), key.length() - ".url".length());
                Matcher u = PLACEHOLDER.matcher(value);
                if (u.find()) {
                    clients.put(client, envName(u.group(1)));
                }
            }
        }
        if (port < 0 && props.containsKey("quarkus.http.port")) {
            port = Integer.parseInt(props.getProperty("quarkus.http.port"));
        }
        return new ServiceFacts(name, port, portEnv, required, topics, replayed,
                props.containsKey("quarkus.datasource.db-kind"), props.containsKey("kafka.bootstrap.servers"),
                clients, resourcePaths(module.resolve("src/main/java")));
    }

    /**
     * Whether a placeholder's default can stay in a cluster. Not: no default; a default naming the local
     * machine (127.0.0.1, localhost) or a relative file (.run/...), which is what the defaults are for local
     * runs; and credentials (…USER, …PASSWORD), which must come from a Secret even when a default exists.
     * Ports and tuning values with defaults are fine.
     */
    static boolean usableInCluster(String ref, String def) {
        String env = envName(ref);
        if (def == null || env.endsWith("_USER") || env.endsWith("_PASSWORD") || env.contains("SECRET")) {
            return false;
        }
        return !(def.contains("127.0.0.1") || def.contains("localhost") || def.startsWith(".") || def.contains("/.run/"));
    }

    /** Quarkus' environment-variable name of a property (non-alphanumerics to '_', upper case). */
    static String envName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(java.util.Locale.ROOT);
    }

    private static Set<String> resourcePaths(Path src) {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> files = Files.walk(src)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(f);
                if (text.contains("@RegisterRestClient")) {
                    continue; // a client of another service, not served here
                }
                Matcher m = CLASS_PATH.matcher(text);
                while (m.find()) {
                    out.add(m.group(1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The topics of the event contract: the String constants of contract's Topics.java (source text). */
    static Set<String> contractTopics() {
        Path topics = Repo.root().resolve("contract/src/main/java/dev/iommufd/contract/events/Topics.java");
        Set<String> out = new TreeSet<>();
        try {
            Matcher m = STRING_CONSTANT.matcher(Files.readString(topics));
            while (m.find()) {
                out.add(m.group(1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Every topic a deployment needs: the contract's plus every topic a service's channels name. */
    static Set<String> allTopics(List<ServiceFacts> services) {
        Set<String> out = new TreeSet<>(contractTopics());
        services.forEach(s -> out.addAll(s.topics()));
        return out;
    }

    /** Meter names (string literals "iommufd.x.y") registered anywhere in the services' main sources, Prometheus-style. */
    static Set<String> meterNames() {
        if (meters == null) {
            meters = Set.copyOf(readMeterNames());
        }
        return meters;
    }

    private static Set<String> readMeterNames() {
        Set<String> out = new TreeSet<>();
        java.util.regex.Pattern literal = java.util.regex.Pattern.compile("\"(iommufd(?:\\.[a-z0-9_]+)+)\"");
        for (String s : SERVICES) {
            try (Stream<Path> files = Files.walk(Repo.root().resolve(s).resolve("src/main/java"))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = literal.matcher(Files.readString(f));
                    while (m.find()) {
                        out.add(m.group(1).replace('.', '_'));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    static List<String> sample(Set<String> paths) {
        List<String> out = new ArrayList<>();
        paths.forEach(p -> out.add(p.replaceAll("\\{[^}]+}", "x1")));
        return out;
    }
}
