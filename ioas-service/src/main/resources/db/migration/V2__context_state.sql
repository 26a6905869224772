-- Each context's objects are stored as one document, changed under the row lock of the context
-- (SELECT … FOR UPDATE), so every call is atomic and contexts never block each other.
DROP TABLE objects;
ALTER TABLE contexts DROP COLUMN next_id;
ALTER TABLE contexts DROP COLUMN rlimit_mode;
ALTER TABLE contexts ADD COLUMN state TEXT NOT NULL DEFAULT '{}';

-- A device is bound to at most one context at a time, across all contexts.
CREATE TABLE bound_devices (
    rid         TEXT PRIMARY KEY,
    context_id  TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
    device_id   INTEGER NOT NULL
);

-- Host physical memory handed to MEMORY objects: a bump allocator (the space is 2^64, never reused).
CREATE TABLE host_memory (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    next_pa  BIGINT NOT NULL
);
INSERT INTO host_memory (id, next_pa) VALUES (1, 4294967296);
