package dev.iommufd.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The built-in renderer (used only when kubectl is not on PATH) must produce what {@code kubectl kustomize}
 * produces, for the overlays and every seeded case. Skipped, saying so, where kubectl is missing.
 */
class MiniKustomizeTest {
    static Stream<Path> kustomizations() throws IOException {
        List<Path> out = new ArrayList<>(List.of(Repo.k8s().resolve("base"), Repo.k8s().resolve("overlays/dev"), Repo.k8s().resolve("overlays/prod")));
        try (Stream<Path> dirs = Files.list(Repo.brokenCases())) {
            dirs.filter(Files::isDirectory).sorted().forEach(out::add);
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kustomizations")
    void sameAsKubectl(Path dir) {
        assumeTrue(Renderer.KUBECTL != null, "kubectl is not on PATH: the built-in renderer cannot be compared with kubectl kustomize here");
        var expected = MiniKustomize.byId(Yaml.documents(Renderer.kubectl(dir)));
        var actual = MiniKustomize.byId(MiniKustomize.render(dir));
        assertEquals(expected.keySet(), actual.keySet(), dir + ": different resources");
        expected.forEach((id, doc) -> assertEquals(doc, actual.get(id), dir + ": " + id + " differs"));
    }
}
