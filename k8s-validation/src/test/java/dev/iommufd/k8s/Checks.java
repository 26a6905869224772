package dev.iommufd.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;

/**
 * All checks of one rendered kustomization: strict schemas (Kubernetes models, Strimzi CRD schemas) and the
 * cross-checks between resources and against what the services' sources require. {@link #run} returns the
 * problems; an empty list means the manifests pass.
 */
final class Checks {
    /** Custom resources whose schema is not available offline: only their metadata is parsed strictly. */
    static final Set<String> METADATA_ONLY = Set.of("postgresql.cnpg.io/v1/Cluster", "monitoring.coreos.com/v1/ServiceMonitor");
    /** Env vars that hold secrets: never as a literal value, always from a Secret (or a file mounted from one). */
    static final java.util.regex.Pattern SECRET_ENV = java.util.regex.Pattern.compile(".*(PASSWORD|SECRET|PRIVATE|CREDENTIAL|_USER$).*");
    /**
     * Metrics the dashboard may show before their service registers them (none now: fault-service's
     * pending page-request groups gauge exists since issue 6).
     */
    static final Set<String> PLANNED_METRICS = Set.of();

    private final List<ObjectNode> docs;
    private final List<ServiceFacts> services;
    private final Map<String, RequiredSecret> requiredSecrets;
    final List<String> problems = new ArrayList<>();
    final Set<String> notSchemaChecked = new TreeSet<>();

    record RequiredSecret(String name, Set<String> keys, String createdBy) {}

    /** A pod as the manifests describe it: a workload's template, or the pods an operator creates. */
    record Pod(String owner, Map<String, String> labels, JsonNode spec, int replicas) {
        Map<String, Integer> ports() {
            Map<String, Integer> m = new HashMap<>();
            for (JsonNode c : spec.path("containers")) {
                for (JsonNode p : c.path("ports")) {
                    m.put(p.path("name").asText(String.valueOf(p.path("containerPort").asInt())), p.path("containerPort").asInt());
                }
            }
            return m;
        }
    }

    Checks(List<ObjectNode> docs, List<ServiceFacts> services) {
        this.docs = docs;
        this.services = services;
        this.requiredSecrets = loadRequiredSecrets();
    }

    static Checks run(List<ObjectNode> docs) {
        Checks c = new Checks(docs, ServiceFacts.all());
        c.all();
        return c;
    }

    void all() {
        schemas();
        if (!problems.isEmpty()) {
            return; // cross-checks on objects that do not parse would only add noise
        }
        workloads();
        servicesHaveWorkloads();
        serviceRequirements();
        topics();
        ingress();
        podDisruptionBudgets();
        networkPolicies();
        secrets();
        monitoring();
    }

    // ---------------------------------------------------------------- schemas

    void schemas() {
        for (ObjectNode d : docs) {
            String id = id(d);
            String gvk = d.path("apiVersion").asText() + "/" + d.path("kind").asText();
            if (KubernetesSchema.handles(d)) {
                KubernetesSchema.check(d, id, problems);
            } else if (StrimziSchema.handles(d)) {
                StrimziSchema.check(d, id, problems);
            } else if (METADATA_ONLY.contains(gvk)) {
                KubernetesSchema.checkMetadata(d, id, problems);
                notSchemaChecked.add(gvk);
            } else {
                problems.add(id + ": unknown kind " + gvk + " (no schema to check it against)");
            }
        }
    }

    // ---------------------------------------------------------------- workloads

    List<Pod> workloadPods() {
        List<Pod> out = new ArrayList<>();
        for (ObjectNode d : docs) {
            String kind = d.path("kind").asText();
            if (kind.equals("Deployment") || kind.equals("StatefulSet")) {
                out.add(new Pod(id(d), labels(d.at("/spec/template/metadata/labels")), d.at("/spec/template/spec"),
                        d.at("/spec/replicas").asInt(1)));
            }
        }
        return out;
    }

    /** Pods that operators create: Kafka brokers (Strimzi) and PostgreSQL instances (CloudNativePG). */
    List<Pod> operatorPods() {
        List<Pod> out = new ArrayList<>();
        for (ObjectNode d : ofKind("Kafka")) {
            String name = name(d);
            Map<String, String> l = new TreeMap<>(Map.of("strimzi.io/cluster", name, "strimzi.io/kind", "Kafka",
                    "strimzi.io/name", name + "-kafka", "strimzi.io/broker-role", "true"));
            out.add(new Pod(id(d) + " brokers", l, kafkaPortsSpec(d), 1));
        }
        for (ObjectNode d : ofKind("Cluster")) {
            out.add(new Pod(id(d) + " instances", Map.of("cnpg.io/cluster", name(d)),
                    Yaml.JSON.createObjectNode().set("containers", Yaml.JSON.createArrayNode().add(Yaml.JSON.createObjectNode()
                            .set("ports", Yaml.JSON.createArrayNode()
                                    .add(Yaml.JSON.createObjectNode().put("name", "postgresql").put("containerPort", 5432))
                                    .add(Yaml.JSON.createObjectNode().put("name", "status").put("containerPort", 8000))))), 1));
        }
        return out;
    }

    private JsonNode kafkaPortsSpec(JsonNode kafka) {
        var ports = Yaml.JSON.createArrayNode();
        for (JsonNode l : kafka.at("/spec/kafka/listeners")) {
            ports.add(Yaml.JSON.createObjectNode().put("name", l.path("name").asText()).put("containerPort", l.path("port").asInt()));
        }
        return Yaml.JSON.createObjectNode().set("containers", Yaml.JSON.createArrayNode().add(Yaml.JSON.createObjectNode().set("ports", ports)));
    }

    void workloads() {
        for (ObjectNode d : docs) {
            String kind = d.path("kind").asText();
            if (!kind.equals("Deployment") && !kind.equals("StatefulSet")) {
                continue;
            }
            String id = id(d);
            if (!matches(d.at("/spec/selector"), labels(d.at("/spec/template/metadata/labels")))) {
                problems.add(id + ": selector " + d.at("/spec/selector") + " does not match its pod template labels");
            }
            JsonNode pod = d.at("/spec/template/spec");
            boolean podNonRoot = pod.at("/securityContext/runAsNonRoot").asBoolean(false);
            if (pod.at("/securityContext/runAsUser").isInt() && pod.at("/securityContext/runAsUser").asInt() == 0) {
                problems.add(id + ": runs as root (runAsUser 0)");
            }
            Map<String, JsonNode> volumes = new HashMap<>();
            for (JsonNode v : pod.path("volumes")) {
                volumes.put(v.path("name").asText(), v);
                volumeReferences(id, v);
            }
            for (JsonNode c : pod.path("containers")) {
                String where = id + " container " + c.path("name").asText();
                Set<String> portNames = new TreeSet<>();
                Set<Integer> portNumbers = new TreeSet<>();
                for (JsonNode p : c.path("ports")) {
                    portNames.add(p.path("name").asText());
                    portNumbers.add(p.path("containerPort").asInt());
                }
                Map<String, String> healthPaths = Map.of("startupProbe", "/q/health/started", "livenessProbe", "/q/health/live",
                        "readinessProbe", "/q/health/ready");
                for (Map.Entry<String, String> probe : healthPaths.entrySet()) {
                    JsonNode get = c.path(probe.getKey()).path("httpGet");
                    if (get.isMissingNode()) {
                        problems.add(where + ": no " + probe.getKey() + " (httpGet " + probe.getValue() + ")");
                        continue;
                    }
                    if (!probe.getValue().equals(get.path("path").asText())) {
                        problems.add(where + ": " + probe.getKey() + " must get " + probe.getValue() + ", not " + get.path("path").asText());
                    }
                    JsonNode port = get.path("port");
                    if (port.isInt() ? !portNumbers.contains(port.asInt()) : !portNames.contains(port.asText())) {
                        problems.add(where + ": probe port " + port + " of " + probe.getKey() + " is not a container port " + portNames + portNumbers);
                    }
                }
                JsonNode sc = c.path("securityContext");
                if (!(podNonRoot || sc.path("runAsNonRoot").asBoolean(false))) {
                    problems.add(where + ": runAsNonRoot must be true");
                }
                if (!sc.path("readOnlyRootFilesystem").asBoolean(false)) {
                    problems.add(where + ": readOnlyRootFilesystem must be true");
                }
                if (sc.path("allowPrivilegeEscalation").asBoolean(true)) {
                    problems.add(where + ": allowPrivilegeEscalation must be false");
                }
                boolean dropsAll = false;
                for (JsonNode cap : sc.at("/capabilities/drop")) {
                    dropsAll |= cap.asText().equals("ALL");
                }
                if (!dropsAll || sc.at("/capabilities/add").size() > 0) {
                    problems.add(where + ": capabilities must drop ALL and add none");
                }
                for (String r : List.of("requests", "limits")) {
                    for (String q : List.of("cpu", "memory")) {
                        if (c.path("resources").path(r).path(q).isMissingNode()) {
                            problems.add(where + ": resources." + r + "." + q + " is not set");
                        }
                    }
                }
                Map<String, String> env = environment(id, c);
                fileSettings(where, env, c, volumes);
            }
        }
    }

    /** The container's environment: literal and ConfigMap values (Secret-backed entries map to "<secret>"), checking every reference. */
    Map<String, String> environment(String id, JsonNode c) {
        String where = id + " container " + c.path("name").asText();
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode from : c.path("envFrom")) {
            if (from.has("configMapRef")) {
                String cm = from.at("/configMapRef/name").asText();
                JsonNode data = configMapData(cm);
                if (data == null) {
                    if (!from.at("/configMapRef/optional").asBoolean(false)) {
                        problems.add(where + ": ConfigMap " + cm + " (envFrom) does not exist");
                    }
                    continue;
                }
                data.fields().forEachRemaining(e -> env.put(from.path("prefix").asText("") + e.getKey(), e.getValue().asText()));
            }
            if (from.has("secretRef")) {
                String s = from.at("/secretRef/name").asText();
                RequiredSecret rs = secret(where, s, null, from.at("/secretRef/optional").asBoolean(false));
                if (rs != null) {
                    rs.keys().forEach(k -> env.put(from.path("prefix").asText("") + k, "<secret " + s + ">"));
                }
            }
        }
        for (JsonNode e : c.path("env")) {
            String name = e.path("name").asText();
            if (e.has("value")) {
                if (SECRET_ENV.matcher(name).matches() && !e.path("value").asText().startsWith("/")) {
                    problems.add(where + ": env " + name + " is an inline secret value; take it from a Secret (secretKeyRef)");
                }
                env.put(name, e.path("value").asText());
            } else if (e.at("/valueFrom/configMapKeyRef").isObject()) {
                String cm = e.at("/valueFrom/configMapKeyRef/name").asText();
                String key = e.at("/valueFrom/configMapKeyRef/key").asText();
                JsonNode data = configMapData(cm);
                if (data == null || !data.has(key)) {
                    problems.add(where + ": env " + name + " refers to ConfigMap " + cm + " key " + key + ", which does not exist");
                } else {
                    env.put(name, data.get(key).asText());
                }
            } else if (e.at("/valueFrom/secretKeyRef").isObject()) {
                String s = e.at("/valueFrom/secretKeyRef/name").asText();
                secret(where + " env " + name, s, e.at("/valueFrom/secretKeyRef/key").asText(), false);
                env.put(name, "<secret " + s + ">");
            } else {
                env.put(name, "<fieldRef>");
            }
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (SECRET_ENV.matcher(e.getKey()).matches() && !e.getValue().startsWith("<secret ") && !e.getValue().startsWith("/")) {
                problems.add(where + ": " + e.getKey() + " is set from a ConfigMap or literal; secrets must come from a Secret");
            }
        }
        return env;
    }

    private void volumeReferences(String id, JsonNode v) {
        String where = id + " volume " + v.path("name").asText();
        if (v.has("configMap") && configMapData(v.at("/configMap/name").asText()) == null && !v.at("/configMap/optional").asBoolean(false)) {
            problems.add(where + ": ConfigMap " + v.at("/configMap/name").asText() + " does not exist");
        }
        if (v.has("secret")) {
            secret(where, v.at("/secret/secretName").asText(), null, v.at("/secret/optional").asBoolean(false));
        }
        for (JsonNode src : v.at("/projected/sources")) {
            if (src.has("secret")) {
                secret(where, src.at("/secret/name").asText(), null, src.at("/secret/optional").asBoolean(false));
            }
            if (src.has("configMap") && configMapData(src.at("/configMap/name").asText()) == null) {
                problems.add(where + ": ConfigMap " + src.at("/configMap/name").asText() + " does not exist");
            }
        }
    }

    /** Settings that name a file (absolute paths) must point into a mounted volume that holds that file. */
    private void fileSettings(String where, Map<String, String> env, JsonNode c, Map<String, JsonNode> volumes) {
        for (Map.Entry<String, String> e : env.entrySet()) {
            String value = e.getValue();
            if (!value.startsWith("/") || value.contains(" ") || !(e.getKey().endsWith("_KEY") || e.getKey().endsWith("_FILE") || e.getKey().endsWith("_LOCATION"))) {
                continue;
            }
            JsonNode mount = null;
            for (JsonNode m : c.path("volumeMounts")) {
                String mp = m.path("mountPath").asText();
                if (value.startsWith(mp.endsWith("/") ? mp : mp + "/")) {
                    mount = m;
                }
            }
            if (mount == null) {
                problems.add(where + ": " + e.getKey() + "=" + value + " is not inside any volume mount");
                continue;
            }
            String file = value.substring(mount.path("mountPath").asText().replaceAll("/$", "").length() + 1);
            JsonNode vol = volumes.get(mount.path("name").asText());
            if (vol == null) {
                problems.add(where + ": volume mount " + mount.path("name").asText() + " has no volume");
                continue;
            }
            Set<String> files = new TreeSet<>();
            List<String> secretNames = new ArrayList<>();
            if (vol.has("secret")) {
                secretNames.add(vol.at("/secret/secretName").asText());
            }
            for (JsonNode src : vol.at("/projected/sources")) {
                if (src.has("secret")) {
                    secretNames.add(src.at("/secret/name").asText());
                }
            }
            if (secretNames.isEmpty()) {
                continue;
            }
            for (String s : secretNames) {
                RequiredSecret rs = requiredSecrets.get(s);
                if (rs != null) {
                    files.addAll(rs.keys());
                }
            }
            if (!files.contains(file)) {
                problems.add(where + ": " + e.getKey() + "=" + value + " names file " + file + ", but the volume's Secrets "
                        + secretNames + " hold " + files);
            }
        }
    }

    // ---------------------------------------------------------------- services

    void servicesHaveWorkloads() {
        List<Pod> pods = new ArrayList<>(workloadPods());
        for (ObjectNode s : ofKind("Service")) {
            JsonNode selector = s.at("/spec/selector");
            if (!selector.isObject() || selector.isEmpty()) {
                problems.add(id(s) + ": has no selector");
                continue;
            }
            List<Pod> selected = pods.stream().filter(p -> subset(labels(selector), p.labels())).toList();
            if (selected.isEmpty()) {
                problems.add(id(s) + ": selector " + selector + " selects no pod (no workload behind the Service)");
                continue;
            }
            for (JsonNode port : s.at("/spec/ports")) {
                JsonNode target = port.has("targetPort") ? port.get("targetPort") : port.get("port");
                for (Pod p : selected) {
                    boolean found = target.isInt() ? p.ports().containsValue(target.asInt()) : p.ports().containsKey(target.asText());
                    if (!found) {
                        problems.add(id(s) + ": targetPort " + target + " is not a container port of " + p.owner());
                    }
                }
            }
        }
    }

    void serviceRequirements() {
        List<ObjectNode> kafkas = ofKind("Kafka");
        for (ServiceFacts f : services) {
            ObjectNode dep = find("Deployment", f.name());
            if (dep == null) {
                problems.add("no Deployment for service " + f.name());
                continue;
            }
            JsonNode c = dep.at("/spec/template/spec/containers/0");
            String where = id(dep);
            List<String> before = new ArrayList<>(problems);
            Map<String, String> env = environment(where, c);
            problems.clear();
            problems.addAll(before); // reference problems were reported by workloads()
            int port = f.httpPortEnv() != null && env.containsKey(f.httpPortEnv()) ? Integer.parseInt(env.get(f.httpPortEnv())) : f.httpPort();
            Integer http = null;
            for (JsonNode p : c.path("ports")) {
                if (p.path("name").asText().equals("http")) {
                    http = p.path("containerPort").asInt();
                }
            }
            if (http == null || http != port) {
                problems.add(where + ": container port 'http' is " + http + " but " + f.name() + " listens on " + port + " (quarkus.http.port)");
            }
            for (Map.Entry<String, String> req : f.requiredEnv().entrySet()) {
                if (!env.containsKey(req.getKey())) {
                    problems.add(where + ": required env var " + req.getKey() + " of " + f.name() + " (used by " + req.getValue()
                            + ") is not set");
                }
            }
            Pod self = workloadPods().stream().filter(p -> p.owner().equals(where)).findFirst().orElseThrow();
            if (f.usesKafka()) {
                String bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS");
                if (bootstrap != null) {
                    kafkaBootstrap(where, bootstrap, kafkas, self);
                }
            }
            if (f.usesDatabase()) {
                String jdbc = env.get("IOMMUFD_JDBC_URL");
                String reactive = env.get("IOMMUFD_REACTIVE_URL");
                for (String url : new String[] {jdbc == null ? null : jdbc.replaceFirst("^jdbc:", ""), reactive}) {
                    if (url != null) {
                        database(where, url, self);
                    }
                }
            }
            for (Map.Entry<String, String> client : f.restClientUrlEnv().entrySet()) {
                String url = env.get(client.getValue());
                if (url != null) {
                    restClient(where, client.getKey(), url, self);
                }
            }
        }
    }

    private void kafkaBootstrap(String where, String bootstrap, List<ObjectNode> kafkas, Pod self) {
        for (String server : bootstrap.split(",")) {
            String[] hp = server.trim().split(":");
            ObjectNode kafka = kafkas.stream().filter(k -> hp[0].equals(name(k) + "-kafka-bootstrap")).findFirst().orElse(null);
            if (kafka == null || hp.length != 2) {
                problems.add(where + ": KAFKA_BOOTSTRAP_SERVERS " + server + " is not <cluster>-kafka-bootstrap:<port> of a Kafka resource");
                continue;
            }
            int port = Integer.parseInt(hp[1]);
            JsonNode listener = null;
            for (JsonNode l : kafka.at("/spec/kafka/listeners")) {
                if (l.path("port").asInt() == port) {
                    listener = l;
                }
            }
            if (listener == null || !listener.path("type").asText().equals("internal") || listener.path("tls").asBoolean(false)) {
                problems.add(where + ": KAFKA_BOOTSTRAP_SERVERS port " + port + " is not a plain internal listener of Kafka " + name(kafka));
                continue;
            }
            JsonNode peers = listener.path("networkPolicyPeers");
            if (peers.isArray() && !peers.isEmpty()) {
                boolean admitted = false;
                for (JsonNode peer : peers) {
                    admitted |= !peer.has("namespaceSelector") && peer.has("podSelector") && matches(peer.get("podSelector"), self.labels());
                }
                if (!admitted) {
                    problems.add(where + ": its pods are not in the networkPolicyPeers of Kafka " + name(kafka) + " listener " + listener.path("name").asText());
                }
            }
            Pod brokers = operatorPods().stream().filter(p -> p.owner().startsWith(id(kafka))).findFirst().orElseThrow();
            reach(self, brokers, port, "Kafka " + name(kafka));
        }
    }

    private void database(String where, String url, Pod self) {
        URI u = URI.create(url);
        String host = u.getHost();
        ObjectNode cluster = ofKind("Cluster").stream().filter(c -> (name(c) + "-rw").equals(host)).findFirst().orElse(null);
        if (cluster == null) {
            problems.add(where + ": database URL " + url + " does not name the -rw Service of a CloudNativePG Cluster");
            return;
        }
        String db = u.getPath().replaceFirst("^/", "");
        if (!db.equals(cluster.at("/spec/bootstrap/initdb/database").asText())) {
            problems.add(where + ": database URL " + url + " names database " + db + ", Cluster " + name(cluster) + " creates "
                    + cluster.at("/spec/bootstrap/initdb/database").asText());
        }
        Pod pg = operatorPods().stream().filter(p -> p.owner().startsWith(id(cluster))).findFirst().orElseThrow();
        reach(self, pg, u.getPort() < 0 ? 5432 : u.getPort(), "PostgreSQL " + name(cluster));
    }

    private void restClient(String where, String client, String url, Pod self) {
        URI u = URI.create(url);
        ObjectNode svc = find("Service", u.getHost());
        if (svc == null) {
            problems.add(where + ": REST client " + client + " URL " + url + " names no Service");
            return;
        }
        JsonNode port = null;
        for (JsonNode p : svc.at("/spec/ports")) {
            if (p.path("port").asInt() == u.getPort()) {
                port = p;
            }
        }
        if (port == null) {
            problems.add(where + ": REST client " + client + " URL " + url + ": Service " + u.getHost() + " has no port " + u.getPort());
            return;
        }
        for (Pod p : workloadPods()) {
            if (subset(labels(svc.at("/spec/selector")), p.labels())) {
                JsonNode target = port.has("targetPort") ? port.get("targetPort") : port.get("port");
                Integer n = target.isInt() ? Integer.valueOf(target.asInt()) : p.ports().get(target.asText());
                if (n != null) {
                    reach(self, p, n, u.getHost());
                }
            }
        }
    }

    // ---------------------------------------------------------------- network policies

    /** The NetworkPolicies must let {@code from} open TCP connections to {@code to} on {@code port}. */
    private void reach(Pod from, Pod to, int port, String what) {
        String why = blocked(from, to, port);
        if (why != null) {
            problems.add("NetworkPolicy does not let " + from.owner() + " reach " + what + " on port " + port + " (" + why + ")");
        }
    }

    String blocked(Pod from, Pod to, int port) {
        List<ObjectNode> egress = new ArrayList<>();
        List<ObjectNode> ingress = new ArrayList<>();
        for (ObjectNode np : ofKind("NetworkPolicy")) {
            Set<String> types = new TreeSet<>();
            np.at("/spec/policyTypes").forEach(t -> types.add(t.asText()));
            if (types.isEmpty()) {
                types.add("Ingress");
                if (np.at("/spec/egress").isArray()) {
                    types.add("Egress");
                }
            }
            JsonNode sel = np.at("/spec/podSelector");
            if (types.contains("Egress") && matches(sel, from.labels())) {
                egress.add(np);
            }
            if (types.contains("Ingress") && matches(sel, to.labels())) {
                ingress.add(np);
            }
        }
        if (!egress.isEmpty() && egress.stream().noneMatch(np -> allows(np.at("/spec/egress"), "to", to, port, to))) {
            return "egress of " + from.owner() + " (" + names(egress) + ")";
        }
        if (!ingress.isEmpty() && ingress.stream().noneMatch(np -> allows(np.at("/spec/ingress"), "from", from, port, to))) {
            return "ingress of " + to.owner() + " (" + names(ingress) + ")";
        }
        return null;
    }

    private boolean allows(JsonNode rules, String peersField, Pod peer, int port, Pod target) {
        for (JsonNode rule : rules) {
            JsonNode peers = rule.path(peersField);
            boolean peerOk = peers.isMissingNode() || peers.isEmpty();
            for (JsonNode p : peers) {
                peerOk |= peerMatches(p, peer);
            }
            JsonNode ports = rule.path("ports");
            boolean portOk = ports.isMissingNode() || ports.isEmpty();
            for (JsonNode p : ports) {
                if (!p.path("protocol").asText("TCP").equals("TCP")) {
                    continue;
                }
                JsonNode n = p.path("port");
                if (n.isMissingNode()) {
                    portOk = true;
                } else if (n.isInt()) {
                    portOk |= n.asInt() == port || (p.has("endPort") && port >= n.asInt() && port <= p.get("endPort").asInt());
                } else {
                    Integer named = target.ports().get(n.asText());
                    portOk |= named != null && named == port;
                }
            }
            if (peerOk && portOk) {
                return true;
            }
        }
        return false;
    }

    /** Peers in this namespace: a podSelector without namespaceSelector. Other namespaces never hold our pods. */
    private boolean peerMatches(JsonNode peer, Pod pod) {
        if (peer.has("ipBlock")) {
            return false;
        }
        if (peer.has("namespaceSelector")) {
            String ns = namespace();
            Map<String, String> nsLabels = Map.of("kubernetes.io/metadata.name", ns == null ? "" : ns);
            if (!matches(peer.get("namespaceSelector"), nsLabels)) {
                return false;
            }
        }
        return !peer.has("podSelector") || matches(peer.get("podSelector"), pod.labels());
    }

    void networkPolicies() {
        List<Pod> pods = new ArrayList<>(workloadPods());
        pods.addAll(operatorPods());
        for (ObjectNode np : ofKind("NetworkPolicy")) {
            if (pods.stream().noneMatch(p -> matches(np.at("/spec/podSelector"), p.labels()))) {
                problems.add(id(np) + ": podSelector selects no pod");
            }
        }
    }

    // ---------------------------------------------------------------- Kafka topics

    void topics() {
        Set<String> kafkas = new TreeSet<>();
        ofKind("Kafka").forEach(k -> kafkas.add(name(k)));
        Map<String, ObjectNode> byTopic = new TreeMap<>();
        for (ObjectNode t : ofKind("KafkaTopic")) {
            String topic = t.at("/spec/topicName").asText(name(t));
            byTopic.put(topic, t);
            String cluster = t.at("/metadata/labels/strimzi.io~1cluster").asText();
            if (!kafkas.contains(cluster)) {
                problems.add(id(t) + ": label strimzi.io/cluster=" + cluster + " names no Kafka resource " + kafkas);
            }
            int replicas = t.at("/spec/replicas").asInt(-1);
            int nodes = 0;
            for (ObjectNode pool : ofKind("KafkaNodePool")) {
                if (cluster.equals(pool.at("/metadata/labels/strimzi.io~1cluster").asText())) {
                    for (JsonNode role : pool.at("/spec/roles")) {
                        nodes += role.asText().equals("broker") ? pool.at("/spec/replicas").asInt() : 0;
                    }
                }
            }
            if (replicas > nodes) {
                problems.add(id(t) + ": " + replicas + " replicas but Kafka " + cluster + " has " + nodes + " brokers");
            }
        }
        for (ObjectNode np : ofKind("KafkaNodePool")) {
            if (!kafkas.contains(np.at("/metadata/labels/strimzi.io~1cluster").asText())) {
                problems.add(id(np) + ": label strimzi.io/cluster names no Kafka resource");
            }
        }
        for (String topic : ServiceFacts.allTopics(services)) {
            if (!byTopic.containsKey(topic)) {
                problems.add("no KafkaTopic for topic " + topic + " (used by the event contract or a service's channels)");
            }
        }
        for (ServiceFacts f : services) {
            for (String topic : f.replayedTopics()) {
                ObjectNode t = byTopic.get(topic);
                if (t == null) {
                    continue;
                }
                JsonNode config = t.at("/spec/config");
                boolean keeps = config.path("retention.ms").asLong(0) == -1
                        && config.path("cleanup.policy").asText("delete").equals("delete")
                        && config.path("retention.bytes").asLong(-1) == -1;
                if (!keeps) {
                    problems.add(id(t) + ": " + f.name() + " replays topic " + topic + " from the beginning on every start, so it must"
                            + " keep everything (retention.ms=-1, retention.bytes=-1, cleanup.policy=delete); it has " + config);
                }
            }
        }
    }

    // ---------------------------------------------------------------- Ingress

    record Route(String path, String type, String service, JsonNode port, boolean regex) {
        boolean matches(String p) {
            return switch (type) {
                case "Exact" -> p.equals(path);
                case "Prefix" -> p.equals(path) || p.startsWith(path.endsWith("/") ? path : path + "/");
                default -> regex ? java.util.regex.Pattern.compile("^" + path, java.util.regex.Pattern.CASE_INSENSITIVE).matcher(p).find()
                        : p.startsWith(path);
            };
        }
    }

    List<Route> routes() {
        List<Route> out = new ArrayList<>();
        for (ObjectNode ing : ofKind("Ingress")) {
            boolean regex = "true".equals(ing.at("/metadata/annotations/nginx.ingress.kubernetes.io~1use-regex").asText());
            for (JsonNode rule : ing.at("/spec/rules")) {
                for (JsonNode p : rule.at("/http/paths")) {
                    out.add(new Route(p.path("path").asText("/"), p.path("pathType").asText(), p.at("/backend/service/name").asText(),
                            p.at("/backend/service/port"), regex));
                }
            }
        }
        // ingress-nginx tries the longest path first
        out.sort((a, b) -> Integer.compare(b.path().length(), a.path().length()));
        return out;
    }

    String routeOf(String path) {
        for (Route r : routes()) {
            if (r.matches(path)) {
                return r.service();
            }
        }
        return null;
    }

    void ingress() {
        for (Route r : routes()) {
            ObjectNode svc = find("Service", r.service());
            if (svc == null) {
                problems.add("Ingress path " + r.path() + ": backend Service " + r.service() + " does not exist");
                continue;
            }
            boolean portOk = false;
            for (JsonNode p : svc.at("/spec/ports")) {
                portOk |= r.port().has("name") ? p.path("name").asText().equals(r.port().get("name").asText())
                        : p.path("port").asInt() == r.port().path("number").asInt();
            }
            if (!portOk) {
                problems.add("Ingress path " + r.path() + ": Service " + r.service() + " has no port " + r.port());
            }
        }
        if (ofKind("Ingress").isEmpty()) {
            problems.add("no Ingress");
            return;
        }
        for (String internal : List.of("/v1/internal", "/v1/internal/contexts/x1", "/v1/internal/iommus/x1/sync", "/q/metrics", "/q/health/live")) {
            String to = routeOf(internal);
            if (to != null) {
                problems.add("Ingress routes " + internal + " to " + to + ": internal and /q paths must not be routed");
            }
        }
        for (ServiceFacts f : services) {
            for (String path : f.resourcePaths()) {
                String sample = path.replaceAll("\\{[^}]+}", "x1");
                String to = routeOf(sample);
                if (path.startsWith("/v1/internal")) {
                    if (to != null) {
                        problems.add("Ingress routes internal path " + path + " (of " + f.name() + ") to " + to);
                    }
                } else if (to == null) {
                    problems.add("Ingress does not route " + path + " (served by " + f.name() + ")");
                } else if (!to.equals(f.name())) {
                    problems.add("Ingress routes " + path + " to " + to + ", but " + f.name() + " serves it");
                }
            }
        }
    }

    // ---------------------------------------------------------------- PDBs, secrets, monitoring

    void podDisruptionBudgets() {
        for (ObjectNode pdb : ofKind("PodDisruptionBudget")) {
            List<Pod> selected = workloadPods().stream().filter(p -> matches(pdb.at("/spec/selector"), p.labels())).toList();
            if (selected.isEmpty()) {
                problems.add(id(pdb) + ": selector selects no pod");
                continue;
            }
            int replicas = selected.stream().mapToInt(Pod::replicas).sum();
            JsonNode min = pdb.at("/spec/minAvailable");
            JsonNode max = pdb.at("/spec/maxUnavailable");
            if (min.isInt() && min.asInt() >= replicas || max.isInt() && max.asInt() == 0
                    || "100%".equals(min.asText()) || "0%".equals(max.asText())) {
                problems.add(id(pdb) + ": allows no voluntary disruption of its " + replicas + " pod(s): node drains would block");
            }
        }
    }

    void secrets() {
        for (ObjectNode s : ofKind("Secret")) {
            if (s.has("data") || s.has("stringData")) {
                problems.add(id(s) + ": Secret with inline data in the manifests; create it out of band (k8s/required-secrets.yaml)");
            }
        }
        for (RequiredSecret rs : requiredSecrets.values()) {
            Matcher m = java.util.regex.Pattern.compile("^(\\w+)/([a-z0-9.-]+)").matcher(rs.createdBy());
            if (m.find() && find(m.group(1), m.group(2)) == null) {
                problems.add("required Secret " + rs.name() + " is created by " + m.group(1) + "/" + m.group(2) + ", which is not rendered");
            }
        }
    }

    void monitoring() {
        Set<String> known = ServiceFacts.meterNames();
        boolean dashboard = false;
        for (ObjectNode cm : ofKind("ConfigMap")) {
            if (!"1".equals(cm.at("/metadata/labels/grafana_dashboard").asText())) {
                continue;
            }
            dashboard = true;
            for (var it = cm.path("data").fields(); it.hasNext(); ) {
                var e = it.next();
                JsonNode dash;
                try {
                    dash = Yaml.JSON.readTree(e.getValue().asText());
                } catch (IOException ex) {
                    problems.add(id(cm) + ": " + e.getKey() + " is not valid JSON: " + ex.getMessage());
                    continue;
                }
                for (JsonNode expr : dash.findValues("expr")) {
                    Matcher m = java.util.regex.Pattern.compile("\\biommufd_[a-z0-9_]+").matcher(expr.asText());
                    while (m.find()) {
                        String metric = m.group().replaceAll("(_seconds)?(_bucket|_count|_sum|_max|_total)$", "");
                        metric = metric.replaceAll("_seconds$", "");
                        if (!known.contains(metric) && !PLANNED_METRICS.contains(metric)) {
                            problems.add(id(cm) + ": dashboard metric " + m.group() + " is registered by no service (meter "
                                    + metric.replace('_', '.') + ")");
                        }
                    }
                }
            }
        }
        if (!dashboard) {
            problems.add("no Grafana dashboard ConfigMap (label grafana_dashboard=1)");
        }
        for (ObjectNode sm : ofKind("ServiceMonitor")) {
            List<ObjectNode> selected = ofKind("Service").stream().filter(s -> matches(sm.at("/spec/selector"), labels(s.at("/metadata/labels")))).toList();
            if (selected.isEmpty()) {
                problems.add(id(sm) + ": selects no Service");
            }
            for (JsonNode ep : sm.at("/spec/endpoints")) {
                for (ObjectNode s : selected) {
                    boolean has = false;
                    for (JsonNode p : s.at("/spec/ports")) {
                        has |= p.path("name").asText().equals(ep.path("port").asText());
                    }
                    if (!has) {
                        problems.add(id(sm) + ": endpoint port " + ep.path("port").asText() + " is not a port of " + id(s));
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private RequiredSecret secret(String where, String name, String key, boolean optional) {
        for (ObjectNode s : ofKind("Secret")) {
            if (name(s).equals(name)) {
                Set<String> keys = new TreeSet<>();
                s.path("data").fieldNames().forEachRemaining(keys::add);
                s.path("stringData").fieldNames().forEachRemaining(keys::add);
                return new RequiredSecret(name, keys, "manifests");
            }
        }
        RequiredSecret rs = requiredSecrets.get(name);
        if (rs == null) {
            if (!optional) {
                problems.add(where + ": Secret " + name + " is neither rendered nor listed in k8s/required-secrets.yaml");
            }
            return null;
        }
        if (key != null && !rs.keys().contains(key)) {
            problems.add(where + ": Secret " + name + " has no key " + key + " (k8s/required-secrets.yaml lists " + rs.keys() + ")");
        }
        return rs;
    }

    static Map<String, RequiredSecret> loadRequiredSecrets() {
        Map<String, RequiredSecret> out = new TreeMap<>();
        JsonNode root = Yaml.one(MiniKustomize.read(Repo.k8s().resolve("required-secrets.yaml")));
        for (JsonNode s : root.path("secrets")) {
            Set<String> keys = new TreeSet<>();
            s.path("keys").forEach(k -> keys.add(k.asText()));
            out.put(s.path("name").asText(), new RequiredSecret(s.path("name").asText(), keys, s.path("createdBy").asText()));
        }
        return out;
    }

    private JsonNode configMapData(String name) {
        ObjectNode cm = find("ConfigMap", name);
        return cm == null ? null : cm.path("data").isObject() ? cm.path("data") : Yaml.JSON.createObjectNode();
    }

    private String namespace() {
        for (ObjectNode d : docs) {
            if (d.at("/metadata/namespace").isTextual()) {
                return d.at("/metadata/namespace").asText();
            }
        }
        return null;
    }

    List<ObjectNode> ofKind(String kind) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
    }

    ObjectNode find(String kind, String name) {
        return ofKind(kind).stream().filter(d -> name(d).equals(name)).findFirst().orElse(null);
    }

    static String name(JsonNode d) {
        return d.at("/metadata/name").asText();
    }

    static String id(JsonNode d) {
        return d.path("kind").asText() + "/" + name(d);
    }

    private static String names(List<ObjectNode> nps) {
        return String.join(", ", nps.stream().map(Checks::name).toList());
    }

    static Map<String, String> labels(JsonNode n) {
        Map<String, String> m = new TreeMap<>();
        if (n != null) {
            n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        }
        return m;
    }

    static boolean subset(Map<String, String> want, Map<String, String> have) {
        return want.entrySet().stream().allMatch(e -> e.getValue().equals(have.get(e.getKey())));
    }

    /** A LabelSelector (matchLabels and matchExpressions); an empty selector matches everything. */
    static boolean matches(JsonNode selector, Map<String, String> labels) {
        if (selector == null || selector.isMissingNode() || selector.isNull()) {
            return false;
        }
        if (!subset(labels(selector.path("matchLabels")), labels)) {
            return false;
        }
        for (JsonNode e : selector.path("matchExpressions")) {
            String key = e.path("key").asText();
            Set<String> values = new TreeSet<>();
            e.path("values").forEach(v -> values.add(v.asText()));
            boolean ok = switch (e.path("operator").asText()) {
                case "In" -> labels.containsKey(key) && values.contains(labels.get(key));
                case "NotIn" -> !labels.containsKey(key) || !values.contains(labels.get(key));
                case "Exists" -> labels.containsKey(key);
                case "DoesNotExist" -> !labels.containsKey(key);
                default -> false;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
