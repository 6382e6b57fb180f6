-- Each live broker's heartbeat: beat_at is set to the database's clock every few seconds. A broker
-- that finds another broker's beat older than its peer timeout closes that broker's RUNNING streams
-- as INTERRUPTED (stream.interrupted), so every stream gets an end even when its broker never comes
-- back. Both times are the database's, so clocks that differ between hosts do not matter.
-- One row per broker identity (broker_id as in streams.broker_id), kept after the broker stops.
-- Portable: H2 and PostgreSQL.
CREATE TABLE broker_heartbeats (
    broker_id       VARCHAR(64)   PRIMARY KEY,
    started_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    beat_at         TIMESTAMP WITH TIME ZONE NOT NULL
);
