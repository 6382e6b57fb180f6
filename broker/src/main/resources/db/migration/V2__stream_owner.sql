-- Which broker opened a stream, so that a broker starting after a crash closes only the streams it
-- left running (status INTERRUPTED), never those another broker on a shared database is serving.
-- Streams opened before this migration have no owner (NULL). Portable: H2 and PostgreSQL.
ALTER TABLE streams ADD COLUMN broker_id VARCHAR(64);
CREATE INDEX streams_broker_status ON streams (broker_id, status);
