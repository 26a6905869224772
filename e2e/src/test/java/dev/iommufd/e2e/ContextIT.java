package dev.iommufd.e2e;

import static io.restassured.RestAssured.given;

import dev.iommufd.tools.launch.ServiceLauncher;
import dev.iommufd.tools.launch.Service;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** An end-to-end test working in one context at a time: the shared stack, the context's token, its URLs. */
abstract class ContextIT {
    static ServiceLauncher stack;

    String ctx;
    String token;

    @BeforeAll
    static void up() {
        stack = E2eStack.start();
    }

    @AfterAll
    static void down() {
        E2eStack.stop(stack);
    }

    RequestSpecification as() {
        return E2eStack.as(token);
    }

    /** Opens a context: {@link #ctx} and {@link #token}. */
    void openContext() {
        JsonPath c = given().contentType(ContentType.JSON).post(stack.url(Service.IOAS) + "/v1/contexts").then().statusCode(201)
                .extract().jsonPath();
        ctx = c.getString("id");
        token = c.getString("token");
    }

    void closeContext() {
        as().delete(stack.url(Service.IOAS) + "/v1/contexts/" + ctx).then().statusCode(204);
    }

    String ioas(String tail) {
        return stack.url(Service.IOAS) + "/v1/contexts/" + ctx + tail;
    }

    String viommu(String tail) {
        return stack.url(Service.VIOMMU) + "/v1/contexts/" + ctx + tail;
    }

    int create(String url, String body) {
        return as().body(body).post(url).then().statusCode(201).extract().jsonPath().getInt("id");
    }
}
