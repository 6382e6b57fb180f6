-- The owner's and the consumer's management API. Portable: H2 and PostgreSQL.
--
-- A withdrawn dataset keeps its row (grants, streams and audit records name it) and its data (the
-- broker never touches an owner's files); withdrawn_at hides it from the catalog and refuses new grants.
ALTER TABLE datasets ADD COLUMN withdrawn_at TIMESTAMP WITH TIME ZONE;
-- Names are unique per organisation among datasets not withdrawn. The rule is checked in code, inside
-- the transaction that inserts the dataset (under the audit log's lock), not by a unique index: a store
-- may already hold duplicates from before the rule, and this migration must not fail on them.
CREATE INDEX datasets_name ON datasets (organisation, name);

-- Why a grant was revoked (a policy change, the dataset's withdrawal, its owner, its holder giving it up),
-- for the holder's and the owner's listings; the grant.revoked record says who.
ALTER TABLE grants ADD COLUMN revoked_reason VARCHAR(2000);
-- A consumer lists its own grants newest first.
CREATE INDEX grants_holder ON grants (organisation, subject, issued_at);

-- Each policy version's subject column (a new version may set or change it) and who made the version.
-- Versions from before this migration had the dataset's registered subject column (it could not change);
-- who made them is in the audit log (dataset.registered, policy.changed) and left NULL here.
ALTER TABLE policies ADD COLUMN subject_column VARCHAR(200);
ALTER TABLE policies ADD COLUMN changed_by_subject VARCHAR(200);
ALTER TABLE policies ADD COLUMN changed_by_organisation VARCHAR(200);
UPDATE policies SET subject_column = (SELECT d.subject_column FROM datasets d WHERE d.id = policies.dataset_id);
