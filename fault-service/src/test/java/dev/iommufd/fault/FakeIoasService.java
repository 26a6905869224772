package dev.iommufd.fault;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stands in for ioas-service's internal API in this module's tests (fault-service runs without
 * it): the id space ({@code POST|DELETE …/objects}) and the device lookup ({@code GET …/devices?rid=}).
 * Behaviour is fixed by names so the tests and this server (another class loader) agree without
 * shared state: a context named {@code down-…} gets 503 (ioas-service unreachable); releasing an
 * id in a context named {@code held-…} is 409 EBUSY (a HWPT still uses the queue); a RID starting
 * with {@code ffff:} is not bound (404 ENOENT); any other RID is device {@link #deviceId}.
 */
public class FakeIoasService implements QuarkusTestResourceLifecycleManager {
    private static final Pattern OBJECTS = Pattern.compile("/v1/internal/contexts/([^/]+)/objects(?:/(\\d+))?");
    private static final Pattern DEVICES = Pattern.compile("/v1/internal/contexts/([^/]+)/devices");
    private HttpServer server;
    private final Map<String, AtomicInteger> nextId = new ConcurrentHashMap<>();

    /** The DEVICE id the fake gives {@code rid} "dddd:bb:dd.f": 100 + bus. */
    public static int deviceId(String rid) {
        return 100 + Integer.parseInt(rid.split(":")[1], 16);
    }

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext("/", this::handle);
        server.start();
        return Map.of("quarkus.rest-client.ioas.url", "http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        Matcher o = OBJECTS.matcher(path);
        Matcher d = DEVICES.matcher(path);
        x.getRequestBody().readAllBytes();
        if (o.matches()) {
            String ctx = o.group(1);
            if (ctx.startsWith("down-")) {
                reply(x, 503, "");
            } else if (x.getRequestMethod().equals("POST") && o.group(2) == null) {
                reply(x, 201, "{\"id\":" + nextId.computeIfAbsent(ctx, k -> new AtomicInteger(1)).getAndIncrement() + "}");
            } else if (x.getRequestMethod().equals("DELETE") && o.group(2) != null) {
                if (ctx.startsWith("held-")) {
                    reply(x, 409, "{\"errno\":\"EBUSY\",\"message\":\"object " + o.group(2) + " is in use (1 users)\"}");
                } else {
                    reply(x, 204, null);
                }
            } else {
                reply(x, 405, "");
            }
        } else if (d.matches() && x.getRequestMethod().equals("GET")) {
            String query = x.getRequestURI().getQuery();
            String rid = query != null && query.startsWith("rid=") ? query.substring(4) : "";
            if (rid.isEmpty() || rid.startsWith("ffff:")) {
                reply(x, 404, "{\"errno\":\"ENOENT\",\"message\":\"no device " + rid + " in this context\"}");
            } else {
                reply(x, 200, "{\"id\":" + deviceId(rid) + ",\"rid\":\"" + rid + "\"}");
            }
        } else {
            reply(x, 404, "{\"errno\":\"ENOENT\",\"message\":\"no such path\"}");
        }
    }

    private static void reply(HttpExchange x, int status, String body) throws IOException {
        if (body == null) {
            x.sendResponseHeaders(status, -1);
        } else {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
            if (b.length > 0) {
                x.getResponseBody().write(b);
            }
        }
        x.close();
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
