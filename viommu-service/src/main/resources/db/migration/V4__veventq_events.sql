-- vEVENTQ contents in PostgreSQL (restart-safe, shared by replicas). Every change to a queue's
-- entries runs under the queue row's lock (SELECT … FOR UPDATE), so reports and reads of several
-- instances apply EventRing's decisions one at a time.

-- The ring's counters (iommufd_veventq: sequence, num_events): the next report's sequence
-- (0..INT_MAX, wrapping) and how many events (not the marker) are queued.
ALTER TABLE veventqs ADD COLUMN next_sequence INTEGER NOT NULL DEFAULT 0 CHECK (next_sequence >= 0);
ALTER TABLE veventqs ADD COLUMN events INTEGER NOT NULL DEFAULT 0;
ALTER TABLE veventqs ADD CONSTRAINT veventqs_events_fit CHECK (events >= 0 AND events <= depth);

-- The queued entries in delivery order (pos: taken under the queue's lock, so increasing per queue).
-- An entry is an event, or the single LOST_EVENTS marker (no data), always at the tail.
-- Queue destroy and context close delete the queue row: its entries go with it.
CREATE TABLE veventq_entries (
    pos          BIGSERIAL PRIMARY KEY,
    context_id   TEXT NOT NULL,
    veventq_id   INTEGER NOT NULL,
    sequence     INTEGER NOT NULL CHECK (sequence >= 0),
    lost_events  BOOLEAN NOT NULL,
    virt_id      BIGINT,
    type         TEXT,
    code         INTEGER,
    addr         BIGINT,
    evt          BIGINT[],
    CHECK (lost_events = (type IS NULL)),
    FOREIGN KEY (context_id, veventq_id) REFERENCES veventqs (context_id, id) ON DELETE CASCADE
);
CREATE INDEX veventq_entries_queue ON veventq_entries (context_id, veventq_id, pos);
CREATE UNIQUE INDEX veventq_entries_one_marker ON veventq_entries (context_id, veventq_id) WHERE lost_events;

-- Highest HW_EVENT envelope sequence applied per (source, key), in the transaction of its entry:
-- a redelivered or replayed record is skipped, also after a restart or a rebalance to a replica.
CREATE TABLE applied_hw_events (
    source         TEXT NOT NULL,
    kafka_key      TEXT NOT NULL,
    last_sequence  BIGINT NOT NULL,
    PRIMARY KEY (source, kafka_key)
);
