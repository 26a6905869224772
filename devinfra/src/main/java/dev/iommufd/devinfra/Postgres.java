package dev.iommufd.devinfra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A local PostgreSQL server from Debian's packages (installed with apt-get when missing and we are
 * root). PostgreSQL refuses to run as root, so as root it runs as the {@code postgres} user; when
 * that user cannot reach {@code .run/pg} (e.g. a clone inside a private mktemp folder) the data
 * goes to a per-checkout folder under /tmp instead.
 */
public final class Postgres {
    public static final String DATABASE = "iommufd";
    public static final String USER = "iommufd";
    public static final String PASSWORD = "iommufd";

    private final Path dir;
    private final int port;

    public Postgres(Path repoRoot, Path runDir, int port) {
        this.port = port;
        this.dir = chooseDir(repoRoot, runDir.resolve("pg"));
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    public String reactiveUrl() {
        return "postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    public Path dataDir() {
        return dir.resolve("data");
    }

    public boolean running() {
        return Procs.portOpen(port) && canConnect(DATABASE);
    }

    public void start() {
        if (running()) {
            return;
        }
        Path bin = binDir();
        try {
            Files.createDirectories(dir);
            if (Procs.isRoot()) {
                Procs.run(List.of("chown", "-R", "postgres:postgres", dir.toString()), Duration.ofSeconds(30));
            }
            if (!Files.exists(dataDir().resolve("PG_VERSION"))) {
                asOwner(List.of(bin.resolve("initdb").toString(), "-D", dataDir().toString(), "-U", USER,
                        "--auth=trust", "--encoding=UTF8", "--no-instructions"), Duration.ofMinutes(2));
            }
            if (!Procs.portOpen(port)) {
                String opts = "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories="
                        + dir + " -c max_connections=200 -c fsync=off -c synchronous_commit=off";
                asOwner(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir().toString(), "-l",
                        dir.resolve("postgres.log").toString(), "-o", opts, "-w", "-t", "60", "start"), Duration.ofSeconds(90));
            }
            Procs.await("PostgreSQL on port " + port, Duration.ofSeconds(60), () -> canConnect("postgres"));
            if (!canConnect(DATABASE)) {
                try (Connection c = DriverManager.getConnection(url("postgres"), USER, PASSWORD);
                     Statement s = c.createStatement()) {
                    s.execute("CREATE DATABASE " + DATABASE);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + DATABASE + ": " + e.getMessage(), e);
        }
    }

    public void stop() {
        if (!Files.exists(dataDir().resolve("postmaster.pid"))) {
            return;
        }
        Optional<Path> bin = findBinDir();
        if (bin.isEmpty()) {
            return;
        }
        asOwner(List.of(bin.get().resolve("pg_ctl").toString(), "-D", dataDir().toString(), "-m", "fast", "-w", "stop"),
                Duration.ofSeconds(60));
    }

    /**
     * A new, empty database; first drops databases of earlier runs with the same prefix, so test
     * data never leaks from one run into the next (devices, for one, can be bound only once).
     */
    public String freshDatabase(String prefix) {
        String name = prefix + Long.toHexString(System.currentTimeMillis()) + Long.toHexString(System.nanoTime() & 0xfff);
        try (Connection c = DriverManager.getConnection(url("postgres"), USER, PASSWORD);
             Statement s = c.createStatement()) {
            java.util.List<String> old = new java.util.ArrayList<>();
            // Databases still in use, or made in the last minutes (a run whose services are still
            // starting), belong to a concurrent run: only the others are dropped.
            try (java.sql.ResultSet rs = s.executeQuery("SELECT d.datname FROM pg_database d WHERE d.datname LIKE '" + prefix
                    + "%' AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)")) {
                while (rs.next()) {
                    if (!madeRecently(rs.getString(1), prefix)) {
                        old.add(rs.getString(1));
                    }
                }
            }
            for (String db : old) {
                s.execute("DROP DATABASE IF EXISTS \"" + db + "\" WITH (FORCE)");
            }
            s.execute("CREATE DATABASE \"" + name + "\"");
            return name;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
        }
    }

    /** Whether the database was named by {@link #freshDatabase} less than 10 minutes ago (its name starts with the time). */
    static boolean madeRecently(String name, String prefix) {
        String millis = Long.toHexString(System.currentTimeMillis());
        if (name.length() < prefix.length() + millis.length()) {
            return false;
        }
        try {
            long made = Long.parseLong(name.substring(prefix.length(), prefix.length() + millis.length()), 16);
            return System.currentTimeMillis() - made < 10 * 60_000L;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private boolean canConnect(String db) {
        try (Connection c = DriverManager.getConnection(url(db), USER, PASSWORD)) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private String url(String db) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + db + "?connectTimeout=2";
    }

    private static void asOwner(List<String> cmd, Duration timeout) {
        List<String> full = new ArrayList<>();
        if (Procs.isRoot()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(cmd);
        Procs.run(full, timeout);
    }

    /** The server binaries; installs Debian's postgresql package when none is present and we may. */
    private static Path binDir() {
        Optional<Path> found = findBinDir();
        if (found.isPresent()) {
            return found.get();
        }
        if (Procs.isRoot() && Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            Procs.run(List.of("apt-get", "update", "-q"), Duration.ofMinutes(5));
            Procs.run(List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q",
                    "--no-install-recommends", "postgresql"), Duration.ofMinutes(10));
            return findBinDir().orElseThrow(() -> new IllegalStateException("postgresql installed but no initdb found"));
        }
        throw new IllegalStateException("PostgreSQL server binaries not found: install Debian's 'postgresql' package");
    }

    static Optional<Path> findBinDir() {
        Path base = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(base)) {
            try (Stream<Path> versions = Files.list(base)) {
                Optional<Path> bin = versions.map(v -> v.resolve("bin"))
                        .filter(b -> Files.isExecutable(b.resolve("initdb")))
                        .max(Comparator.comparing(b -> versionOf(b.getParent())));
                if (bin.isPresent()) {
                    return bin;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path initdb = Path.of(p, "initdb");
            if (!p.isEmpty() && Files.isExecutable(initdb)) {
                return Optional.of(initdb.getParent());
            }
        }
        return Optional.empty();
    }

    private static int versionOf(Path p) {
        try {
            return Integer.parseInt(p.getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Path chooseDir(Path repoRoot, Path preferred) {
        if (!Procs.isRoot() || postgresCanReach(preferred.getParent())) {
            return preferred;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(repoRoot.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8));
            return Path.of("/tmp", "iommufd-pg-" + HexFormat.of().formatHex(h, 0, 6));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the postgres user can traverse every parent of {@code dir} (it will own dir itself). */
    private static boolean postgresCanReach(Path dir) {
        try {
            Files.createDirectories(dir);
            Procs.run(List.of("runuser", "-u", "postgres", "--", "test", "-x", dir.toAbsolutePath().toString()), Duration.ofSeconds(10));
            return true;
        } catch (RuntimeException | IOException e) {
            return false;
        }
    }
}
