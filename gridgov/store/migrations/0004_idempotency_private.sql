-- 0004: idempotency records keep no trace of the reporter. Until now request_hash was a
-- SHA-256 of the whole request, the reporter's name and phone included: anyone holding the
-- database could confirm who filed an "anonymous" complaint by hashing a guess. gridgov now
-- stores an HMAC (under a key kept outside the database) of the request without personal
-- fields, and deletes records past their lifetime; the old records cannot be kept.
DELETE FROM idempotency;
-- The tracking-token secret was kept here, beside the data it protects: whoever could read
-- the database could compute every resident's token. It now lives outside (GRIDGOV_SECRET or
-- the secret file of the settings); the stored one must not survive.
DELETE FROM meta WHERE key = 'secret';
CREATE INDEX idempotency_created ON idempotency (created_at);
