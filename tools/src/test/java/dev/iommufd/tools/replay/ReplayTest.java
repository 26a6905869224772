package dev.iommufd.tools.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iommufd.contract.topology.Topology;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Replay of the stream recorded from a live run, and of doctored copies of it. */
class ReplayTest {
    private static final String STALE_DMA_AT_0x40001000 = "{\"timestamp\":%d,\"dma\":{\"rid\":\"0000:04:00.0\",\"iova\":\"0x40001000\",\"length\":8,\"write\":false}}";

    private static ReplayReport replay(List<String> lines) {
        return Replay.run(Fixture.read(lines), Topology.defaults());
    }

    private static String text(ReplayReport r) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        r.printText(new PrintStream(b, true, StandardCharsets.UTF_8));
        return b.toString(StandardCharsets.UTF_8);
    }

    private static List<String> types(ReplayReport r) {
        return r.violations().stream().map(ReplayReport.Violation::type).toList();
    }

    @Test
    void theRecordedRunReplaysToHwSimsLiveDigestWithoutViolation() {
        ReplayReport r = replay(Fixture.lines());
        assertEquals(Fixture.LIVE_DIGEST, r.digest());
        assertEquals(List.of(), r.violations());
        assertEquals(List.of(), r.rejected());
        assertEquals(49, r.timeline().size());
        assertEquals(36, r.commandsApplied()); // 49 events − 11 completions − 2 CONTEXT_CLOSED
        assertEquals(0, r.duplicates());
        assertEquals(Map.of("ATTACH", 4L, "COMPLETION", 11L, "CONTEXT_CLOSED", 2L, "DOMAIN_CREATE", 3L, "DOMAIN_DESTROY", 1L,
                "INV_ATC", 3L, "INV_IOTLB", 4L, "MAP", 6L, "SYNC", 11L, "UNMAP", 4L), r.kinds());
        assertEquals(11, r.latencies().get(Replay.SYNC_LATENCY).getTotalCount());
        assertEquals(4, r.latencies().get(Replay.UNMAP_LATENCY).getTotalCount());
        assertEquals(0, r.latencies().get(Replay.PRI_LATENCY).getTotalCount());
    }

    @Test
    void theTimelineLinksUnmapInvalidationsAndCompletion() {
        List<ReplayReport.Line> t = replay(Fixture.lines()).timeline();
        assertEquals("#35   2026-11-29T20:24:56.309256615Z ioas-service  dmar0  UNMAP             domain=736746a0/4 iova=0x40000000 length=0x200000",
                t.get(34).text());
        assertEquals("#36   2026-11-29T20:24:56.310999013Z ioas-service  dmar0  INV_IOTLB         iommu=dmar0 domain=736746a0/4 "
                + "iova=0x40000000 length=0x200000  ← UNMAP #35", t.get(35).text());
        assertEquals("#37   2026-11-29T20:24:56.313557227Z ioas-service  dmar0  INV_ATC           rid=0000:04:00.0 iova=0x40000000 "
                + "length=0x200000  ← UNMAP #35", t.get(36).text());
        assertEquals("#38   2026-11-29T20:24:56.340822527Z ioas-service  dmar0  SYNC              iommu=dmar0 corr=b9335a73", t.get(37).text());
        assertEquals("#39   2026-11-29T20:24:56.352777208Z hw-sim        dmar0  COMPLETION        iommu=dmar0 source=ioas-service "
                + "upToSequence=1795983896340000 corr=b9335a73  ← SYNC #38 +12.0 ms; completes UNMAP #35 +43.5 ms", t.get(38).text());
        assertEquals("#15   2026-11-29T20:24:16.904441361Z ioas-service  dmar0  ATTACH            rid=0000:03:00.0 domain=blocked",
                t.get(14).text());
        assertEquals("#17   2026-11-29T20:24:16.937204572Z ioas-service  e0ff889a CONTEXT_CLOSED    contextId=e0ff889a-0d73-4775-8750-beae364ea10d",
                t.get(16).text());
        assertEquals("iommufd.hw.completions/0@7", t.get(38).where());
    }

    @Test
    void anInvBatchIsShownLinkedAndReDrivenAsTheSingleRecordsItReplaces() {
        List<String> l = new ArrayList<>(Fixture.lines());
        int i = 35; // #36 INV_IOTLB and #37 INV_ATC of UNMAP #35 become one INV_BATCH
        com.fasterxml.jackson.databind.node.ObjectNode iotlb = Fixture.tree(l.get(i));
        assertEquals("INV_IOTLB", iotlb.path("event").path("payload").path("kind").asText());
        com.fasterxml.jackson.databind.node.ObjectNode atc = Fixture.tree(l.get(i + 1));
        assertEquals("INV_ATC", atc.path("event").path("payload").path("kind").asText());
        com.fasterxml.jackson.databind.node.ObjectNode batch = Fixture.JSON.createObjectNode().put("kind", "INV_BATCH").put("iommu", "dmar0");
        com.fasterxml.jackson.databind.node.ArrayNode invs = batch.putArray("invs");
        invs.addObject().put("domain", iotlb.path("event").path("payload").path("domain").asText()).putNull("rid")
                .put("iova", 1073741824L).put("length", 2097152L);
        invs.addObject().putNull("domain").put("rid", atc.path("event").path("payload").path("rid").asText())
                .put("iova", 1073741824L).put("length", 2097152L);
        ((com.fasterxml.jackson.databind.node.ObjectNode) iotlb.get("event")).set("payload", batch);
        l.set(i, iotlb.toString());
        l.remove(i + 1);
        ReplayReport r = replay(l);
        assertEquals(Fixture.LIVE_DIGEST, r.digest(), "the re-driven hardware ends as the live one");
        assertEquals(List.of(), r.violations());
        assertEquals(List.of(), r.rejected());
        assertEquals(1L, r.kinds().get("INV_BATCH"));
        assertEquals(3L, r.kinds().get("INV_IOTLB"));
        assertEquals(2L, r.kinds().get("INV_ATC"));
        assertEquals("#36   2026-11-29T20:24:56.310999013Z ioas-service  dmar0  INV_BATCH         iommu=dmar0 invs=2 "
                + "(1 IOTLB, 1 ATC 736746a0/4 0000:04:00.0)  ← UNMAP #35", r.timeline().get(35).text());
        assertTrue(r.timeline().get(37).text().contains("completes UNMAP #35"), r.timeline().get(37).text());
        // selections see the batch's domain, device and ranges
        assertEquals(1, new Selection(null, "0000:04:00.0", null, null, null, null).apply(Fixture.read(l)).stream()
                .filter(x -> x instanceof Recorded rec && rec.event().payload() instanceof dev.iommufd.contract.events.InvalidateBatch).count());
    }

    @Test
    void theSameStreamTwiceGivesTheSameBytes() {
        String first = text(replay(Fixture.lines()));
        assertEquals(first, text(replay(Fixture.lines())));
        assertEquals(replay(Fixture.lines()).toJson().toString(), replay(Fixture.lines()).toJson().toString());
        assertTrue(first.contains("== invariants: no violation"), first);
    }

    @Test
    void aCompletionPlacedBeforeItsCommandsIsNamed() {
        List<String> l = new ArrayList<>(Fixture.lines());
        String completion = l.remove(38); // #39 answers SYNC #38, which covers UNMAP #35 … INV_ATC #37
        l.add(34, completion);
        ReplayReport r = replay(l);
        assertEquals(List.of("COMPLETION_BEFORE_COMMANDS", "COMPLETION_BEFORE_COMMANDS", "COMPLETION_BEFORE_COMMANDS",
                "COMPLETION_BEFORE_COMMANDS"), types(r), r.violations().toString());
        ReplayReport.Violation v = r.violations().get(0);
        assertTrue(v.events().get(0).startsWith("#36 ") && v.events().get(0).endsWith(" iommufd.hw.commands/0@25"), v.toString());
        assertTrue(v.events().get(1).startsWith("#35 ") && v.events().get(1).endsWith(" iommufd.hw.completions/0@7"), v.toString());
        assertTrue(v.message().contains("before its command"), v.message());
        assertEquals(Fixture.LIVE_DIGEST, r.digest()); // the hardware state is the same: only the order lies
    }

    @Test
    void aReplayedSequenceIsNamedAndSkippedByTheHardware() {
        List<String> l = new ArrayList<>(Fixture.lines());
        int map = Fixture.find(l, "MAP", Fixture.CONTEXT + "/4\",\"iova\":1073741824");
        ObjectNode again = Fixture.tree(l.get(map));
        ((ObjectNode) again.get("event")).put("id", "00000000-0000-0000-0000-00000000dup1");
        l.add(l.size() - 1, again.toString()); // a retried send long after: same sequence, new id
        ReplayReport r = replay(l);
        assertEquals(List.of("SEQUENCE_BACKWARDS", "COMPLETION_BEFORE_COMMANDS"), types(r), r.violations().toString());
        assertTrue(r.violations().get(0).events().get(0).contains("00000000-0000-0000-0000-00000000dup1"));
        assertTrue(r.violations().get(0).events().get(1).startsWith("#48 "), r.violations().toString());
        assertEquals(1, r.duplicates());
        assertEquals(Fixture.LIVE_DIGEST, r.digest());
    }

    @Test
    void aRedeliveredEventIsSkippedNotAViolation() {
        List<String> l = new ArrayList<>(Fixture.lines());
        int map = Fixture.find(l, "MAP", Fixture.CONTEXT + "/4\",\"iova\":1073741824");
        l.add(map + 1, l.get(map)); // at-least-once: the same record twice
        l.add(l.get(39)); // and COMPLETION #40 (#39 of the recording) again at the end
        ReplayReport r = replay(l);
        assertEquals(List.of(), r.violations());
        assertEquals("redelivery of #30", r.timeline().get(30).link());
        assertEquals("redelivery of #40", r.timeline().get(50).link());
        assertEquals(1, r.duplicates()); // hw-sim's queue skipped the command
        assertTrue(r.notes().contains("2 event(s) delivered more than once (same id and sequence): skipped, as consumers do"), r.notes().toString());
        assertEquals(Fixture.LIVE_DIGEST, r.digest());
    }

    @Test
    void aDirtyReportIsLinkedToItsRead() {
        List<String> l = new ArrayList<>(Fixture.lines());
        String read = "{\"event\":{\"schemaVersion\":1,\"id\":\"rd\",\"source\":\"ioas-service\",\"contextId\":\"" + Fixture.CONTEXT
                + "\",\"key\":\"dmar0\",\"sequence\":1795983896600000,\"correlationId\":\"dirty-1\",\"time\":\"2026-11-29T20:24:57Z\","
                + "\"traceparent\":null,\"payload\":{\"kind\":\"READ_DIRTY\",\"domain\":\"" + Fixture.CONTEXT + "/4\",\"iova\":2415919104,"
                + "\"length\":4096,\"noClear\":false}}}";
        String report = "{\"event\":{\"schemaVersion\":1,\"id\":\"dr\",\"source\":\"hw-sim\",\"contextId\":\"" + Fixture.CONTEXT
                + "\",\"key\":\"dmar0\",\"sequence\":1795983897600000,\"correlationId\":\"dirty-1\",\"time\":\"2026-11-29T20:24:57.01Z\","
                + "\"traceparent\":null,\"payload\":{\"kind\":\"DIRTY_REPORT\",\"domain\":\"" + Fixture.CONTEXT + "/4\",\"source\":\"ioas-service\","
                + "\"dirtyPages\":[]}}}";
        l.add(read);
        l.add(report);
        ReplayReport r = replay(l);
        assertEquals(List.of(), r.violations());
        assertEquals(List.of(), r.rejected());
        assertEquals("← READ_DIRTY #50", r.timeline().get(50).link());
    }

    @Test
    void completionsOfAQueueOutOfOrderAreNamed() {
        List<String> l = new ArrayList<>(Fixture.lines());
        ObjectNode c39 = Fixture.tree(l.remove(38)); // #39 completes SYNC #38; put it after #44, which completes the later SYNC #43
        ((ObjectNode) c39.get("event")).put("sequence", 1795983896458000L); // its envelope sequence still rises: only the order lies
        l.add(43, c39.toString());
        ReplayReport r = replay(l);
        assertEquals(List.of("COMPLETION_OUT_OF_ORDER"), types(r), r.violations().toString());
        assertTrue(r.violations().get(0).events().get(0).startsWith("#44 bce320b7"), r.violations().toString());
        assertTrue(r.violations().get(0).events().get(1).startsWith("#43 "), r.violations().toString());
    }

    @Test
    void aRestartedHwSimAnsweringOldSyncsAgainIsNoDisorder() {
        List<String> l = new ArrayList<>(Fixture.lines());
        ObjectNode again = Fixture.tree(l.get(38)); // a new hw-sim process: new id, new (higher) sequence, same correlation
        ((ObjectNode) again.get("event")).put("id", "restarted-1").put("sequence", 1795983999000000L);
        l.add(again.toString());
        ReplayReport r = replay(l);
        assertEquals(List.of(), r.violations());
        assertTrue(r.timeline().get(49).link().startsWith("← SYNC #38 again (first answered by #39"), r.timeline().get(49).link());
    }

    @Test
    void aCompletionClaimingAnotherSequenceThanTheHardwareIsNamed() {
        List<String> l = new ArrayList<>(Fixture.lines());
        l.set(38, l.get(38).replace("\"upToSequence\":1795983896340000", "\"upToSequence\":1795983896339999"));
        ReplayReport r = replay(l);
        assertEquals(List.of("COMPLETION_MISMATCH"), types(r));
        assertTrue(r.violations().get(0).message().contains("re-driven hardware answered"), r.violations().toString());
    }

    @Test
    void aDmaAfterAnAckedUnmapWithoutInvalidationIsStale() {
        List<String> l = new ArrayList<>(Fixture.lines());
        long t = 1795983896300L;
        l.add(34, String.format(STALE_DMA_AT_0x40001000, t)); // before UNMAP #35: fills IOTLB and ATC
        l.add(40, String.format(STALE_DMA_AT_0x40001000, t + 50)); // after the completion of the unmap
        ReplayReport intact = replay(l);
        assertEquals(List.of(), intact.violations());
        assertTrue(intact.timeline().get(34).text().endsWith("read → OK"), intact.timeline().get(34).text());
        assertTrue(intact.timeline().get(40).text().endsWith("read → FAULT"), intact.timeline().get(40).text());

        l.remove(37); // INV_ATC
        l.remove(36); // INV_IOTLB: the unmap is acked but nothing was invalidated
        ReplayReport r = replay(l);
        assertEquals(List.of("STALE_DMA"), types(r), r.violations().toString());
        assertEquals("#39 dma line 39", r.violations().get(0).events().get(0));
        assertTrue(r.violations().get(0).events().get(1).startsWith("#36 "), r.violations().toString());
        assertTrue(r.violations().get(0).events().get(2).startsWith("#38 "), r.violations().toString());
        assertTrue(r.timeline().get(38).text().contains("read → OK  STALE after UNMAP #36 completed by #38"), r.timeline().get(38).text());
    }

    @Test
    void aStaleDmaWhileTheUnmapIsInFlightIsAllowed() {
        List<String> l = new ArrayList<>(Fixture.lines());
        l.add(34, String.format(STALE_DMA_AT_0x40001000, 1795983896300L));
        l.add(36, String.format(STALE_DMA_AT_0x40001000, 1795983896310L)); // after UNMAP, before its invalidations
        ReplayReport r = replay(l);
        assertEquals(List.of(), r.violations());
        assertTrue(r.timeline().get(36).text().endsWith("stale translation while its unmap is in flight (allowed)"),
                r.timeline().get(36).text());
    }

    /** Above every sequence hw-sim used on dmar0 in the recording. */
    private static final long SEQ = 1795983897000000L;

    private static String pageRequest(long seq, int grpid, boolean last) {
        return "{\"topic\":\"iommufd.hw.page-requests\",\"event\":{\"schemaVersion\":1,\"id\":\"pr-" + seq + "\",\"source\":\"hw-sim\","
                + "\"contextId\":\"" + Fixture.CONTEXT + "\",\"key\":\"dmar0\",\"sequence\":" + (SEQ + seq) + ",\"correlationId\":null,"
                + "\"time\":\"2026-11-29T20:24:57." + (100 + seq % 100) + "Z\",\"traceparent\":null,\"payload\":{\"kind\":\"PAGE_REQUEST\","
                + "\"iommu\":\"dmar0\",\"rid\":\"0000:04:00.0\",\"pasid\":null,\"grpid\":" + grpid + ",\"read\":true,\"write\":false,"
                + "\"exec\":false,\"priv\":false,\"addr\":" + 0xa0000000L + ",\"last\":" + last + ",\"domain\":\"" + Fixture.CONTEXT + "/4\","
                + "\"faultId\":5}}}";
    }

    private static String pageResponse(long seq, int grpid) {
        return "{\"topic\":\"iommufd.hw.commands\",\"event\":{\"schemaVersion\":1,\"id\":\"resp-" + seq + "\",\"source\":\"fault-service\","
                + "\"contextId\":\"" + Fixture.CONTEXT + "\",\"key\":\"dmar0\",\"sequence\":" + (SEQ + seq) + ",\"correlationId\":null,"
                + "\"time\":\"2026-11-29T20:24:57." + (300 + seq % 100) + "Z\",\"traceparent\":null,\"payload\":{\"kind\":\"PAGE_RESPONSE\","
                + "\"iommu\":\"dmar0\",\"rid\":\"0000:04:00.0\",\"pasid\":null,\"grpid\":" + grpid + ",\"code\":\"SUCCESS\"}}}";
    }

    @Test
    void aPageRequestGroupAnsweredOnceIsLinked() {
        List<String> l = new ArrayList<>(Fixture.lines());
        l.addAll(List.of(pageRequest(1, 7, false), pageRequest(2, 7, true), pageResponse(1, 7)));
        ReplayReport r = replay(l);
        assertEquals(List.of(), r.violations());
        assertTrue(r.timeline().get(50).link().equals("group of #50"), r.timeline().get(50).toString());
        assertTrue(r.timeline().get(51).link().startsWith("← PAGE_REQUEST #51 +"), r.timeline().get(51).toString());
        assertEquals(1, r.latencies().get(Replay.PRI_LATENCY).getTotalCount());
    }

    @Test
    void aDoubledPageResponseIsNamed() {
        List<String> l = new ArrayList<>(Fixture.lines());
        l.addAll(List.of(pageRequest(1, 7, true), pageResponse(1, 7), pageResponse(2, 7)));
        ReplayReport r = replay(l);
        assertEquals(List.of("PAGE_RESPONSE_TWICE"), types(r));
        assertEquals(List.of("#52 resp-2 iommufd.hw.commands/-1@-1", "#51 resp-1 iommufd.hw.commands/-1@-1"), r.violations().get(0).events());
    }

    @Test
    void aGroupIndexReusedAfterItsResponseIsANewGroup() {
        List<String> l = new ArrayList<>(Fixture.lines());
        l.addAll(List.of(pageRequest(1, 7, true), pageResponse(1, 7), pageRequest(2, 7, true), pageResponse(2, 7)));
        assertEquals(List.of(), replay(l).violations());
    }

    @Test
    void aPageRequestGroupNeverAnsweredIsNamed() {
        List<String> l = new ArrayList<>(Fixture.lines());
        l.addAll(List.of(pageRequest(1, 7, true), pageRequest(2, 8, true), pageResponse(1, 8)));
        ReplayReport r = replay(l);
        assertEquals(List.of("PAGE_REQUEST_UNANSWERED"), types(r));
        assertEquals(List.of("#50 pr-1 iommufd.hw.page-requests/-1@-1"), r.violations().get(0).events());
    }

    @Test
    void theContextSelectionReplaysOnlyThatContextsState() {
        List<StreamItem> selected = new Selection(Fixture.CONTEXT, null, null, null, null, null).apply(Fixture.stream());
        ReplayReport r = Replay.run(selected, Topology.defaults());
        assertEquals(19, r.timeline().size());
        assertEquals(List.of(), r.violations());
        assertNotEquals(Fixture.LIVE_DIGEST, r.digest());
        // the same state as the whole stream with the other contexts' domains never created
        List<StreamItem> others = new ArrayList<>();
        for (StreamItem i : Fixture.stream()) {
            if (!(i instanceof Recorded rec && rec.event().payload() instanceof dev.iommufd.contract.events.MapRange m
                    && m.domain().startsWith("284706ef"))
                    && !(i instanceof Recorded rec2 && rec2.event().payload() instanceof dev.iommufd.contract.events.AttachDevice a
                    && "0000:05:00.0".equals(a.rid()))) {
                others.add(i);
            }
        }
        String withoutTheOpenOtherContext = Replay.run(others, Topology.defaults()).digest();
        assertNotEquals(withoutTheOpenOtherContext, r.digest()); // DOMAIN_CREATE 284706ef/4 still there: different digests
        assertEquals("af4d445498ece6d67ff11ccfa339fc65df85f3da797cd6656023f73702616664", r.digest());
    }
}
