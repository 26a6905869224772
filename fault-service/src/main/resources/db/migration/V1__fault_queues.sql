-- Fault queues (IOMMU_FAULT_QUEUE_ALLOC) and the cookie counter of each.
CREATE TABLE fault_queues (
    context_id   TEXT NOT NULL,
    id           INTEGER NOT NULL CHECK (id > 0),
    next_cookie  INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (context_id, id)
);
