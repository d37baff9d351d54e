//! The claims' tables in PostgreSQL, one step per version (run by
//! `store::postgres::migrate` as the part `claims`).

pub(super) const STEPS: &[&str] = &["
    CREATE TABLE claim_devices (
        email text NOT NULL,
        device text NOT NULL,
        created_ms int8 NOT NULL,
        last_used_ms int8 NOT NULL,
        PRIMARY KEY (email, device)
    );
    CREATE TABLE identities (
        email text PRIMARY KEY,
        skeleton text NOT NULL,
        last_seen_ms int8 NOT NULL
    );
    CREATE INDEX identities_by_skeleton ON identities (skeleton);
    CREATE TABLE link_codes (
        code_hash bytea PRIMARY KEY,
        email text NOT NULL,
        expires_ms int8 NOT NULL
    );
    CREATE INDEX link_codes_by_email ON link_codes (email);"];

/// Whether a live device holds `$1` (last used after `$2`), and another known email with
/// the skeleton `$3`, in one round trip.
pub(super) const CHECK: &str = "
    SELECT EXISTS (SELECT 1 FROM claim_devices WHERE email = $1 AND last_used_ms > $2),
           (SELECT email FROM identities WHERE skeleton = $3 AND email <> $1 LIMIT 1)";

/// A new device `$2` of `$1` made at `$4`, and the email noted with its skeleton `$3`.
pub(super) const ADD_DEVICE: &str = "
    WITH device AS (
        INSERT INTO claim_devices (email, device, created_ms, last_used_ms)
        VALUES ($1, $2, $4, $4) ON CONFLICT DO NOTHING
    )
    INSERT INTO identities (email, skeleton, last_seen_ms) VALUES ($1, $3, $4)
    ON CONFLICT (email) DO UPDATE SET last_seen_ms = excluded.last_seen_ms";

pub(super) const NOTE_IDENTITY: &str = "
    INSERT INTO identities (email, skeleton, last_seen_ms) VALUES ($1, $2, $3)
    ON CONFLICT (email) DO UPDATE SET last_seen_ms = excluded.last_seen_ms";

/// Serialises the claims of one skeleton across every node until the transaction ends:
/// two nodes cannot both claim an email, nor two lookalikes, at the same moment.
pub(super) const LOCK_SKELETON: &str = "SELECT pg_advisory_xact_lock(1, hashtext($1))";

/// Whether device `$2` of `$1` is live (used after `$3`); its last use set to `$4` when it
/// is older than `$5` (so most sign-ins write nothing).
pub(super) const TOUCH: &str = "
    WITH live AS (
        SELECT last_used_ms FROM claim_devices
        WHERE email = $1 AND device = $2 AND last_used_ms > $3
    ), touched AS (
        UPDATE claim_devices SET last_used_ms = $4
        WHERE email = $1 AND device = $2 AND last_used_ms > $3 AND last_used_ms <= $5
    )
    SELECT count(*) FROM live";
