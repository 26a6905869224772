package dev.iommufd.viommu;

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

/** viommu-service's API conventions and token rules, against real PostgreSQL and Kafka. */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
class ViommuApiTest {
    static final String CTX = "ctx-viommu-test";

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
        given().get("/q/openapi").then().statusCode(200).body(containsString("/v1/contexts/{ctx}/veventqs"))
                .body(containsString("Doc:"));   // the invalidate calls read raw text but document their JSON body
        given().get("/q/metrics").then().statusCode(200);
    }

    @Test
    void tokenRules() {
        String url = "/v1/contexts/" + CTX + "/viommus/5";
        given().get(url).then().statusCode(401).body("errno", equalTo("EACCES"));
        given().header("Authorization", "Bearer x.y.z").get(url).then().statusCode(401).body("errno", equalTo("EACCES"));
        as("another-context").get(url).then().statusCode(404).body("errno", equalTo("ENOENT"));
        as(CTX).get(url).then().statusCode(404).body("errno", equalTo("ENOENT")).body("message", containsString("vIOMMU 5"));
    }

    @Test
    void veventqRequestValidation() {
        String url = "/v1/contexts/" + CTX + "/veventqs";
        as(CTX).body("{\"viommuId\":1,\"type\":\"ARM_SMMUV3\",\"depth\":8,\"color\":\"red\"}").post(url)
                .then().statusCode(400).body("errno", equalTo("E2BIG"));
        as(CTX).body("{\"viommuId\":1,").post(url).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as(CTX).body("{\"type\":\"ARM_SMMUV3\",\"depth\":8}").post(url).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as(CTX).body("{\"viommuId\":1,\"type\":\"ARM_SMMUV3\",\"depth\":0}").post(url).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as(CTX).body("{\"viommuId\":1,\"type\":\"ARM_SMMUV3\",\"depth\":524289}").post(url).then().statusCode(400).body("errno", equalTo("EINVAL"));
        as(CTX).body("{\"viommuId\":1,\"type\":\"BOGUS\",\"depth\":8}").post(url).then().statusCode(422).body("errno", equalTo("EOPNOTSUPP"));
        as(CTX).body("{\"viommuId\":1,\"type\":\"ARM_SMMUV3\",\"depth\":524288}").post(url).then().statusCode(404).body("errno", equalTo("ENOENT"));
    }
}
