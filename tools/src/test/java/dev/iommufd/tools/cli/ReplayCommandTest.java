package dev.iommufd.tools.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The replay command end to end over files (no Kafka): exit codes, export/import, JSON. */
class ReplayCommandTest {
    private static final String CONTEXT = "736746a0-141e-47a7-9245-91ff73d116b9";

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        ReplayCommand c = new ReplayCommand();
        new CommandLine(c).parseArgs(args);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = c.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Path fixture() throws URISyntaxException {
        return Path.of(ReplayCommandTest.class.getResource("/replay/live-run.ndjson").toURI());
    }

    private static List<String> eventLines(Path p) throws IOException {
        return Files.readAllLines(p).stream().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
    }

    @Test
    void aCleanStreamExitsZeroAndItsExportReplaysIdentically() throws Exception {
        Path export = dir.resolve("ctx.ndjson");
        Run first = run("--from-file", fixture().toString(), "--context", CONTEXT, "--export", export.toString());
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("# selected 19 of 49"), first.out());
        assertTrue(first.out().contains("# exported 19 items to " + export), first.out());
        assertTrue(first.out().contains("digest af4d445498ece6d67ff11ccfa339fc65df85f3da797cd6656023f73702616664  (15 commands applied"),
                first.out());
        assertEquals(19, eventLines(export).size());
        List<String> exported = eventLines(export);
        List<String> selected = eventLines(fixture()).stream().filter(exported::contains).toList();
        assertEquals(selected, exported); // the exported lines are the fixture's, byte for byte, in order

        Run again = run("--from-file", export.toString());
        assertEquals(0, again.code());
        // same timeline and digest; only the source line differs
        assertEquals(first.out().substring(first.out().indexOf("== timeline")), again.out().substring(again.out().indexOf("== timeline")));
    }

    @Test
    void aViolationExitsOneAndJsonNamesIt() throws Exception {
        List<String> l = new ArrayList<>(eventLines(fixture()));
        l.set(38, l.get(38).replace("\"upToSequence\":1795983896340000", "\"upToSequence\":1795983896339999"));
        Path doctored = dir.resolve("doctored.ndjson");
        Files.write(doctored, l);
        Run r = run("--from-file", doctored.toString(), "--json", "--no-timeline");
        assertEquals(1, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("COMPLETION_MISMATCH", j.path("violations").get(0).path("type").asText());
        assertEquals(2, j.path("violations").get(0).path("events").size());
        assertEquals("6c6e6e9fe9a181dcf5c75d2e1525df1bbec6af8d774c4ca9a49941b651bde97f", j.path("digest").asText());
        assertEquals(11, j.path("kinds").path("SYNC").asInt());
        assertTrue(j.path("timeline").isMissingNode());
        assertEquals(11, j.path("latenciesUs").path("syncToCompletion").path("count").asInt());
        assertEquals(4, j.path("latenciesUs").path("unmapToCompletion").path("count").asInt());
        assertEquals(0, j.path("latenciesUs").path("pageRequestToResponse").path("count").asInt());
    }

    @Test
    void badInputExitsTwoWithTheReason() throws Exception {
        Path bad = dir.resolve("bad.ndjson");
        Files.writeString(bad, eventLines(fixture()).get(0) + "\n{\"nope\":1}\n");
        Run r = run("--from-file", bad.toString());
        assertEquals(2, r.code());
        assertEquals("replay: " + bad + ": line 2: unknown field \"nope\" in line\n", r.err());
        assertEquals("", r.out());

        Run range = run("--from-file", fixture().toString(), "--iova-range", "0x2000-0x1000");
        assertEquals(2, range.code());
        assertEquals("replay: IOVA range end must be above its start\n", range.err());

        Run missing = run("--from-file", dir.resolve("none.ndjson").toString());
        assertEquals(2, missing.code());
    }

    @Test
    void topicsRestrictAFileToo() throws Exception {
        Run r = run("--from-file", fixture().toString(), "--topics", "iommufd.hw.commands", "--json");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(0, r.code());
        assertEquals(36, j.path("timeline").size());
        assertTrue(j.path("kinds").path("COMPLETION").isMissingNode());
        assertEquals("6c6e6e9fe9a181dcf5c75d2e1525df1bbec6af8d774c4ca9a49941b651bde97f", j.path("digest").asText());
    }
}
