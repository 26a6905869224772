package dev.iommufd.devinfra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * A single-node KRaft Kafka broker (combined broker + controller on 127.0.0.1) run from the jars
 * that the infra/kafka-dist module collects. Data lives under {@code .run/kafka}.
 */
public final class KafkaBroker {
    private final Path repoRoot;
    private final Path dir;
    private final int port;
    private final int controllerPort;

    public KafkaBroker(Path repoRoot, Path runDir, int port) {
        this.repoRoot = repoRoot;
        this.dir = runDir.resolve("kafka");
        this.port = port;
        this.controllerPort = port + 1;
    }

    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    public boolean running() {
        return Procs.portOpen(port) && ready();
    }

    public void start() {
        if (running()) {
            return;
        }
        if (Procs.portOpen(port)) {
            // Something listens but does not answer as a broker yet: give it a moment (still starting).
            Procs.await("Kafka on " + bootstrap(), Duration.ofSeconds(60), this::ready);
            return;
        }
        try {
            Files.createDirectories(dir);
            Path props = dir.resolve("server.properties");
            Files.writeString(props, serverProperties());
            String cp = classpath();
            if (!Files.exists(dir.resolve("data/meta.properties"))) {
                Procs.run(List.of(java(), "-cp", cp, "kafka.tools.StorageTool", "format",
                        "-t", "aW9tbXVmZC1sb2NhbDAx", "-c", props.toString(), "--ignore-formatted"), Duration.ofSeconds(120));
            }
            List<String> cmd = new ArrayList<>(List.of("setsid", java(), "-Xms128m", "-Xmx512m",
                    "-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", cp, "kafka.Kafka", props.toString()));
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("broker.log").toFile())
                    .start();
            Files.writeString(dir.resolve("broker.pid"), Long.toString(p.pid()));
            Procs.await("Kafka on " + bootstrap(), Duration.ofSeconds(90), () -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("Kafka exited early; see " + dir.resolve("broker.log"));
                }
                return Procs.portOpen(port) && ready();
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void stop() {
        Procs.readPid(dir.resolve("broker.pid")).ifPresent(pid -> Procs.terminate(pid, Duration.ofSeconds(30)));
        try {
            Files.deleteIfExists(dir.resolve("broker.pid"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private boolean ready() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000);
        try (Admin admin = Admin.create(p)) {
            return !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    private String classpath() throws IOException {
        Path libs = repoRoot.resolve("infra/kafka-dist/target/kafka-libs");
        if (!Files.isDirectory(libs)) {
            Procs.run(List.of("mvn", "-B", "-q", "-f", repoRoot.resolve("infra/kafka-dist/pom.xml").toString(),
                    "generate-resources"), Duration.ofMinutes(10));
        }
        return libs.resolve("*").toString();
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private String serverProperties() {
        return String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "log.dirs=" + dir.resolve("data"),
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=3",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=3",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "broker.session.timeout.ms=3000",
                "auto.create.topics.enable=true",
                "log.retention.hours=168",
                "")
                ;
    }
}
