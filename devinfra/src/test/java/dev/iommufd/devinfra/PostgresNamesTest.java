package dev.iommufd.devinfra;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which older test databases a new run may drop: never one a concurrent run just made. */
class PostgresNamesTest {
    @Test
    void aDatabaseNamedNowIsRecentOneFromAnHourAgoIsNot() {
        long now = System.currentTimeMillis();
        assertTrue(Postgres.madeRecently("test_" + Long.toHexString(now) + "a3", "test_"));
        assertFalse(Postgres.madeRecently("test_" + Long.toHexString(now - 3_600_000L) + "a3", "test_"));
        assertFalse(Postgres.madeRecently("test_zz", "test_"));
        assertFalse(Postgres.madeRecently("test_notahexnumberatall", "test_"));
    }
}
