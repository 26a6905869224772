package dev.iommufd.sim.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HostMemoryTest {
    @Test
    void unwrittenMemoryReadsZero() {
        assertArrayEquals(new byte[16], new HostMemory().read(0x1234_5000L, 16));
    }

    @Test
    void writesAcrossPageBoundariesReadBack() {
        HostMemory m = new HostMemory();
        byte[] data = new byte[3 * HostMemory.PAGE];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        m.write(0x1ff0, data);
        assertArrayEquals(data, m.read(0x1ff0, data.length));
        assertEquals(4, m.pagesTouched());
        assertArrayEquals(new byte[] {0, 0}, m.read(0x1fee, 2));
    }

    @Test
    void wordsAreLittleEndian() {
        HostMemory m = new HostMemory();
        m.writeLong(0x1000, 0x1122334455667788L);
        assertEquals((byte) 0x88, m.read(0x1000, 1)[0]);
        assertEquals(0x1122334455667788L, m.readLong(0x1000));
    }

    @Test
    void rangesPastTopOfAddressSpaceAreRefused() {
        HostMemory m = new HostMemory();
        assertThrows(IllegalArgumentException.class, () -> m.read(-4L, 8));
        m.write(-8L, new byte[8]); // exactly up to 2^64 - 1 is fine
    }
}
