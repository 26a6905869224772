package dev.iommufd.e2e;

import static io.restassured.RestAssured.given;

import dev.iommufd.devinfra.LocalInfra;
import dev.iommufd.tools.launch.ServiceLauncher;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/**
 * The end-to-end tests' stack: the four packaged services on ports 18081–18084 (offset 10000, so a
 * running {@code iommuctl up} stack is left alone) with a fresh {@code e2e_…} database, and the
 * request shape every call under a context uses.
 */
final class E2eStack {
    private E2eStack() {}

    /** Starts (or reuses) the stack; {@code config} are extra key/value pairs for every service. */
    static ServiceLauncher start(String... config) {
        ServiceLauncher stack = new ServiceLauncher(LocalInfra.repoRoot(), 10000, "e2e").withFreshDatabase("e2e_");
        for (int i = 0; i + 1 < config.length; i += 2) {
            stack.withConfig(config[i], config[i + 1]);
        }
        stack.up();
        return stack;
    }

    static void stop(ServiceLauncher stack) {
        if (stack != null) {
            stack.down(false);
        }
    }

    /** A JSON request carrying the context's token. */
    static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token).contentType(ContentType.JSON);
    }
}
