package dev.iommufd.tools.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class InvalidationsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void vtdArrayHasPageSelectiveEntriesThatMoveOnBetweenCalls() throws Exception {
        JsonNode a = JSON.readTree(Invalidations.vtdArray(3, 0));
        assertEquals("VTD_S1", a.path("dataType").asText());
        assertEquals(3, a.path("entries").size());
        assertEquals("0x40000000", a.path("entries").path(0).path("addr").asText());
        assertEquals("0x40002000", a.path("entries").path(2).path("addr").asText());
        assertEquals(1, a.path("entries").path(2).path("npages").asInt());
        assertEquals("0x40003000", JSON.readTree(Invalidations.vtdArray(3, 1)).path("entries").path(0).path("addr").asText());
        // wraps inside the window
        assertEquals("0x40000000", JSON.readTree(Invalidations.vtdArray(1, Invalidations.WINDOW_PAGES)).path("entries").path(0).path("addr").asText());
    }

    @Test
    void smmuArrayMixesVaAndAsidCommandsWithTheAsidInTheTopBits() throws Exception {
        JsonNode a = JSON.readTree(Invalidations.smmuArray(16, 0, 7));
        assertEquals("ARM_SMMUV3", a.path("dataType").asText());
        assertEquals(16, a.path("entries").size());
        JsonNode va = a.path("entries").path(1).path("cmd");
        assertEquals("0x7000000000012", va.path(0).asText());
        assertEquals("0x40001000", va.path(1).asText());
        JsonNode asid = a.path("entries").path(15).path("cmd");
        assertEquals("0x7000000000011", asid.path(0).asText());
        assertEquals("0x0", asid.path(1).asText());
        assertEquals(1, JSON.readTree(Invalidations.smmuArray(1, 5, 0)).path("entries").size());
    }

    @Test
    void pteBodyIsLittleEndian() throws Exception {
        byte[] b = Base64.getDecoder().decode(JSON.readTree(Invalidations.pteBody(0x201007L)).path("data").asText());
        assertEquals(8, b.length);
        assertEquals(0x07, b[0]);
        assertEquals(0x10, b[1]);
        assertEquals(0x20, b[2]);
        assertEquals(0, b[7]);
    }
}
