-- 0011: photos of issues (gridgov.store.photos): the staff copy keeps the camera's EXIF
-- (where it was taken), the public copy has no metadata. Kept in the database, so every
-- server of a county sees every photo without a shared disk.
CREATE TABLE IF NOT EXISTS issue_photos (
    photo_id text PRIMARY KEY,
    issue_id text NOT NULL REFERENCES issues (issue_id),
    created_at timestamptz NOT NULL,
    actor_role text NOT NULL,
    actor_id text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    source_format text NOT NULL,
    staff_bytes integer NOT NULL,
    public_bytes integer NOT NULL,
    lon double precision,
    lat double precision,
    taken_at text NOT NULL,
    staff_jpeg bytea NOT NULL,
    public_jpeg bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS issue_photos_issue ON issue_photos (issue_id, created_at);
