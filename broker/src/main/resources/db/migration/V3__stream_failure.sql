-- Why an aborted stream stopped, for its holder (GET /v1/streams/{id}): the stream.aborted record's
-- message, and the kind of cause (SOURCE, CLIENT, REVOKED, SHUTDOWN, ERROR) a client decides on,
-- e.g. not to retry a stream whose source is corrupt. NULL for streams that completed, are still
-- running, or ended before this migration. Portable: H2 and PostgreSQL.
ALTER TABLE streams ADD COLUMN message VARCHAR(2000);
ALTER TABLE streams ADD COLUMN failure VARCHAR(16);
