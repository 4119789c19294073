-- The Transport department uploads its GTFS timetable through the same queue as layer files (issue 17).
--
-- A job loads either a layer file or the transit network's timetable (etl/timetable). A timetable job keeps
-- in `layer_slug` the layer whose agency owns the timetable (`transport`), so who may see and write it, and
-- the agency on the job and in the audit log, are decided as for that layer's own uploads.

ALTER TABLE mapserver.jobs
    ADD COLUMN target text NOT NULL DEFAULT 'layer' CHECK (target IN ('layer', 'timetable'));
DROP INDEX mapserver.jobs_layer_idx;
CREATE INDEX jobs_layer_idx ON mapserver.jobs (layer_slug, target, id DESC);
