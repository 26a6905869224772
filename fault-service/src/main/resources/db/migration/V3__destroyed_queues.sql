-- Queues destroyed in this deployment (until their context closes): a page request still in
-- flight for one is answered INVALID. A request for a queue never known here (another
-- deployment's context on a shared broker, or an old run's record read by a new consumer group)
-- is not this deployment's to answer and is dropped.
CREATE TABLE destroyed_queues (
    context_id  TEXT NOT NULL,
    id          INTEGER NOT NULL,
    PRIMARY KEY (context_id, id)
);
