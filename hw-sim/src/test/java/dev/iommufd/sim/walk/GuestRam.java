package dev.iommufd.sim.walk;

import dev.iommufd.sim.memory.HostMemory;
import dev.iommufd.sim.pagetable.DomainTable;
import java.util.function.LongPredicate;

/**
 * A guest's physical memory for tests: a stage-2 parent domain (GPA → host PA) over a HostMemory,
 * a bump allocator of 4 KiB table pages (each its own stage-2 leaf at {@code tableHostOffset + gpa})
 * and 64-bit accessors at guest-physical addresses.
 */
final class GuestRam {
    static final long TABLES_GPA = 0x10_0000L;

    final HostMemory host = new HostMemory();
    final DomainTable parent;
    private final long tableHostOffset;
    private long nextTable = TABLES_GPA;

    GuestRam(long tableHostOffset) {
        this(tableHostOffset, 48);
    }

    GuestRam(long tableHostOffset, int stage2Width) {
        this.parent = new DomainTable("s2", "iommu0", stage2Width, true);
        this.tableHostOffset = tableHostOffset;
    }

    /** Maps guest RAM {@code [gpa, gpa+length)} to host {@code hostPa} in the stage 2. */
    GuestRam ram(long gpa, long length, long hostPa, boolean write) {
        parent.map(gpa, length, hostPa, true, write);
        return this;
    }

    /** A zeroed 4 KiB guest page for a table (or a CD), mapped read/write by the stage 2. */
    long page() {
        long gpa = nextTable;
        nextTable += 4096;
        parent.map(gpa, 4096, gpa + tableHostOffset, true, true);
        return gpa;
    }

    void put(long gpa, long value) {
        host.writeLong(hostOf(gpa), value);
    }

    long get(long gpa) {
        return host.readLong(hostOf(gpa));
    }

    long hostOf(long gpa) {
        return parent.walk(gpa).translate(gpa);
    }

    GuestMemory memory() {
        return new GuestMemory(host, Stage2.of(parent));
    }

    GuestMemory memory(LongPredicate busError) {
        return new GuestMemory(host, Stage2.of(parent), busError);
    }
}
