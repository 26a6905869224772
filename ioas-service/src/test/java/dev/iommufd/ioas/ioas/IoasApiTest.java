package dev.iommufd.ioas.ioas;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import dev.iommufd.devinfra.LocalInfraTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ioas-service API of API.md end to end over HTTP and PostgreSQL: rules, errnos, and that refused calls change nothing. */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
@QuarkusTestResource(dev.iommufd.ioas.FakeHardwareResource.class)
class IoasApiTest {
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

    int create(String path, String body) {
        return as().body(body).post(url(path)).then().statusCode(201).extract().jsonPath().getInt("id");
    }

    String snapshot() {
        return as().get(url("/objects")).then().statusCode(200).extract().asString();
    }

    @Test
    void memoryRegions() {
        JsonPath m = as().body("{\"length\":\"0x200000\"}").post(url("/memory")).then().statusCode(201)
                .body("id", notNullValue()).body("length", equalTo("0x200000")).extract().jsonPath();
        long va = Long.decode(m.getString("userVa"));
        long pa = Long.decode(m.getString("hostPa"));
        org.junit.jupiter.api.Assertions.assertEquals(0, va % 4096);
        org.junit.jupiter.api.Assertions.assertEquals(0, pa % 4096);
        String before = snapshot();
        as().body("{\"length\":0}").post(url("/memory")).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().body("{\"length\":4097}").post(url("/memory")).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().body("{}").post(url("/memory")).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().body("{\"length\":\"0x10000000000000000\"}").post(url("/memory")).then().statusCode(400).body("errno", equalTo("EINVAL"));
        org.junit.jupiter.api.Assertions.assertEquals(before, snapshot());
        // a second region never shares host memory with the first
        long pa2 = Long.decode(as().body("{\"length\":4096}").post(url("/memory")).then().statusCode(201).extract().jsonPath().getString("hostPa"));
        org.junit.jupiter.api.Assertions.assertTrue(pa2 >= pa + 0x200000 || pa2 + 4096 <= pa);
    }

    @Test
    void mapUnmapOverHttp() {
        int mem = create("/memory", "{\"length\":\"0x400000\"}");
        String va = as().get(url("/memory/" + mem)).then().extract().jsonPath().getString("userVa");
        int ioas = create("/ioas", "{}");
        as().get(url("/ioas/" + ioas + "/iova-ranges")).then().statusCode(200)
                .body("ranges", hasSize(1)).body("ranges[0].start", equalTo("0x0"))
                .body("ranges[0].last", equalTo("0xffffffffffffffff")).body("alignment", equalTo("0x1"));
        String iova = as().body("{\"flags\":[\"READABLE\",\"WRITEABLE\"],\"userVa\":\"" + va + "\",\"length\":\"0x200000\"}")
                .post(url("/ioas/" + ioas + "/map")).then().statusCode(201).body("iova", notNullValue()).extract().jsonPath().getString("iova");
        as().body("{\"flags\":[\"FIXED_IOVA\",\"READABLE\"],\"memoryId\":" + mem + ",\"start\":\"0x200000\",\"length\":\"0x1000\",\"iova\":\"0x40000000\"}")
                .post(url("/ioas/" + ioas + "/map")).then().statusCode(201).body("iova", equalTo("0x40000000"));
        as().get(url("/ioas/" + ioas + "/mappings")).then().statusCode(200).body("mappings", hasSize(2))
                .body("mappings[1].iova", equalTo("0x40000000")).body("mappings[1].flags", contains("READABLE"))
                .body("mappings[1].offset", equalTo("0x200000")).body("mappings[1].memoryId", equalTo(mem));

        String before = snapshot() + as().get(url("/ioas/" + ioas + "/mappings")).asString();
        String map = url("/ioas/" + ioas + "/map");
        as().body("{\"flags\":[],\"memoryId\":" + mem + ",\"length\":4096}").post(map).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().body("{\"flags\":[\"READABLE\",\"SOMETIMES\"],\"memoryId\":" + mem + ",\"length\":4096}").post(map).then().statusCode(422).body("errno", equalTo("EOPNOTSUPP"));
        as().body("{\"flags\":[\"READABLE\"],\"memoryId\":" + mem + ",\"length\":0}").post(map).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().body("{\"flags\":[\"READABLE\",\"FIXED_IOVA\"],\"memoryId\":" + mem + ",\"length\":8192,\"iova\":\"0xfffffffffffff000\"}").post(map).then().statusCode(400).body("errno", equalTo("EOVERFLOW"));
        as().body("{\"flags\":[\"READABLE\",\"FIXED_IOVA\"],\"memoryId\":" + mem + ",\"length\":4096,\"iova\":\"0x40000000\"}").post(map).then().statusCode(409).body("errno", equalTo("EEXIST"));
        as().body("{\"flags\":[\"READABLE\"],\"userVa\":\"0x1000\",\"length\":4096}").post(map).then().statusCode(400).body("errno", equalTo("EFAULT"));
        as().body("{\"flags\":[\"READABLE\"],\"memoryId\":9999,\"length\":4096}").post(map).then().statusCode(404).body("errno", equalTo("ENOENT"));
        as().body("{\"flags\":[\"READABLE\"],\"memoryId\":" + mem + ",\"start\":\"0x3ff000\",\"length\":8192}").post(map).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().body("{\"flags\":[\"READABLE\"],\"memoryId\":" + mem + ",\"length\":4096,\"huge\":1}").post(map).then().statusCode(400).body("errno", equalTo("E2BIG"));
        String unmap = url("/ioas/" + ioas + "/unmap");
        as().body("{\"iova\":\"0x40000000\",\"length\":0}").post(unmap).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().body("{\"iova\":\"0x40000800\",\"length\":\"0x1000\"}").post(unmap).then().statusCode(404).body("errno", equalTo("ENOENT"));
        as().body("{\"iova\":\"0x50000000\",\"length\":\"0x1000\"}").post(unmap).then().statusCode(404).body("errno", equalTo("ENOENT"));
        as().body("{\"iova\":\"0x40000000\",\"length\":\"0xffffffffffffffff\"}").post(unmap).then().statusCode(400).body("errno", equalTo("EOVERFLOW"));
        as().delete(url("/memory/" + mem)).then().statusCode(409).body("errno", equalTo("EBUSY"));
        org.junit.jupiter.api.Assertions.assertEquals(before, snapshot() + as().get(url("/ioas/" + ioas + "/mappings")).asString());

        as().body("{\"iova\":\"" + iova + "\",\"length\":\"0x200000\"}").post(unmap).then().statusCode(200).body("length", equalTo("0x200000"));
        as().body("{\"iova\":0,\"length\":\"0xffffffffffffffff\"}").post(unmap).then().statusCode(200).body("length", equalTo("0x1000"));
        as().body("{\"iova\":0,\"length\":\"0xffffffffffffffff\"}").post(unmap).then().statusCode(200).body("length", equalTo("0x0"));
        as().delete(url("/memory/" + mem)).then().statusCode(204);
    }

    @Test
    void devicesHwptsAndAttach() {
        int ioas = create("/ioas", "{}");
        JsonPath d = as().body("{\"rid\":\"0000:03:00.0\"}").post(url("/devices")).then().statusCode(201)
                .body("rid", equalTo("0000:03:00.0")).body("iommu", equalTo("dmar0")).extract().jsonPath();
        int nic = d.getInt("id");
        as().body("{\"rid\":\"0000:03:00.0\"}").post(url("/devices")).then().statusCode(409).body("errno", equalTo("EBUSY"));
        as().body("{\"rid\":\"0000:77:00.0\"}").post(url("/devices")).then().statusCode(409).body("errno", equalTo("ENODEV"));
        as().get(url("/devices/" + nic)).then().statusCode(200).body("attached", nullValue()).body("pasids.size()", equalTo(0));
        as().get(url("/devices/" + nic + "/hw-info")).then().statusCode(200).body("type", equalTo("INTEL_VTD"))
                .body("maxPasidLog2", equalTo(20)).body("capabilities", contains("DIRTY_TRACKING", "PCI_PASID_EXEC", "PCI_PASID_PRIV"))
                .body("data.capReg", notNullValue()).body("data.ecapReg", notNullValue());
        as().get(url("/devices/" + nic + "/hw-info?type=ARM_SMMUV3")).then().statusCode(422).body("errno", equalTo("EOPNOTSUPP"));

        int hwpt = as().body("{\"deviceId\":" + nic + ",\"ptId\":" + ioas + ",\"flags\":[\"DIRTY_TRACKING\",\"PASID\"]}")
                .post(url("/hwpts")).then().statusCode(201).extract().jsonPath().getInt("id");
        as().body("{\"deviceId\":" + nic + ",\"ptId\":" + ioas + ",\"flags\":[\"BOGUS\"]}").post(url("/hwpts")).then().statusCode(422).body("errno", equalTo("EOPNOTSUPP"));
        as().body("{\"deviceId\":" + nic + ",\"ptId\":" + hwpt + "}").post(url("/hwpts")).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().body("{\"ptId\":" + hwpt + "}").put(url("/devices/" + nic + "/attachment")).then().statusCode(200).body("hwptId", equalTo(hwpt));
        as().get(url("/devices/" + nic)).then().body("attached.hwptId", equalTo(hwpt));
        as().body("{\"ptId\":" + hwpt + "}").put(url("/devices/" + nic + "/pasids/5/attachment")).then().statusCode(200);
        as().get(url("/devices/" + nic)).then().body("pasids.'5'", equalTo(hwpt));
        as().body("{\"ptId\":" + ioas + "}").put(url("/devices/" + nic + "/pasids/6/attachment")).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().get(url("/ioas/" + ioas)).then().body("hwpts", contains(hwpt)).body("alignment", equalTo("0x1000"));
        as().get(url("/ioas/" + ioas + "/iova-ranges")).then().body("ranges", hasSize(2))
                .body("ranges[0].last", equalTo("0xfedfffff")).body("ranges[1].last", equalTo("0xffffffffffff"));

        String before = snapshot();
        as().delete(url("/objects/" + hwpt)).then().statusCode(409).body("errno", equalTo("EBUSY"));
        as().delete(url("/objects/" + ioas)).then().statusCode(409).body("errno", equalTo("EBUSY"));
        as().delete(url("/objects/" + nic)).then().statusCode(409).body("errno", equalTo("EBUSY"));
        as().body("{\"ptId\":9999}").put(url("/devices/" + nic + "/attachment")).then().statusCode(404).body("errno", equalTo("ENOENT"));
        org.junit.jupiter.api.Assertions.assertEquals(before, snapshot());

        as().delete(url("/devices/" + nic + "/pasids/5/attachment")).then().statusCode(204);
        as().delete(url("/devices/" + nic + "/attachment")).then().statusCode(204);
        as().delete(url("/objects/" + hwpt)).then().statusCode(204);
        as().get(url("/ioas/" + ioas + "/iova-ranges")).then().body("ranges", hasSize(1)).body("alignment", equalTo("0x1"));
        as().delete(url("/devices/" + nic)).then().statusCode(204);
        as().delete(url("/objects/" + ioas)).then().statusCode(204);
        as().get(url("/objects")).then().body("objects", hasSize(0));
    }

    @Test
    void aDeviceIsBoundInOneContextAtATime() {
        create("/devices", "{\"rid\":\"0000:04:00.0\"}");
        JsonPath other = given().contentType(ContentType.JSON).post("/v1/contexts").then().statusCode(201).extract().jsonPath();
        RequestSpecification asOther = given().header("Authorization", "Bearer " + other.getString("token")).contentType(ContentType.JSON);
        asOther.body("{\"rid\":\"0000:04:00.0\"}").post("/v1/contexts/" + other.getString("id") + "/devices")
                .then().statusCode(409).body("errno", equalTo("EBUSY"));
        given().header("Authorization", "Bearer " + other.getString("token")).get("/v1/contexts/" + other.getString("id") + "/objects")
                .then().body("objects", hasSize(0));
        // closing the context releases the device
        as().delete(url("")).then().statusCode(204);
        given().header("Authorization", "Bearer " + other.getString("token")).contentType(ContentType.JSON).body("{\"rid\":\"0000:04:00.0\"}")
                .post("/v1/contexts/" + other.getString("id") + "/devices").then().statusCode(201);
        given().header("Authorization", "Bearer " + other.getString("token")).delete("/v1/contexts/" + other.getString("id")).then().statusCode(204);
    }

    @Test
    void allowedIovasAndOptions() {
        int ioas = create("/ioas", "{}");
        as().body("{\"flags\":[\"X\"]}").post(url("/ioas")).then().statusCode(422).body("errno", equalTo("EOPNOTSUPP"));
        String allowed = url("/ioas/" + ioas + "/allowed-iovas");
        as().body("{\"ranges\":[{\"start\":\"0x100000\",\"last\":\"0x1fffff\"}]}").put(allowed).then().statusCode(200)
                .body("ranges[0].start", equalTo("0x100000"));
        as().body("{\"ranges\":[{\"start\":\"0x2000\",\"last\":\"0x1000\"}]}").put(allowed).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().body("{\"ranges\":[{\"start\":1,\"last\":100},{\"start\":50,\"last\":200}]}").put(allowed).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().get(allowed).then().body("ranges", hasSize(1)).body("ranges[0].last", equalTo("0x1fffff"));
        as().get(url("/ioas/" + ioas + "/iova-ranges")).then().body("ranges[0].start", equalTo("0x100000"));
        as().body("{\"ranges\":[]}").put(allowed).then().statusCode(200).body("ranges", hasSize(0));
        as().body("{\"value\":0}").put(url("/ioas/" + ioas + "/options/huge-pages")).then().statusCode(200).body("value", equalTo(0));
        as().body("{\"value\":2}").put(url("/ioas/" + ioas + "/options/huge-pages")).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().get(url("/ioas/" + ioas + "/options/huge-pages")).then().body("value", equalTo(0));
        as().get(url("/ioas/" + ioas + "/options/invalidation")).then().body("mode", equalTo("STRICT")).body("batch", equalTo(250)).body("maxDelayMs", equalTo(10));
        as().body("{\"mode\":\"SOMETIMES\"}").put(url("/ioas/" + ioas + "/options/invalidation")).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as().body("{\"mode\":\"LAZY\",\"batch\":64,\"maxDelayMs\":5}").put(url("/ioas/" + ioas + "/options/invalidation")).then().statusCode(200).body("mode", equalTo("LAZY"));
        as().get(url("/ioas/" + ioas + "/options/invalidation")).then().body("batch", equalTo(64));
        // rlimit-mode may no longer change: the context has objects
        as().body("{\"value\":1}").put(url("/options/rlimit-mode")).then().statusCode(409).body("errno", equalTo("EBUSY"));
    }

    /**
     * PRI plumbing for fault-service: the internal device lookup by RID, and FAULT_DETACH on
     * iommufd.contexts (keyed by the context) when the device leaves a HWPT with a fault queue.
     */
    @Test
    void faultQueueHwptsTellFaultServiceWhenADeviceLeaves() throws Exception {
        String rid = "0001:00:01.0"; // smmu0, PRI
        int device = create("/devices", "{\"rid\":\"" + rid + "\"}");
        String lookup = "/v1/internal/contexts/" + ctx + "/devices";
        given().get(lookup + "?rid=" + rid).then().statusCode(200).body("id", equalTo(device)).body("rid", equalTo(rid));
        given().get(lookup + "?rid=0000:04:00.0").then().statusCode(404).body("errno", equalTo("ENOENT"));
        given().get(lookup).then().statusCode(400).body("errno", equalTo("EINVAL"));
        given().get("/v1/internal/contexts/no-such-context/devices?rid=" + rid).then().statusCode(404).body("errno", equalTo("ENOENT"));

        int ioas = create("/ioas", "{}");
        int fault = given().contentType(ContentType.JSON).body("{\"type\":\"FAULT\"}").post("/v1/internal/contexts/" + ctx + "/objects")
                .then().statusCode(201).extract().jsonPath().getInt("id");
        int pri = create("/hwpts", "{\"deviceId\":" + device + ",\"ptId\":" + ioas + ",\"flags\":[\"FAULT_ID_VALID\"],\"faultId\":" + fault + "}");
        java.util.Properties p = new java.util.Properties();
        p.put("bootstrap.servers", new dev.iommufd.devinfra.LocalInfra(dev.iommufd.devinfra.LocalInfra.repoRoot()).ensureUp().kafkaBootstrap());
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<String, String>(p,
                new org.apache.kafka.common.serialization.StringDeserializer(), new org.apache.kafka.common.serialization.StringDeserializer())) {
            var parts = consumer.partitionsFor(dev.iommufd.contract.events.Topics.CONTEXTS).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            parts.forEach(consumer::position);
            as().body("{\"ptId\":" + pri + "}").put(url("/devices/" + device + "/attachment")).then().statusCode(200);
            as().delete(url("/devices/" + device + "/attachment")).then().statusCode(204);
            java.util.List<String> keys = new java.util.ArrayList<>();
            java.util.List<Object> seen = new java.util.ArrayList<>();
            long end = System.nanoTime() + java.time.Duration.ofSeconds(15).toNanos();
            while (seen.isEmpty() && System.nanoTime() < end) {
                for (var r : consumer.poll(java.time.Duration.ofMillis(200))) {
                    var e = dev.iommufd.contract.events.EventJson.read(r.value());
                    if (ctx.equals(e.contextId()) && e.payload() instanceof dev.iommufd.contract.events.FaultDetach) {
                        keys.add(r.key());
                        seen.add(e.payload());
                    }
                }
            }
            org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of(new dev.iommufd.contract.events.FaultDetach(ctx, fault, rid, null)), seen);
            org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of(ctx), keys);
        }
        as().delete(url("/hwpts/" + pri)).then().statusCode(204);
        as().delete("/v1/contexts/" + ctx).then().statusCode(204);
    }
}
