package dev.iommufd.viommu.invalidate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import java.util.Map;

/**
 * The raw body of an invalidate call, read here rather than by the framework: API.md wants
 * {@code entryNum} in every invalidate error body, also for a body that is not JSON at all
 * (entryNum 0: nothing was applied).
 */
public final class InvalidateBody {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The body's shape, for the OpenAPI document only (the call reads the raw text). */
    public record Doc(String dataType, java.util.List<java.util.Map<String, Object>> entries) {}

    private InvalidateBody() {}

    /** The body as JSON (null when empty); malformed → EINVAL with entryNum 0. */
    public static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ErrnoException(Errno.EINVAL, "malformed JSON: " + e.getOriginalMessage(), Map.of("entryNum", 0));
        }
    }
}
