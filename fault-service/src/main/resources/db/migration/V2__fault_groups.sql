-- Page-request groups (iommufd's fault object: deliver list + response xarray), the outbox of
-- their responses, the consumers' idempotency marks and the open SSE streams.

-- A group is PARTIAL until its last-page request arrives, then DELIVERED (has a cookie, waits to
-- be read), then CONSUMED (read by GET …/faults or the stream, waits for a response). It is
-- deleted in the transaction that queues its one response in fault_outbox, so it is answered
-- exactly once.
CREATE TABLE fault_groups (
    id            BIGSERIAL PRIMARY KEY,
    context_id    TEXT NOT NULL,
    fault_id      INTEGER NOT NULL,
    iommu         TEXT NOT NULL,
    rid           TEXT NOT NULL,
    pasid         INTEGER,                 -- null: the requests carried no PASID
    grpid         INTEGER NOT NULL,
    dev_id        INTEGER NOT NULL,        -- the DEVICE object of rid in the context
    faults        TEXT NOT NULL,           -- JSON array of the group's faults as the API shows them, in arrival order
    state         TEXT NOT NULL CHECK (state IN ('PARTIAL', 'DELIVERED', 'CONSUMED')),
    cookie        INTEGER,
    delivered_at  TIMESTAMPTZ,
    CHECK ((state = 'PARTIAL') = (cookie IS NULL)),
    UNIQUE (context_id, fault_id, cookie)
);
-- at most one group is being assembled per (queue, device, PASID, PRGI)
CREATE UNIQUE INDEX fault_groups_partial ON fault_groups (context_id, fault_id, rid, COALESCE(pasid, -1), grpid)
    WHERE state = 'PARTIAL';
CREATE INDEX fault_groups_delivered ON fault_groups (delivered_at) WHERE state <> 'PARTIAL';

-- PAGE_RESPONSE events committed with the change that answered the group; a relay publishes
-- them in id order and deletes them once the broker acknowledged (at-least-once).
CREATE TABLE fault_outbox (
    id          BIGSERIAL PRIMARY KEY,
    kafka_key   TEXT NOT NULL,
    context_id  TEXT,
    payload     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

-- Highest envelope sequence applied per (source, key): a redelivered page request or
-- FAULT_DETACH is skipped, also after a restart.
CREATE TABLE consumed_sequences (
    source         TEXT NOT NULL,
    kafka_key      TEXT NOT NULL,
    last_sequence  BIGINT NOT NULL,
    PRIMARY KEY (source, kafka_key)
);

-- Open SSE streams (a queue with one cannot be destroyed: EBUSY). Each instance refreshes the
-- heartbeat of its streams; rows of a crashed instance stop counting once their heartbeat is old.
CREATE TABLE fault_streams (
    stream_id     TEXT PRIMARY KEY,
    context_id    TEXT NOT NULL,
    fault_id      INTEGER NOT NULL,
    heartbeat_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX fault_streams_queue ON fault_streams (context_id, fault_id);
