package dev.iommufd.ioas.ioas;

import dev.iommufd.ioas.context.IommufdObject;
import dev.iommufd.ioas.context.ObjectType;
import dev.iommufd.ioas.core.IoPageTable;
import java.util.TreeSet;

/** An I/O address space: its io page table and the paging HWPTs (domains) built on it. */
public class IoasObject extends IommufdObject {
    public IoPageTable.Snapshot table = IoPageTable.Snapshot.empty();
    /** Every paging HWPT on this IOAS, attached or not. */
    public TreeSet<Integer> hwpts = new TreeSet<>();
    /** IOMMU_OPTION_HUGE_PAGES (1 = allow huge pages, the default). */
    public int hugePages = 1;
    public String invalidationMode = "STRICT";
    public int invalidationBatch = 250;
    public int invalidationMaxDelayMs = 10;

    @Override
    public ObjectType type() {
        return ObjectType.IOAS;
    }

    /** Works on the table and stores it back, only if the work succeeded. */
    public <R> R withTable(java.util.function.Function<IoPageTable, R> work) {
        IoPageTable t = IoPageTable.of(table);
        R r = work.apply(t);
        table = t.snapshot();
        return r;
    }
}
