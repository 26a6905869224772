package dev.iommufd.contract.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ErrnoTest {
    @Test
    void statusOfEveryErrnoIsTheContractOne() {
        Map<Errno, Integer> expected = Map.ofEntries(
                Map.entry(Errno.EINVAL, 400), Map.entry(Errno.E2BIG, 400), Map.entry(Errno.EOVERFLOW, 400),
                Map.entry(Errno.EFAULT, 400), Map.entry(Errno.EACCES, 401), Map.entry(Errno.EPERM, 403),
                Map.entry(Errno.ENOENT, 404), Map.entry(Errno.EBUSY, 409), Map.entry(Errno.EEXIST, 409),
                Map.entry(Errno.EADDRINUSE, 409), Map.entry(Errno.ENOSPC, 409), Map.entry(Errno.ENODEV, 409),
                Map.entry(Errno.EOPNOTSUPP, 422), Map.entry(Errno.EIO, 422));
        assertEquals(expected.keySet(), Set.of(Errno.values()));
        expected.forEach((e, s) -> assertEquals(s, e.status(), e.name()));
    }

    @Test
    void errorBodyCarriesErrnoMessageAndExtras() {
        Map<String, Object> body = ErrorBody.of(Errno.EIO, "bad command", Map.of("entryNum", 3));
        assertEquals(Map.of("errno", "EIO", "message", "bad command", "entryNum", 3), body);
        assertEquals(List.of("errno", "message", "entryNum"), List.copyOf(body.keySet()));
    }

    enum F { READABLE, WRITEABLE }

    @Test
    void unknownFlagIsEopnotsupp() {
        assertEquals(Set.of(F.READABLE), Flags.parse(List.of("READABLE"), F.class));
        assertEquals(Set.of(), Flags.parse(null, F.class));
        ErrnoException e = assertThrows(ErrnoException.class, () -> Flags.parse(List.of("READABLE", "readable"), F.class));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
    }

    @Test
    void missingFieldIsEinval() {
        assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class, () -> Require.field(null, "iova")).errno());
        assertEquals("x", Require.field("x", "iova"));
    }
}
