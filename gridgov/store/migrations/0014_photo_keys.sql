-- 0014: one photo per upload (gridgov.store.photos). A phone on a flaky network sends a
-- photo again when it never saw the answer; with the Idempotency-Key it sent, the second
-- upload finds the first photo instead of storing it twice. The key is the client's, scoped
-- by the uploader ("role:subject:key"), and unique within its issue: the unique index, not
-- a look-up before the insert, is what keeps two uploads at once to one photo. request_hash
-- (SHA-256 of the uploader and the bytes sent) tells a retry from the same key reused for
-- another photo. Photos stored before this, or sent without a key, have NULLs, which a
-- unique index never counts as equal.
ALTER TABLE issue_photos ADD COLUMN IF NOT EXISTS idempotency_key text;
ALTER TABLE issue_photos ADD COLUMN IF NOT EXISTS request_hash text;
CREATE UNIQUE INDEX IF NOT EXISTS issue_photos_key ON issue_photos (issue_id, idempotency_key);
