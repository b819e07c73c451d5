-- 0005: each list filter with the list's order (newest first, then issue id), so a page of
-- one station's, township's, status's or category's issues reads a page of index entries
-- instead of every matching row sorted (a year of a county is ~100,000 issues). The
-- one-column indexes they extend only slow every write down.
CREATE INDEX issues_status_created ON issues (status, created_at DESC, issue_id);
CREATE INDEX issues_station_created ON issues (station_id, created_at DESC, issue_id);
CREATE INDEX issues_township_created ON issues (township_code, created_at DESC, issue_id);
CREATE INDEX issues_category_created ON issues (category, created_at DESC, issue_id);
DROP INDEX issues_status;
DROP INDEX issues_station;
DROP INDEX issues_township;
