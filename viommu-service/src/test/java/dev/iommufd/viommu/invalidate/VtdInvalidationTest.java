package dev.iommufd.viommu.invalidate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.viommu.invalidate.VtdInvalidation.Range;
import java.util.List;
import org.junit.jupiter.api.Test;

class VtdInvalidationTest {
    static JsonNode json(String s) {
        try {
            return new ObjectMapper().readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void rangesAllAndNothing() {
        Plan<Range> p = VtdInvalidation.decode(json("""
                [{"addr":"0x1000","npages":2,"flags":["LEAF"]},
                 {"addr":0,"npages":"0xffffffffffffffff"},
                 {"addr":"0x2000","npages":0},
                 {"addr":"0xfffffffffffff000","npages":2},
                 {"addr":"0xfffffffffffff000","npages":1}]"""));
        assertNull(p.stop());
        assertEquals(List.of(new Range(0x1000, 0x2000, false), new Range(0, 0, true), new Range(0x2000, 0, false),
                new Range(0, 0, true), new Range(0xfffffffffffff000L, 0x1000, false)), p.items());
    }

    @Test
    void stopsAtTheFirstBadEntryWithItsErrno() {
        String good = "{\"addr\":\"0x1000\",\"npages\":1}";
        String[][] bad = {
                {"{\"addr\":\"0x1001\",\"npages\":1}", "EINVAL"},
                {"{\"addr\":\"0x1000\",\"npages\":\"0xffffffffffffffff\"}", "EINVAL"},
                {"{\"addr\":\"0x1000\",\"npages\":1,\"flags\":[\"GLOBAL\"]}", "EOPNOTSUPP"},
                {"{\"addr\":\"0x1000\"}", "EINVAL"},
                {"{\"addr\":\"0x1000\",\"npages\":1,\"pasid\":3}", "E2BIG"},
                {"{\"addr\":\"-1\",\"npages\":1}", "EINVAL"},
                {"7", "EINVAL"},
        };
        for (String[] b : bad) {
            Plan<Range> p = VtdInvalidation.decode(json("[" + good + "," + good + "," + b[0] + "," + good + "]"));
            assertEquals(2, p.items().size(), b[0]);
            assertEquals(Errno.valueOf(b[1]), p.stop().errno(), b[0]);
        }
    }
}
