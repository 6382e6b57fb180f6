-- The whole store: catalog, grants, streams and the audit log. Portable SQL: the same file
-- runs on H2 (embedded default) and PostgreSQL.

CREATE TABLE datasets (
    id              VARCHAR(64)   PRIMARY KEY,
    name            VARCHAR(200)  NOT NULL,
    description     VARCHAR(4000) NOT NULL,
    organisation    VARCHAR(200)  NOT NULL,
    source_type     VARCHAR(32)   NOT NULL,
    source_path     VARCHAR(1000),
    -- Connector options as the owner gave them (CSV parsing, a JDBC URL and credentials): never
    -- returned by the API except redacted.
    source_options  VARCHAR       NOT NULL,
    version         VARCHAR(64)   NOT NULL,
    schema_json     VARCHAR       NOT NULL,
    row_count       BIGINT,
    policy_json     VARCHAR       NOT NULL,
    policy_version  INTEGER       NOT NULL,
    subject_column  VARCHAR(200),
    registered_at   TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Every version of every policy: a grant names the version it was decided under.
CREATE TABLE policies (
    dataset_id      VARCHAR(64)   NOT NULL REFERENCES datasets (id),
    version         INTEGER       NOT NULL,
    policy_json     VARCHAR       NOT NULL,
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (dataset_id, version)
);

-- Subjects who withdrew consent: excluded from every later stream of the dataset.
CREATE TABLE opt_outs (
    dataset_id      VARCHAR(64)   NOT NULL REFERENCES datasets (id),
    subject_id      VARCHAR(200)  NOT NULL,
    added_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (dataset_id, subject_id)
);

CREATE TABLE grants (
    id              VARCHAR(64)   PRIMARY KEY,
    dataset_id      VARCHAR(64)   NOT NULL REFERENCES datasets (id),
    subject         VARCHAR(200)  NOT NULL,
    organisation    VARCHAR(200)  NOT NULL,
    purpose         VARCHAR(200)  NOT NULL,
    project         VARCHAR(200)  NOT NULL,
    roles_json      VARCHAR       NOT NULL,
    columns_json    VARCHAR       NOT NULL,
    transforms_json VARCHAR       NOT NULL,
    policy_version  INTEGER       NOT NULL,
    max_streams     BIGINT,
    issued_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    revoked_at      TIMESTAMP WITH TIME ZONE
);

CREATE TABLE streams (
    id              VARCHAR(64)   PRIMARY KEY,
    grant_id        VARCHAR(64)   NOT NULL REFERENCES grants (id),
    subject         VARCHAR(200)  NOT NULL,
    organisation    VARCHAR(200)  NOT NULL,
    shard           INTEGER       NOT NULL,
    shards          INTEGER       NOT NULL,
    epoch           INTEGER       NOT NULL,
    status          VARCHAR(16)   NOT NULL,
    row_count       BIGINT        NOT NULL,
    rows_in         BIGINT        NOT NULL,
    batch_count     BIGINT        NOT NULL,
    byte_count      BIGINT        NOT NULL,
    sha256          VARCHAR(64),
    opened_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    closed_at       TIMESTAMP WITH TIME ZONE
);

-- The audit log: one row per leaf of an RFC 9162 Merkle tree. record_json is the leaf's exact
-- bytes (RFC 8785 canonical JSON, UTF-8); leaf_hash = SHA-256(0x00 || record bytes). Indexes are
-- taken from audit_head, whose single row every appending transaction locks, so the order is
-- total and gap-free across brokers sharing one database (a sequence would leave gaps).
CREATE TABLE audit_log (
    idx             BIGINT        PRIMARY KEY,
    recorded_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    action          VARCHAR(64)   NOT NULL,
    dataset_id      VARCHAR(64),
    organisation    VARCHAR(200),
    subject         VARCHAR(200),
    purpose         VARCHAR(200),
    record_json     VARCHAR       NOT NULL,
    leaf_hash       VARCHAR(64)   NOT NULL
);

CREATE TABLE audit_head (
    id              INTEGER       PRIMARY KEY,
    next_index      BIGINT        NOT NULL
);
INSERT INTO audit_head (id, next_index) VALUES (1, 0);

-- Signed tree heads (C2SP tlog-checkpoint notes), at most one per tree size.
CREATE TABLE audit_checkpoints (
    tree_size       BIGINT        PRIMARY KEY,
    root_hash       VARCHAR(64)   NOT NULL,
    note            VARCHAR       NOT NULL,
    signed_at       TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE INDEX audit_log_dataset ON audit_log (dataset_id, idx);
CREATE INDEX audit_log_action ON audit_log (action, idx);
CREATE INDEX grants_dataset ON grants (dataset_id);
CREATE INDEX streams_grant ON streams (grant_id);
