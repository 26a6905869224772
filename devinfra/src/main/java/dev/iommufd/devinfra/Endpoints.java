package dev.iommufd.devinfra;

import java.util.LinkedHashMap;
import java.util.Map;

/** Where the local Kafka broker and PostgreSQL server listen, in the config keys the services read. */
public record Endpoints(String kafkaBootstrap, String jdbcUrl, String reactiveUrl, String user, String password) {

    /** Quarkus configuration that points a service at these servers. */
    public Map<String, String> quarkusConfig() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("kafka.bootstrap.servers", kafkaBootstrap);
        c.put("quarkus.datasource.jdbc.url", jdbcUrl);
        c.put("quarkus.datasource.reactive.url", reactiveUrl);
        c.put("quarkus.datasource.username", user);
        c.put("quarkus.datasource.password", password);
        return c;
    }
}
