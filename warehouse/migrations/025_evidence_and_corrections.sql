-- 025: why each document was placed, dated and recognised, and the researcher's corrections.
--
-- documents.*_rule is the rule that decided (self-named opening, session line, children named,
-- site code, header, ... or `correction`), *_evidence the phrase it read (a correction's note),
-- confidence 0..1 over the three; NULL on documents loaded before (reprocess fills them).
-- corrected: a corrections file set the region, plan year or kind (tasks/corrections.py); the row
-- holds the corrected values, and so do its indicators and every view.
ALTER TABLE documents ADD COLUMN region_rule VARCHAR;
ALTER TABLE documents ADD COLUMN region_evidence VARCHAR;
ALTER TABLE documents ADD COLUMN plan_year_rule VARCHAR;
ALTER TABLE documents ADD COLUMN plan_year_evidence VARCHAR;
ALTER TABLE documents ADD COLUMN kind_rule VARCHAR;
ALTER TABLE documents ADD COLUMN kind_evidence VARCHAR;
ALTER TABLE documents ADD COLUMN confidence DOUBLE;
ALTER TABLE documents ADD COLUMN corrected BOOLEAN NOT NULL DEFAULT false;

-- corrections: the corrections file last given to a run (`--corrections`, $GOVREPORTS_CORRECTIONS
-- or ./corrections.csv), kept so that runs without one (a schedule elsewhere) and reprocess apply
-- them too; a run given a file replaces these rows with its rows. `urls`: every copy of the
-- document the row named when it was applied, so it keeps naming that document after its doc_id
-- changes or a not_report correction removed it.
CREATE TABLE corrections (
    match       VARCHAR NOT NULL,  -- a source URL, a file:// URI or a doc_id
    field       VARCHAR NOT NULL,  -- region_code | plan_year | kind
    value       VARCHAR NOT NULL,
    note        VARCHAR NOT NULL,
    urls        VARCHAR[] NOT NULL,
    applied_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (match, field)
);
