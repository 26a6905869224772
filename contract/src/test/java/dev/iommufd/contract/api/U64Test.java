package dev.iommufd.contract.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class U64Test {
    private final ObjectMapper json = new ObjectMapper();

    record Holder(U64 v) {}

    @Test
    void acceptsIntegerHexAndDecimalUpToU64Max() throws Exception {
        assertEquals(U64.MAX, json.readValue("{\"v\":18446744073709551615}", Holder.class).v());
        assertEquals(U64.MAX, json.readValue("{\"v\":\"0xffffffffffffffff\"}", Holder.class).v());
        assertEquals(U64.MAX, json.readValue("{\"v\":\"18446744073709551615\"}", Holder.class).v());
        assertEquals(U64.of(0x1f000), json.readValue("{\"v\":\"0x1F000\"}", Holder.class).v());
        assertEquals(U64.of(4096), json.readValue("{\"v\":4096}", Holder.class).v());
        assertEquals(U64.ZERO, json.readValue("{\"v\":0}", Holder.class).v());
    }

    @ParameterizedTest
    @ValueSource(strings = {"18446744073709551616", "-1", "\"0x10000000000000000\"", "\"-5\"", "\"0x\"", "\"abc\"",
            "\"\"", "1.5", "true", "\"0x-1\"", "\" 12x\""})
    void rejectsEverythingElse(String v) {
        assertThrows(JsonMappingException.class, () -> json.readValue("{\"v\":" + v + "}", Holder.class));
    }

    @Test
    void writesLowercaseHex() throws Exception {
        assertEquals("{\"v\":\"0xffffffffffffffff\"}", json.writeValueAsString(new Holder(U64.MAX)));
        assertEquals("{\"v\":\"0xabc000\"}", json.writeValueAsString(new Holder(U64.of(0xABC000))));
        assertEquals("{\"v\":\"0x0\"}", json.writeValueAsString(new Holder(U64.ZERO)));
    }

    @Test
    void comparesUnsigned() {
        assertTrue(U64.MAX.compareTo(U64.of(1)) > 0);
        assertTrue(U64.of(0x8000000000000000L).compareTo(U64.of(0x7fffffffffffffffL)) > 0);
        assertEquals("18446744073709551615", U64.MAX.toBig().toString());
    }
}
