package dev.iommufd.tools.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufd.contract.events.SyncRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class NdjsonTest {
    @Test
    void exportThenImportGivesTheSameItemsAndTheSameBytes() throws IOException {
        List<String> lines = Fixture.lines();
        List<StreamItem> items = Fixture.read(lines);
        StringWriter w = new StringWriter();
        Ndjson.write(items, w);
        assertEquals(String.join("\n", lines) + "\n", w.toString()); // the fixture is itself an export
        assertEquals(items, Ndjson.read(new BufferedReader(new StringReader(w.toString()))));
    }

    @Test
    void dmaLinesRoundTrip() throws IOException {
        String line = "{\"timestamp\":5,\"dma\":{\"rid\":\"0000:04:00.0\",\"pasid\":3,\"iova\":\"0x40001000\",\"length\":8,\"write\":true}}";
        List<StreamItem> items = Ndjson.read(new BufferedReader(new StringReader(line)));
        assertEquals(List.of(new DmaProbe(5, "0000:04:00.0", 3, 0x40001000L, 8, true, 1)), items);
        assertEquals(line, Ndjson.line(items.get(0)));
    }

    @Test
    void aHandWrittenLineNeedsOnlyTheEvent() throws IOException {
        String line = "{\"event\":{\"schemaVersion\":1,\"id\":\"x\",\"source\":\"ioas-service\",\"contextId\":null,\"key\":\"dmar0\","
                + "\"sequence\":7,\"correlationId\":\"c\",\"time\":\"2026-11-29T20:00:00Z\",\"traceparent\":null,"
                + "\"payload\":{\"kind\":\"SYNC\",\"iommu\":\"dmar0\"}}}";
        Recorded r = (Recorded) Ndjson.read(new BufferedReader(new StringReader("# a comment\n\n" + line))).get(0);
        assertEquals("iommufd.hw.commands", r.topic());
        assertEquals(-1, r.partition());
        assertEquals(-1, r.offset());
        assertEquals(1795982400000L, r.timestamp());
        assertEquals(new SyncRequest("dmar0"), r.event().payload());
    }

    @Test
    void aBadLineIsRefusedWithItsNumber() {
        String good = Fixture.lines().get(0);
        for (String[] bad : new String[][] {
                {"not json", "line 2: "},
                {"[1]", "line 2: not a JSON object"},
                {"{\"topic\":\"x\"}", "line 2: neither \"event\" nor \"dma\""},
                {good.replace("\"partition\"", "\"partitio\""), "line 2: unknown field \"partitio\" in line"},
                {good.replace("iommufd.hw.commands", "iommufd.other"), "line 2: unknown topic iommufd.other"},
                {good.replace("\"kind\":\"SYNC\"", "\"kind\":\"SYNCX\""), "line 2: "},
                {good.replace("\"schemaVersion\":1", "\"schemaVersion\":2"), "line 2: unsupported schema version 2"},
                {"{\"dma\":{\"rid\":\"0000:04:00.0\",\"iova\":\"0x1000\",\"length\":0}}", "line 2: DMA length must be >= 1"},
                {"{\"dma\":{\"rid\":\"0000:04:00.0\",\"iova\":\"-1\",\"length\":4}}", "line 2: not a u64: \"-1\""},
                {"{\"dma\":{\"rid\":\"0000:04:00.0\",\"iova\":1,\"length\":4,\"size\":1}}", "line 2: unknown field \"size\" in dma"}}) {
            Ndjson.BadLineException e = assertThrows(Ndjson.BadLineException.class,
                    () -> Ndjson.read(new BufferedReader(new StringReader(good + "\n" + bad[0]))), bad[0]);
            assertEquals(true, e.getMessage().startsWith(bad[1]), e.getMessage());
        }
    }
}
