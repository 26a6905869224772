package dev.iommufd.fault.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.fault.core.ResponseBatch.Answer;
import dev.iommufd.fault.core.ResponseBatch.Outcome;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** iommufd's fault write(): in order, first bad entry stops with EINVAL and the count applied before it. */
class ResponseBatchTest {
    static final Set<Integer> AWAITING = Set.of(1, 2, 3);

    @Test
    void allAccepted() {
        Outcome o = ResponseBatch.decide(List.of(2L, 1L), List.of("SUCCESS", "INVALID"), AWAITING);
        assertEquals(List.of(new Answer(2, ResponseCode.SUCCESS), new Answer(1, ResponseCode.INVALID)), o.accepted());
        assertNull(o.error());
        assertEquals(List.of(), ResponseBatch.decide(List.of(), List.of(), AWAITING).accepted());
        assertNull(ResponseBatch.decide(List.of(), List.of(), Set.of()).error());
    }

    @Test
    void eachRefusalKeepsWhatCameBefore() {
        record Case(List<Long> cookies, List<String> codes, int accepted) {}
        for (Case c : List.of(
                new Case(List.of(4L), List.of("SUCCESS"), 0),                         // unknown cookie
                new Case(List.of(0L), List.of("SUCCESS"), 0),                         // cookies start at 1
                new Case(List.of(-1L), List.of("SUCCESS"), 0),
                new Case(List.of(1L + Integer.MAX_VALUE), List.of("SUCCESS"), 0),
                new Case(List.of(1L, 1L), List.of("SUCCESS", "SUCCESS"), 1),          // answered twice in one call
                new Case(List.of(1L, 2L), List.of("SUCCESS", "FAILURE"), 1),          // FAILURE is not accepted
                new Case(List.of(1L, 2L, 3L), List.of("INVALID", "SUCCESS", "success"), 2),
                new Case(List.of(3L), List.of(""), 0))) {
            Outcome o = ResponseBatch.decide(c.cookies(), c.codes(), AWAITING);
            assertEquals(c.accepted(), o.accepted().size(), c.toString());
            assertEquals(Errno.EINVAL, o.error().errno(), c.toString());
            assertEquals(Map.of("accepted", c.accepted()), o.error().extra(), c.toString());
        }
    }

    @Test
    void codesParse() {
        assertEquals(ResponseCode.SUCCESS, ResponseCode.parse("SUCCESS"));
        assertEquals(ResponseCode.INVALID, ResponseCode.parse("INVALID"));
        assertNull(ResponseCode.parse("FAILURE"));
        assertNull(ResponseCode.parse(null));
    }
}
