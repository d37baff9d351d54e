//! The claims' tables in PostgreSQL, one step per version (run by
//! `store::postgres::migrate` as the part `claims`).

pub(super) const STEPS: &[&str] = &[
    "
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
    CREATE INDEX link_codes_by_email ON link_codes (email);",
    CLAIM_FUNCTION,
];

/// Version 2: a claim in one round trip. The function takes the skeleton's advisory lock
/// first; each statement after it reads a fresh snapshot (a volatile PL/pgSQL function in
/// READ COMMITTED), so it sees a claim another node committed while it waited.
const CLAIM_FUNCTION: &str = "
    CREATE FUNCTION meetmap_claim(p_email text, p_skeleton text, p_device text,
                                  p_now int8, p_cutoff int8)
    RETURNS TABLE (outcome text, existing text) LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
        other text;
    BEGIN
        PERFORM pg_advisory_xact_lock(1, hashtext(p_skeleton));
        IF EXISTS (SELECT 1 FROM claim_devices d
                   WHERE d.email = p_email AND d.last_used_ms > p_cutoff) THEN
            RETURN QUERY SELECT 'taken'::text, NULL::text;
            RETURN;
        END IF;
        SELECT i.email INTO other FROM identities i
        WHERE i.skeleton = p_skeleton AND i.email <> p_email LIMIT 1;
        IF other IS NOT NULL THEN
            RETURN QUERY SELECT 'confusable'::text, other;
            RETURN;
        END IF;
        INSERT INTO claim_devices AS d (email, device, created_ms, last_used_ms)
        VALUES (p_email, p_device, p_now, p_now) ON CONFLICT DO NOTHING;
        INSERT INTO identities AS i (email, skeleton, last_seen_ms)
        VALUES (p_email, p_skeleton, p_now)
        ON CONFLICT ON CONSTRAINT identities_pkey DO UPDATE SET last_seen_ms = p_now;
        RETURN QUERY SELECT 'new'::text, NULL::text;
    END
    $$;";

/// A claim of `$1` (skeleton `$2`) for the new device `$3` at `$4`, devices used after `$5`
/// holding it: `new`, `taken`, or `confusable` with the existing email.
pub(super) const CLAIM: &str = "SELECT outcome, existing FROM meetmap_claim($1, $2, $3, $4, $5)";

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
