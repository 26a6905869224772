package dev.iommufd.k8s;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository is: surefire passes iommufd.repo.root; otherwise walk up from the working directory. */
final class Repo {
    private Repo() {}

    static Path root() {
        String prop = System.getProperty("iommufd.repo.root");
        if (prop != null && Files.isDirectory(Path.of(prop, "k8s", "base"))) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            if (Files.isDirectory(p.resolve("k8s/base")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("repository root (with k8s/base) not found from " + Path.of("").toAbsolutePath());
    }

    static Path k8s() {
        return root().resolve("k8s");
    }

    /** The seeded broken kustomizations (sources, not target/test-classes: their relative paths point into k8s/). */
    static Path brokenCases() {
        return root().resolve("k8s-validation/src/test/resources/broken");
    }
}
