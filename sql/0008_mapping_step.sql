-- The web area's mapping step and the agencies' import profiles (issue 16 items 3 and 8).
--
-- An upload whose columns or category values do not all match stops in `needs_mapping`, its survey
-- (etl/survey.py) on the job and its file kept until the clerk gives the mapping (the worker fails and
-- cleans up such a job after JOB_MAPPING_KEEP_S). Each load's rejected rows are kept as a gzipped CSV on
-- its job: the upload folder is gone once the job ends, and any app node may serve the download.

ALTER TABLE mapserver.jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE mapserver.jobs ADD CONSTRAINT jobs_state_check
    CHECK (state IN ('queued', 'running', 'done', 'failed', 'needs_mapping'));
ALTER TABLE mapserver.jobs
    ADD COLUMN survey       jsonb,
    ADD COLUMN rejected_csv bytea;  -- gzip of etl/rejected.py's CSV
CREATE INDEX jobs_needs_mapping_idx ON mapserver.jobs (finished_at) WHERE state = 'needs_mapping';

-- How an agency's files name a layer's fields and categories, applied under each upload's own mapping.
-- `field_columns`: field -> column; `value_codes`: field -> {value as written: code};
-- `ignored_columns`: columns the agency's files carry that are not loaded.
CREATE TABLE mapserver.import_profiles (
    agency_id        integer NOT NULL REFERENCES mapserver.agencies (id),
    layer_slug       text NOT NULL REFERENCES mapserver.layers (slug),
    field_columns    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(field_columns) = 'object'),
    value_codes      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(value_codes) = 'object'),
    ignored_columns  jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(ignored_columns) = 'array'),
    updated_by       text NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, layer_slug)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON mapserver.import_profiles TO mapserver_app;
