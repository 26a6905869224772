package dev.iommufd.ioas.context;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;

import dev.iommufd.devinfra.LocalInfraTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import io.smallrye.jwt.build.Jwt;
import java.security.KeyPairGenerator;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Contexts, tokens and the error conventions of API.md on ioas-service, against real PostgreSQL and Kafka. */
@QuarkusTest
@QuarkusTestResource(LocalInfraTestResource.class)
class ContextApiTest {

    record Ctx(String id, String token) {
        RequestSpecification as() {
            return given().header("Authorization", "Bearer " + token).contentType(ContentType.JSON);
        }
    }

    static Ctx open() {
        JsonPath j = given().contentType(ContentType.JSON).post("/v1/contexts").then().statusCode(201)
                .body("id", notNullValue()).body("token", notNullValue()).extract().jsonPath();
        return new Ctx(j.getString("id"), j.getString("token"));
    }

    @Test
    void readinessCoversKafkaAndPostgres() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItem(containsString("Kafka")))
                .body("checks.name", hasItem(containsString("PostgreSQL")));
        given().get("/q/metrics").then().statusCode(200).body(containsString("http_server"));
        given().get("/q/openapi").then().statusCode(200).body(containsString("/v1/contexts/{ctx}/objects"));
    }

    @Test
    void freshContextHasNoObjectsAndDefaultOptions() {
        Ctx c = open();
        c.as().get("/v1/contexts/" + c.id + "/objects").then().statusCode(200).body("objects.size()", equalTo(0));
        c.as().get("/v1/contexts/" + c.id + "/options/rlimit-mode").then().statusCode(200).body("value", equalTo(0));
    }

    @Test
    void tokenRules() {
        Ctx a = open();
        Ctx b = open();
        String url = "/v1/contexts/" + a.id + "/objects";
        given().get(url).then().statusCode(401).body("errno", equalTo("EACCES"));
        given().header("Authorization", "Basic abc").get(url).then().statusCode(401).body("errno", equalTo("EACCES"));
        given().header("Authorization", "Bearer not.a.jwt").get(url).then().statusCode(401).body("errno", equalTo("EACCES"));
        // b's valid token on a's context: no existence leak
        b.as().get(url).then().statusCode(404).body("errno", equalTo("ENOENT"));
        // expired
        String expired = Jwt.issuer("iommufd").subject(a.id).issuedAt(Instant.now().minusSeconds(7200))
                .expiresAt(Instant.now().minusSeconds(3600)).sign();
        given().header("Authorization", "Bearer " + expired).get(url).then().statusCode(401).body("errno", equalTo("EACCES"));
        // signed with another key
        String forged = Jwt.issuer("iommufd").subject(a.id).expiresIn(3600).sign(otherKey());
        given().header("Authorization", "Bearer " + forged).get(url).then().statusCode(401).body("errno", equalTo("EACCES"));
        // wrong issuer
        String foreign = Jwt.issuer("someone-else").subject(a.id).expiresIn(3600).sign();
        given().header("Authorization", "Bearer " + foreign).get(url).then().statusCode(401).body("errno", equalTo("EACCES"));
        // close needs the token too
        given().delete("/v1/contexts/" + a.id).then().statusCode(401).body("errno", equalTo("EACCES"));
        a.as().get(url).then().statusCode(200);
    }

    @Test
    void closedContextIsGone() {
        Ctx c = open();
        c.as().delete("/v1/contexts/" + c.id).then().statusCode(204);
        c.as().get("/v1/contexts/" + c.id + "/objects").then().statusCode(404).body("errno", equalTo("ENOENT"));
        c.as().delete("/v1/contexts/" + c.id).then().statusCode(404).body("errno", equalTo("ENOENT"));
    }

    @Test
    void rlimitModeOption() {
        Ctx c = open();
        String url = "/v1/contexts/" + c.id + "/options/rlimit-mode";
        c.as().body("{\"value\":1}").put(url).then().statusCode(200).body("value", equalTo(1));
        c.as().get(url).then().statusCode(200).body("value", equalTo(1));
        // each failure leaves the value as it was
        c.as().body("{\"value\":2}").put(url).then().statusCode(400).body("errno", equalTo("EINVAL"))
                .body("message", notNullValue());
        c.as().body("{\"value\":0,\"extra\":true}").put(url).then().log().ifValidationFails().statusCode(400).body("errno", equalTo("E2BIG"));
        c.as().body("{\"value\":").put(url).then().statusCode(400).body("errno", equalTo("EINVAL"));
        c.as().body("{}").put(url).then().statusCode(400).body("errno", equalTo("EINVAL"));
        c.as().body("{\"value\":\"zero\"}").put(url).then().statusCode(400).body("errno", equalTo("EINVAL"));
        c.as().body("[1]").put(url).then().statusCode(400).body("errno", equalTo("EINVAL"));
        c.as().get(url).then().statusCode(200).body("value", equalTo(1));
    }

    @Test
    void unknownPathsAndMethodsGetErrnoBodies() {
        Ctx c = open();
        c.as().get("/v1/contexts/" + c.id + "/no-such-thing").then().statusCode(404).body("errno", equalTo("ENOENT"));
        given().get("/v1/nothing").then().statusCode(404).body("errno", equalTo("ENOENT"));
        given().get("/v1/contexts").then().statusCode(405).body("errno", equalTo("EOPNOTSUPP"));
    }

    private static java.security.PrivateKey otherKey() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair().getPrivate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
