package dev.iommufd.fault;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.iommufd.devinfra.LocalInfra;
import dev.iommufd.devinfra.LocalInfraTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.smallrye.jwt.build.Jwt;
import org.junit.jupiter.api.Test;

/** fault-service's API conventions and token rules, against real PostgreSQL and Kafka. */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
@QuarkusTestResource(FakeIoasService.class)
class FaultApiTest {
    static final String CTX = "ctx-fault-test";

    /** A token as ioas-service would issue it, signed with the checkout's private key. */
    static String token(String ctx) {
        return Jwt.issuer("iommufd").subject(ctx).expiresIn(600).sign(new LocalInfra(LocalInfra.repoRoot()).tokenKeys().loadPrivateKey());
    }

    static RequestSpecification as(String ctx) {
        return given().header("Authorization", "Bearer " + token(ctx)).contentType(ContentType.JSON);
    }

    @Test
    void readinessCoversKafkaAndPostgres() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItem(containsString("Kafka")))
                .body("checks.name", hasItem(containsString("PostgreSQL")));
        given().get("/q/openapi").then().statusCode(200).body(containsString("/v1/contexts/{ctx}/fault-queues/{id}/responses"));
        given().get("/q/metrics").then().statusCode(200);
    }

    @Test
    void tokenRules() {
        String url = "/v1/contexts/" + CTX + "/fault-queues/3/faults";
        given().get(url).then().statusCode(401).body("errno", equalTo("EACCES"));
        given().header("Authorization", "Bearer x.y.z").get(url).then().statusCode(401).body("errno", equalTo("EACCES"));
        as("another-context").get(url).then().statusCode(404).body("errno", equalTo("ENOENT"));
        as(CTX).get(url).then().statusCode(404).body("errno", equalTo("ENOENT")).body("message", containsString("fault queue 3"));
        as(CTX).get(url + "?maxGroups=0").then().statusCode(400).body("errno", equalTo("EINVAL"));
    }

    @Test
    void allocValidationAndIoasServiceDown() {
        String url = "/v1/contexts/" + CTX + "/fault-queues";
        as(CTX).body("{\"flags\":[\"WHATEVER\"]}").post(url).then().statusCode(422).body("errno", equalTo("EOPNOTSUPP"));
        as(CTX).body("{\"flags\":[],\"x\":1}").post(url).then().statusCode(400).body("errno", equalTo("E2BIG"));
        // ioas-service unreachable (the fake answers 503 for down-… contexts): no id, nothing is stored
        String down = "down-" + CTX;
        String downUrl = "/v1/contexts/" + down + "/fault-queues";
        as(down).body("{}").post(downUrl).then().statusCode(422).body("errno", equalTo("EIO"));
        as(down).get(downUrl + "/1/faults").then().statusCode(404).body("errno", equalTo("ENOENT"));
    }

    @Test
    void responsesRequestValidation() {
        String url = "/v1/contexts/" + CTX + "/fault-queues/3/responses";
        as(CTX).body("{\"responses\":[],\"extra\":1}").post(url).then().statusCode(400).body("errno", equalTo("E2BIG"));
        as(CTX).body("{\"responses\":[{\"cookie\":1,\"code\":\"SUCCESS\",\"x\":0}]}").post(url).then().statusCode(400).body("errno", equalTo("E2BIG"));
        as(CTX).body("{\"responses\":").post(url).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as(CTX).body("{}").post(url).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as(CTX).body("{\"responses\":[{\"code\":\"SUCCESS\"}]}").post(url).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as(CTX).body("{\"responses\":[]}").post(url).then().statusCode(404).body("errno", equalTo("ENOENT"));
    }
}
