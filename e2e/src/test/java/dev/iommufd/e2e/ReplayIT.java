package dev.iommufd.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufd.contract.events.Topics;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.tools.launch.Service;
import dev.iommufd.tools.launch.ServiceLauncher;
import dev.iommufd.tools.replay.KafkaSource;
import dev.iommufd.tools.replay.Ndjson;
import dev.iommufd.tools.replay.Replay;
import dev.iommufd.tools.replay.ReplayReport;
import dev.iommufd.tools.replay.Selection;
import dev.iommufd.tools.replay.StreamItem;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.io.BufferedReader;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code iommuctl replay} on a live run: the recorded topics of real processes, read back from Kafka,
 * give the linked timeline without violation, survive an NDJSON round trip, and re-drive to the
 * live hw-sim's digest.
 */
class ReplayIT {
    static ServiceLauncher stack;

    @BeforeAll
    static void up() {
        stack = E2eStack.start();
    }

    @AfterAll
    static void down() {
        E2eStack.stop(stack);
    }

    static RequestSpecification as(String token) {
        return E2eStack.as(token);
    }

    static String digest() {
        return given().get(stack.url(Service.HW_SIM) + "/v1/hw/state/digest").then().statusCode(200).extract().jsonPath().getString("digest");
    }

    @Test
    void aLiveRunReplaysWithItsLinksAndTheLiveDigest() throws Exception {
        Instant start = Instant.now().minusSeconds(5);
        JsonPath c = given().contentType(ContentType.JSON).post(stack.url(Service.IOAS) + "/v1/contexts").then().statusCode(201)
                .extract().jsonPath();
        String id = c.getString("id");
        String ctx = stack.url(Service.IOAS) + "/v1/contexts/" + id;
        String token = c.getString("token");
        int mem = as(token).body("{\"length\":\"0x200000\"}").post(ctx + "/memory").then().statusCode(201).extract().jsonPath().getInt("id");
        int dev = as(token).body("{\"rid\":\"0000:03:00.0\"}").post(ctx + "/devices").then().statusCode(201).extract().jsonPath().getInt("id");
        int ioas = as(token).body("{}").post(ctx + "/ioas").then().statusCode(201).extract().jsonPath().getInt("id");
        as(token).body("{\"flags\":[\"FIXED_IOVA\",\"READABLE\",\"WRITEABLE\"],\"memoryId\":" + mem + ",\"length\":\"0x200000\",\"iova\":\"0x40000000\"}")
                .post(ctx + "/ioas/" + ioas + "/map").then().statusCode(201);
        as(token).body("{\"ptId\":" + ioas + "}").put(ctx + "/devices/" + dev + "/attachment").then().statusCode(200);
        as(token).body("{\"iova\":\"0x40000000\",\"length\":\"0x200000\"}").post(ctx + "/ioas/" + ioas + "/unmap").then().statusCode(200);
        as(token).body("{\"flags\":[\"FIXED_IOVA\",\"READABLE\"],\"memoryId\":" + mem + ",\"length\":\"0x1000\",\"iova\":\"0x50000000\"}")
                .post(ctx + "/ioas/" + ioas + "/map").then().statusCode(201);
        given().post(stack.url(Service.IOAS) + "/v1/internal/iommus/dmar0/sync").then().statusCode(200); // hw-sim has applied all of it

        String bootstrap = stack.infra().endpoints().kafkaBootstrap();
        List<String> topics = Topics.ALL.stream().filter(t -> !t.equals(Topics.DEAD_LETTER)).toList();
        KafkaSource.Result recent = new KafkaSource(bootstrap).read(topics, new KafkaSource.Range(null, null, start, null));
        List<StreamItem> mine = new Selection(id, null, null, null, null, null).apply(recent.items());
        ReplayReport r = Replay.run(mine, Topology.defaults());
        assertEquals(List.of(), r.violations());
        assertEquals(List.of(), r.rejected());
        Map<String, Long> kinds = r.kinds();
        assertEquals(1L, kinds.get("DOMAIN_CREATE"));
        assertEquals(2L, kinds.get("MAP"));
        assertEquals(1L, kinds.get("ATTACH"));
        assertEquals(1L, kinds.get("UNMAP"));
        assertEquals(kinds.get("SYNC"), kinds.get("COMPLETION"));
        int unmap = r.timeline().stream().filter(l -> l.kind().equals("UNMAP")).findFirst().orElseThrow().index();
        assertTrue(r.timeline().stream().anyMatch(l -> l.kind().equals("INV_IOTLB") && l.link().equals("← UNMAP #" + unmap)), r.timeline().toString());
        assertTrue(r.timeline().stream().anyMatch(l -> l.kind().equals("INV_ATC") && l.link().equals("← UNMAP #" + unmap)), r.timeline().toString());
        assertTrue(r.timeline().stream().anyMatch(l -> l.kind().equals("COMPLETION") && l.link().contains("completes UNMAP #" + unmap + " +")),
                r.timeline().toString());
        assertEquals(1, r.latencies().get("unmap→completion").getTotalCount());

        // a bug report's file replays to the same bytes
        StringWriter w = new StringWriter();
        Ndjson.write(mine, w);
        ReplayReport again = Replay.run(Ndjson.read(new BufferedReader(new StringReader(w.toString()))), Topology.defaults());
        assertEquals(r.toJson(), again.toJson());

        // the whole topic re-driven = the live hw-sim's state, unless other runs on this broker published meanwhile
        String before = digest();
        KafkaSource.Result all = new KafkaSource(bootstrap).read(topics, KafkaSource.Range.ALL);
        String after = digest();
        Assumptions.assumeTrue(before.equals(after), "commands arrived while reading: not comparable");
        assertEquals(after, Replay.run(all.items(), Topology.defaults()).digest());
        as(token).delete(ctx).then().statusCode(204);
    }
}
