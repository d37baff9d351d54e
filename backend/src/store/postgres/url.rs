//! [`PostgresUrl`]: a `postgres://` URL checked at start, shown without its password.

use std::fmt;
use std::str::FromStr;

/// A PostgreSQL connection URL (`postgres://USER:PASSWORD@HOST:PORT/DB`); shown (`Debug`,
/// `Display`, logs, `--print-config`) with its password as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(String);

impl PostgresUrl {
    /// Whether `raw` names PostgreSQL rather than a SQLite file.
    pub fn is_one(raw: &str) -> bool {
        raw.starts_with("postgres://") || raw.starts_with("postgresql://")
    }

    /// A URL the driver can connect with, refused at start rather than at first use.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match tokio_postgres::Config::from_str(raw) {
            Ok(_) if Self::is_one(raw) => Ok(Self(raw.to_owned())),
            Ok(_) => Err("a PostgreSQL URL starts with postgres:// or postgresql://".into()),
            Err(error) => Err(format!("not a PostgreSQL URL: {error}")),
        }
    }

    /// The driver's settings, password included (never to be shown).
    pub fn config(&self) -> Result<tokio_postgres::Config, String> {
        tokio_postgres::Config::from_str(&self.0).map_err(|e| e.to_string())
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (base, query) = self.0.split_once('?').unwrap_or((&self.0, ""));
        // `scheme://user:password@host`: the password (after the first `:`) is hidden.
        let base = match (base.split_once("://"), base.rfind('@')) {
            (Some((scheme, _)), Some(at)) => {
                let user_info = &base[scheme.len() + 3..at];
                let user = user_info
                    .split_once(':')
                    .map_or(user_info, |(user, _)| user);
                let hidden = if user.len() < user_info.len() {
                    ":***"
                } else {
                    ""
                };
                format!("{scheme}://{user}{hidden}{}", &base[at..])
            }
            _ => base.to_owned(),
        };
        f.write_str(&base)?;
        let mut pairs = query.split('&').filter(|pair| !pair.is_empty());
        if let Some(first) = pairs.next() {
            f.write_str("?")?;
            f.write_str(&shown_pair(first))?;
            for pair in pairs {
                write!(f, "&{}", shown_pair(pair))?;
            }
        }
        Ok(())
    }
}

/// A query parameter as shown: `password=***`, everything else as it is.
fn shown_pair(pair: &str) -> String {
    match pair.split_once('=') {
        Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
        _ => pair.to_owned(),
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown() {
        let shown = |raw: &str| PostgresUrl::parse(raw).unwrap().to_string();
        assert_eq!(
            shown("postgres://app:hunter22@db.internal:5432/meetmap"),
            "postgres://app:***@db.internal:5432/meetmap"
        );
        assert_eq!(
            shown("postgresql://app@db/meetmap?password=hunter22&sslmode=disable"),
            "postgresql://app@db/meetmap?password=***&sslmode=disable"
        );
        assert_eq!(shown("postgres://db/meetmap"), "postgres://db/meetmap");
    }

    #[test]
    fn only_postgres_urls_are_taken() {
        assert!(PostgresUrl::parse("postgres://db/meetmap").is_ok());
        assert!(PostgresUrl::parse("host=db dbname=meetmap").is_err());
        assert!(PostgresUrl::parse("postgres://db:notaport/x").is_err());
    }
}
