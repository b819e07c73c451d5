-- 0010: people's accounts for the screens (gridgov.issues.accounts) and their login
-- sessions. Only an Argon2 hash of each password and a SHA-256 of each session id are kept;
-- a session ends with its account (ON DELETE CASCADE) or at expires_at.
CREATE TABLE IF NOT EXISTS accounts (
    login text PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL,
    subject text NOT NULL,
    phone text NOT NULL DEFAULT '',
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL,
    disabled boolean NOT NULL DEFAULT false,
    failures integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    must_change boolean NOT NULL DEFAULT true
);
CREATE INDEX IF NOT EXISTS accounts_phone ON accounts (phone) WHERE phone <> '';
CREATE INDEX IF NOT EXISTS accounts_name ON accounts (name);
CREATE TABLE IF NOT EXISTS sessions (
    session_hash text PRIMARY KEY,
    login text NOT NULL REFERENCES accounts (login) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);
CREATE INDEX IF NOT EXISTS sessions_login ON sessions (login);
