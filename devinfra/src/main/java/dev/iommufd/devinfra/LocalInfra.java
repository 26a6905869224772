package dev.iommufd.devinfra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Starts, stops and reports the local Kafka broker and PostgreSQL server of one checkout. Starting
 * is idempotent (a running server is reused) and serialised by a file lock, so tests in several
 * modules share the same servers, as do {@code iommuctl up} and its commands.
 *
 * <p>Two instances: the developer's ({@code iommuctl up/demo/load}: {@code .run}, Kafka 19092,
 * PostgreSQL 15432) and the tests' own ({@code .run/test}, ports + 100), chosen by the system
 * property {@code iommufd.infra=tests} that the build sets for surefire and failsafe. A demo
 * running while the tests run then never shares a broker with their stacks: two hw-sims on one
 * broker answer each other's syncs and dirty reads.
 */
public final class LocalInfra {
    public static final int DEFAULT_KAFKA_PORT = 19092;
    public static final int DEFAULT_PG_PORT = 15432;
    /** System property selecting the instance: {@code tests} for the tests' own servers. */
    public static final String INSTANCE_PROPERTY = "iommufd.infra";

    /** Where an instance keeps its data and how far its ports are shifted from the (env-overridable) defaults. */
    public enum Instance {
        DEV(".run", 0), TESTS(".run/test", 100);

        final String dir;
        final int portShift;

        Instance(String dir, int portShift) {
            this.dir = dir;
            this.portShift = portShift;
        }

        /** The instance this JVM uses: {@code -Diommufd.infra=tests} or the developer's. */
        public static Instance current() {
            return "tests".equals(System.getProperty(INSTANCE_PROPERTY)) ? TESTS : DEV;
        }
    }

    private final Path runDir;
    private final KafkaBroker kafka;
    private final Postgres postgres;

    public LocalInfra(Path repoRoot) {
        this(repoRoot, Instance.current());
    }

    public LocalInfra(Path repoRoot, Instance instance) {
        this.runDir = repoRoot.resolve(instance.dir);
        this.kafka = new KafkaBroker(repoRoot, runDir, intEnv("IOMMUFD_KAFKA_PORT", DEFAULT_KAFKA_PORT) + instance.portShift);
        this.postgres = new Postgres(repoRoot, runDir, intEnv("IOMMUFD_PG_PORT", DEFAULT_PG_PORT) + instance.portShift);
    }

    /** The checkout this code runs in: the nearest folder holding infra/kafka-dist, from -Diommufd.repo.root or the working folder up. */
    public static Path repoRoot() {
        // Maven passes the folder it was started in, which may be a module: walk up from there.
        String prop = System.getProperty("iommufd.repo.root");
        Path p = (prop == null || prop.isBlank() ? Path.of("") : Path.of(prop)).toAbsolutePath();
        while (p != null) {
            if (Files.exists(p.resolve("infra/kafka-dist/pom.xml"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("cannot find the repository root (set -Diommufd.repo.root)");
    }

    public Endpoints ensureUp() {
        withLock(() -> {
            postgres.start();
            kafka.start();
            TokenKeys.ensure(runDir);
        });
        return endpoints();
    }

    /** Everything a service needs to run against this checkout's servers and token keys. */
    public Map<String, String> serviceConfig() {
        return serviceConfig(endpoints());
    }

    public Map<String, String> serviceConfig(Endpoints e) {
        Map<String, String> c = new LinkedHashMap<>(e.quarkusConfig());
        c.putAll(tokenKeys().quarkusConfig());
        return c;
    }

    /** Endpoints with a new, empty database whose name starts with {@code prefix} (older ones are dropped). */
    public Endpoints isolated(String prefix) {
        return endpoints().withDatabase(postgres.freshDatabase(prefix));
    }

    public void stop() {
        withLock(() -> {
            kafka.stop();
            postgres.stop();
        });
    }

    public Endpoints endpoints() {
        return new Endpoints(kafka.bootstrap(), postgres.jdbcUrl(), postgres.reactiveUrl(), Postgres.USER, Postgres.PASSWORD);
    }

    public String status() {
        return "kafka    " + kafka.bootstrap() + "  " + (kafka.running() ? "UP" : "DOWN") + "\n"
                + "postgres " + postgres.jdbcUrl() + "  " + (postgres.running() ? "UP" : "DOWN") + "  (data " + postgres.dataDir() + ")";
    }

    /** This checkout's context-token key pair (made on first use). */
    public TokenKeys tokenKeys() {
        return TokenKeys.ensure(runDir);
    }

    public Path runDir() {
        return runDir;
    }

    private void withLock(Runnable r) {
        try {
            Files.createDirectories(runDir);
            try (FileChannel ch = FileChannel.open(runDir.resolve("infra.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                r.run();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int intEnv(String name, int dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : Integer.parseInt(v.trim());
    }
}
