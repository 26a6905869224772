package dev.iommufd.ioas.nesting;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.anEmptyMap;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufd.contract.events.ContextClosed;
import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.Topics;
import dev.iommufd.contract.events.VdeviceGone;
import dev.iommufd.devinfra.LocalInfra;
import dev.iommufd.devinfra.LocalInfraTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Nested HWPTs over HTTP and PostgreSQL: a PASID attach to one (its errnos, EBUSY while attached,
 * refused calls changing nothing), and an unbind that tells viommu-service of the vdevice it
 * destroyed with exactly one VDEVICE_GONE on iommufd.contexts. The objects viommu-service would
 * create are made through the internal nesting endpoints it calls. Same resources as IoasApiTest:
 * the application is shared, no extra start.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
@QuarkusTestResource(dev.iommufd.ioas.FakeHardwareResource.class)
class NestingApiTest {
    static final String NIC = "0000:03:00.0";      // dmar0, PASID 20
    static final String SMMU_DEV = "0001:00:01.0"; // smmu0, SSID 20

    String ctx;
    String token;

    @BeforeEach
    void open() {
        JsonPath j = given().contentType(ContentType.JSON).post("/v1/contexts").then().statusCode(201).extract().jsonPath();
        ctx = j.getString("id");
        token = j.getString("token");
    }

    RequestSpecification as() {
        return given().header("Authorization", "Bearer " + token).contentType(ContentType.JSON);
    }

    String url(String tail) {
        return "/v1/contexts/" + ctx + tail;
    }

    String nesting(String tail) {
        return "/v1/internal/contexts/" + ctx + "/nesting" + tail;
    }

    int create(String path, String body) {
        return as().body(body).post(url(path)).then().statusCode(201).extract().jsonPath().getInt("id");
    }

    int internal(String path, String body) {
        return given().contentType(ContentType.JSON).body(body).post(nesting(path)).then().statusCode(201).extract().jsonPath().getInt("id");
    }

    String snapshot() {
        return as().get(url("/objects")).then().statusCode(200).extract().asString();
    }

    void pasidAttach(int device, int pasid, int ptId, int status, String errno) {
        as().body("{\"ptId\":" + ptId + "}").put(url("/devices/" + device + "/pasids/" + pasid + "/attachment"))
                .then().statusCode(status).body("errno", equalTo(errno));
    }

    @Test
    void pasidAttachOfNestedHwpts() {
        int nic = create("/devices", "{\"rid\":\"" + NIC + "\"}");
        int ioas = create("/ioas", "{}");
        int parent = create("/hwpts", "{\"deviceId\":" + nic + ",\"ptId\":" + ioas + ",\"flags\":[\"NEST_PARENT\"]}");
        int pasidNested = internal("/nested-hwpts", "{\"deviceId\":" + nic + ",\"ptId\":" + parent + ",\"flags\":[\"PASID\"]}");
        int ridOnly = internal("/nested-hwpts", "{\"deviceId\":" + nic + ",\"ptId\":" + parent + ",\"flags\":[]}");

        String before = snapshot();
        pasidAttach(nic, 1, ridOnly, 400, "EINVAL");          // not allocated with PASID
        pasidAttach(nic, 1 << 20, pasidNested, 400, "EINVAL"); // beyond the device's 20 bits
        pasidAttach(nic, 1, 999, 404, "ENOENT");
        assertEquals(before, snapshot());

        as().body("{\"ptId\":" + pasidNested + "}").put(url("/devices/" + nic + "/pasids/1/attachment"))
                .then().statusCode(200).body("hwptId", equalTo(pasidNested));
        as().get(url("/devices/" + nic)).then().statusCode(200)
                .body("pasids.'1'", equalTo(pasidNested)).body("attached", equalTo(null));
        // held by the attachment: its destroy (the table part viommu-service calls) is EBUSY
        given().delete(nesting("/" + pasidNested)).then().statusCode(409).body("errno", equalTo("EBUSY"));
        // the RID cannot move to a HWPT without PASID while a PASID is attached
        String attached = snapshot();
        as().body("{\"ptId\":" + ridOnly + "}").put(url("/devices/" + nic + "/attachment"))
                .then().statusCode(400).body("errno", equalTo("EINVAL"));
        assertEquals(attached, snapshot());

        as().delete(url("/devices/" + nic + "/pasids/1/attachment")).then().statusCode(204);
        as().get(url("/devices/" + nic)).then().statusCode(200).body("pasids", anEmptyMap());
        given().delete(nesting("/" + pasidNested)).then().statusCode(204);

        // SMMUv3 nested HWPTs (allocated without PASID, as Linux) cannot take a PASID
        int smmu = create("/devices", "{\"rid\":\"" + SMMU_DEV + "\"}");
        int smmuParent = create("/hwpts", "{\"deviceId\":" + smmu + ",\"ptId\":" + ioas + ",\"flags\":[\"NEST_PARENT\"]}");
        int viommu = internal("/viommus", "{\"type\":\"ARM_SMMUV3\",\"deviceId\":" + smmu + ",\"hwptId\":" + smmuParent + "}");
        internal("/vdevices", "{\"viommuId\":" + viommu + ",\"deviceId\":" + smmu + ",\"virtId\":8}");
        int smmuNested = internal("/nested-hwpts", "{\"deviceId\":" + smmu + ",\"ptId\":" + viommu + ",\"flags\":[]}");
        String smmuBefore = snapshot();
        pasidAttach(smmu, 1, smmuNested, 400, "EINVAL");
        assertEquals(smmuBefore, snapshot());
        as().delete("/v1/contexts/" + ctx).then().statusCode(204);
    }

    @Test
    void unbindTellsViommuServiceWithOneVdeviceGoneInTheOutbox() {
        int smmu = create("/devices", "{\"rid\":\"" + SMMU_DEV + "\"}");
        int ioas = create("/ioas", "{}");
        int parent = create("/hwpts", "{\"deviceId\":" + smmu + ",\"ptId\":" + ioas + ",\"flags\":[\"NEST_PARENT\"]}");
        int viommu = internal("/viommus", "{\"type\":\"ARM_SMMUV3\",\"deviceId\":" + smmu + ",\"hwptId\":" + parent + "}");
        int vdevice = internal("/vdevices", "{\"viommuId\":" + viommu + ",\"deviceId\":" + smmu + ",\"virtId\":8}");
        Properties p = new Properties();
        p.put("bootstrap.servers", new LocalInfra(LocalInfra.repoRoot()).ensureUp().kafkaBootstrap());
        try (var consumer = new KafkaConsumer<String, String>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(Topics.CONTEXTS).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            parts.forEach(consumer::position);

            String before = snapshot();
            as().delete(url("/devices/" + viommu)).then().statusCode(404).body("errno", equalTo("ENOENT")); // not a device
            assertEquals(before, snapshot());
            as().delete(url("/devices/" + smmu)).then().statusCode(204);
            given().get(nesting("/objects/" + vdevice)).then().statusCode(404).body("errno", equalTo("ENOENT"));
            // CONTEXT_CLOSED travels behind on the same key (same partition): everything before it was seen
            as().delete("/v1/contexts/" + ctx).then().statusCode(204);

            List<Object> gone = new ArrayList<>();
            List<String> keys = new ArrayList<>();
            boolean closed = false;
            long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (!closed && System.nanoTime() < end) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    EventEnvelope e = EventJson.read(r.value());
                    if (!ctx.equals(e.contextId())) {
                        continue;
                    }
                    if (e.payload() instanceof VdeviceGone) {
                        gone.add(e.payload());
                        keys.add(r.key());
                    }
                    closed |= e.payload() instanceof ContextClosed;
                }
            }
            assertEquals(true, closed, "CONTEXT_CLOSED seen");
            assertEquals(List.of(new VdeviceGone(ctx, vdevice, SMMU_DEV)), gone);
            assertEquals(List.of(ctx), keys);
        }
    }
}
