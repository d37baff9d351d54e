//! `--database`: a SQLite file (the embedded default) or a PostgreSQL URL that several
//! nodes share.

use crate::store::postgres::PostgresUrl;
use std::path::{Path, PathBuf};

/// Where users and claims are kept.
#[derive(Debug, Clone)]
pub enum Database {
    /// A SQLite file of this node's own (the claims and chat files beside it).
    Sqlite(PathBuf),
    /// A PostgreSQL database, shared by every node that names it.
    Postgres(PostgresUrl),
}

/// The embedded default.
pub const DEFAULT_DATABASE: &str = "data/meetmap.sqlite3";

impl Database {
    /// A `postgres://` or `postgresql://` URL, else a SQLite file's path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match PostgresUrl::is_one(raw) {
            true => PostgresUrl::parse(raw).map(Database::Postgres),
            false => Ok(Database::Sqlite(PathBuf::from(raw))),
        }
    }

    /// The SQLite file, unless the database is PostgreSQL.
    pub fn sqlite_file(&self) -> Option<&Path> {
        match self {
            Database::Sqlite(path) => Some(path),
            Database::Postgres(_) => None,
        }
    }

    /// What the logs call it (a URL without its password).
    pub fn shown(&self) -> String {
        match self {
            Database::Sqlite(path) => format!("sqlite file {}", path.display()),
            Database::Postgres(url) => format!("postgres {url}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Args;
    use clap::Parser;

    #[test]
    fn a_path_is_sqlite_and_a_url_is_postgres() {
        let args = Args::parse_from(["backend"]);
        assert_eq!(args.users_file(), Some(Path::new(DEFAULT_DATABASE)));
        let args = Args::parse_from(["backend", "--database", "postgresql://db/meetmap"]);
        assert!(args.postgres().is_some() && args.users_file().is_none());
        assert_eq!(args.data_dir(), PathBuf::from("data"));
        assert!(Args::try_parse_from(["backend", "--database", "postgres://db:x/m"]).is_err());
    }

    #[test]
    fn the_database_password_is_never_shown() {
        let url = "postgres://meetmap:hunter22@db.internal:5432/meetmap";
        let args = Args::parse_from(["backend", "--database", url]);
        let printed = args.printed();
        assert!(!printed.contains("hunter22"), "{printed}");
        assert!(printed.contains("postgres://meetmap:***@db.internal:5432/meetmap"));
        assert!(!args.database.shown().contains("hunter22"));
    }
}
