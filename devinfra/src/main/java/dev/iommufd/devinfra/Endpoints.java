package dev.iommufd.devinfra;

import java.util.LinkedHashMap;
import java.util.Map;

/** Where the local Kafka broker and PostgreSQL server listen, in the config keys the services read. */
public record Endpoints(String kafkaBootstrap, String jdbcUrl, String reactiveUrl, String user, String password) {

    /** The same servers, another database on the PostgreSQL server. */
    public Endpoints withDatabase(String db) {
        return new Endpoints(kafkaBootstrap, swap(jdbcUrl, db), swap(reactiveUrl, db), user, password);
    }

    private static String swap(String url, String db) {
        return url.substring(0, url.lastIndexOf('/') + 1) + db;
    }

    /** Quarkus configuration that points a service at these servers. */
    public Map<String, String> quarkusConfig() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("kafka.bootstrap.servers", kafkaBootstrap);
        c.put("quarkus.datasource.jdbc.url", jdbcUrl);
        c.put("quarkus.datasource.reactive.url", reactiveUrl);
        c.put("quarkus.datasource.username", user);
        c.put("quarkus.datasource.password", password);
        // consumer groups per database: a test or e2e stack never takes a dev stack's events
        c.put("iommufd.kafka.group-suffix", jdbcUrl.substring(jdbcUrl.lastIndexOf('/') + 1));
        return c;
    }
}
