package dev.iommufd.k8s;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each directory under src/test/resources/broken is the dev (or prod) overlay plus one seeded breakage; its
 * expected.txt holds the problem the checks must report. Proves each check can fail.
 */
class BrokenManifestsTest {
    static Stream<String> cases() throws IOException {
        try (Stream<Path> dirs = Files.list(Repo.brokenCases())) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void fails(String name) throws IOException {
        Path dir = Repo.brokenCases().resolve(name);
        String expected = Files.readString(dir.resolve("expected.txt")).strip();
        List<String> problems = Checks.run(Renderer.render(dir).docs()).problems;
        assertTrue(problems.stream().anyMatch(p -> p.contains(expected)),
                name + ": expected a problem containing\n  " + expected + "\nbut got\n  " + String.join("\n  ", problems));
    }

    @Test
    void everyKindOfBreakageIsSeeded() throws IOException {
        assertTrue(cases().count() >= 20, "the seeded cases went missing");
    }
}
