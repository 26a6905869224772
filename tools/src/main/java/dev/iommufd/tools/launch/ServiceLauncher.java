package dev.iommufd.tools.launch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iommufd.devinfra.Endpoints;
import dev.iommufd.devinfra.LocalInfra;
import dev.iommufd.devinfra.Procs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Starts the packaged services as real processes against the checkout's Kafka and PostgreSQL
 * (the launcher of {@code iommuctl up} and of the end-to-end tests). Each service logs to
 * {@code .run/logs/<service>.log}; its pid is in {@code .run/pids}.
 */
public final class ServiceLauncher {
    private final Path repoRoot;
    private final LocalInfra infra;
    private final Map<Service, Integer> ports = new EnumMap<>(Service.class);
    private final String runName;
    /** null: the checkout's main database; else this database (end-to-end tests use a fresh one). */
    private Endpoints endpoints;
    private final Map<String, String> extraConfig = new java.util.LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /**
     * @param portOffset added to every default port (the e2e tests use 10000 so they never meet a
     *                   running {@code iommuctl up})
     * @param runName    names the pid and log files, so two launchers of one checkout stay apart
     */
    public ServiceLauncher(Path repoRoot, int portOffset, String runName) {
        this.repoRoot = repoRoot;
        this.infra = new LocalInfra(repoRoot);
        this.runName = runName;
        for (Service s : Service.values()) {
            String env = System.getenv(s.portEnv());
            int base = env == null || env.isBlank() ? s.defaultPort() : Integer.parseInt(env.trim());
            ports.put(s, base + portOffset);
        }
    }

    /** Runs the services on a new, empty database (older ones of this prefix are dropped). */
    public ServiceLauncher withFreshDatabase(String prefix) {
        down(false); // services of an earlier run of this name would still use the old database
        infra.ensureUp();
        this.endpoints = infra.isolated(prefix);
        return this;
    }

    /** Extra configuration for every service this launcher starts (e.g. a longer lazy flush for a test). */
    public ServiceLauncher withConfig(String key, String value) {
        extraConfig.put(key, value);
        return this;
    }

    public static ServiceLauncher forCli() {
        return new ServiceLauncher(LocalInfra.repoRoot(), 0, "up");
    }

    public LocalInfra infra() {
        return infra;
    }

    public String url(Service s) {
        return "http://127.0.0.1:" + ports.get(s);
    }

    public Path log(Service s) {
        return infra.runDir().resolve("logs").resolve(runName + "-" + s.module() + ".log");
    }

    private Path pidFile(Service s) {
        return infra.runDir().resolve("pids").resolve(runName + "-" + s.module() + ".pid");
    }

    /** Infrastructure, then every service not yet ready; waits until all are ready. */
    public void up() {
        infra.ensureUp();
        List<Service> started = new ArrayList<>();
        for (Service s : Service.startOrder()) {
            if (!ready(s)) {
                start(s);
                started.add(s);
            }
        }
        for (Service s : started) {
            awaitReady(s, Duration.ofSeconds(120));
        }
        if (started.contains(Service.HW_SIM) || started.contains(Service.IOAS)) {
            awaitHardware(Duration.ofSeconds(180));
        }
    }

    /**
     * Waits until every IOMMU's command queue answers a sync through ioas-service: a started hw-sim is
     * ready before it has re-applied its whole input topic (a long one takes a while), and calls made
     * meanwhile time out with EIO.
     */
    private void awaitHardware(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> iommus = new ArrayList<>();
        try {
            JsonNode topo = new ObjectMapper().readTree(send("GET", url(Service.HW_SIM) + "/v1/hw/iommus").body());
            topo.path("iommus").forEach(i -> iommus.add(i.path("id").asText()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String iommu : iommus) {
            while (send("POST", url(Service.IOAS) + "/v1/internal/iommus/" + iommu + "/sync").statusCode() != 200) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the hardware does not complete syncs on " + iommu + " after "
                            + timeout.toSeconds() + " s; see " + log(Service.HW_SIM));
                }
                Procs.sleep(500);
            }
        }
    }

    private HttpResponse<String> send(String method, String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public void down(boolean infraToo) {
        down(infraToo, false);
    }

    /** {@code otherInstances}: also the other infra instances (the tests' servers, which mvn verify leaves running). */
    public void down(boolean infraToo, boolean otherInstances) {
        for (Service s : Service.values()) {
            stop(s);
        }
        if (infraToo) {
            infra.stop();
        }
        if (otherInstances) {
            for (LocalInfra.Instance i : LocalInfra.Instance.values()) {
                if (i != LocalInfra.Instance.current()) {
                    new LocalInfra(repoRoot, i).stop();
                }
            }
        }
    }

    public boolean ready(Service s) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url(s) + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public boolean running(Service s) {
        return readPid(s).map(Procs::alive).orElse(false);
    }

    private void start(Service s) {
        Path jar = repoRoot.resolve(s.module()).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build first (mvn -DskipTests package)");
        }
        stop(s); // a stale process of ours that is not ready
        List<String> cmd = new ArrayList<>(List.of("setsid", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC"));
        (endpoints == null ? infra.serviceConfig() : infra.serviceConfig(endpoints)).forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-Dquarkus.http.port=" + ports.get(s));
        cmd.add("-Diommufd.services.ioas-url=" + url(Service.IOAS));
        cmd.add("-Diommufd.services.hw-sim-url=" + url(Service.HW_SIM));
        cmd.add("-Diommufd.services.fault-url=" + url(Service.FAULT));
        cmd.add("-Diommufd.services.viommu-url=" + url(Service.VIOMMU));
        extraConfig.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar.toString());
        try {
            Files.createDirectories(log(s).getParent());
            Files.createDirectories(pidFile(s).getParent());
            Process p = new ProcessBuilder(cmd).directory(repoRoot.toFile()).redirectErrorStream(true)
                    .redirectOutput(log(s).toFile()).start();
            Files.writeString(pidFile(s), Long.toString(p.pid()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady(Service s, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (ready(s)) {
                return;
            }
            if (!running(s)) {
                throw new IllegalStateException(s.module() + " exited during start; see " + log(s));
            }
            Procs.sleep(250);
        }
        throw new IllegalStateException(s.module() + " not ready after " + timeout.toSeconds() + " s; see " + log(s));
    }

    public void stop(Service s) {
        readPid(s).ifPresent(pid -> Procs.terminate(pid, Duration.ofSeconds(20)));
        try {
            Files.deleteIfExists(pidFile(s));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private java.util.Optional<Long> readPid(Service s) {
        return Procs.readPid(pidFile(s));
    }
}
