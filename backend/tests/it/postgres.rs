//! A real PostgreSQL server for the tests that need one: Debian's `postgres`, on a free
//! port, in a temporary folder, run as the `postgres` user when the tests run as root
//! (PostgreSQL refuses root), stopped when dropped. The cluster is made once per test
//! binary by `initdb` into a template folder and copied for each server, so a server
//! starts in well under a second.

use super::harness::PATIENCE;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use tempfile::TempDir;
use tokio::time::Instant;

/// The role the tests connect as (a superuser, trusted on loopback).
pub const ROLE: &str = "meetmap";

/// A running server. Each test makes its own databases in it ([`Postgres::database`]).
pub struct Postgres {
    child: Option<Child>,
    pub port: u16,
    folder: TempDir,
    /// Its TCP connections must be TLS ([`Postgres::start_with_tls`]).
    tls: bool,
}

impl Postgres {
    /// Starts a server on a free port (another one if that port was taken meanwhile).
    pub async fn start() -> Postgres {
        for _ in 0..5 {
            let folder = copy_of_template();
            let mut server = Postgres {
                child: None,
                port: free_port(),
                folder,
                tls: false,
            };
            if server.spawn().await {
                return server;
            }
            server.stop();
        }
        panic!("postgres did not start on any free port");
    }

    /// Starts a server on `port`: for a test that names the port to a backend before the
    /// server exists. Panics, with the server's log, if it does not start.
    pub async fn start_on(port: u16) -> Postgres {
        let mut server = Postgres {
            child: None,
            port,
            folder: copy_of_template(),
            tls: false,
        };
        assert!(server.spawn().await, "postgres on {port}: {}", server.log());
        server
    }

    /// Starts a server whose TCP connections must be TLS (`hostssl`; plain ones are
    /// rejected), its certificate for `127.0.0.1` and `localhost` signed by a CA made for
    /// it; returns the server and that CA's certificate, the one a client is to trust.
    pub async fn start_with_tls() -> (Postgres, PathBuf) {
        let folder = copy_of_template();
        let ca = make_certificates(folder.path());
        std::fs::write(
            folder.path().join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 trust\n\
             hostnossl all all 127.0.0.1/32 reject\n",
        )
        .expect("write pg_hba.conf");
        give_to_postgres(folder.path());
        let mut server = Postgres {
            child: None,
            port: free_port(),
            folder,
            tls: true,
        };
        assert!(server.spawn().await, "postgres with TLS: {}", server.log());
        (server, ca)
    }

    /// A free port for [`Postgres::start_on`].
    pub fn free_port() -> u16 {
        free_port()
    }

    /// `postgres://meetmap@127.0.0.1:PORT/NAME`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{ROLE}@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates the database `name` (empty) and returns its URL.
    pub fn database(&self, name: &str) -> String {
        let status = Command::new(pg_bin("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                ROLE,
                name,
            ])
            .stdin(Stdio::null())
            .status()
            .expect("run createdb");
        assert!(status.success(), "createdb {name}");
        self.url(name)
    }

    async fn spawn(&mut self) -> bool {
        let data = self.folder.path().join("data");
        let mut command = Command::new(pg_bin("postgres"));
        command
            .arg("-D")
            .arg(&data)
            .args([
                "-p",
                &self.port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
            ])
            .arg("-c")
            .arg(format!(
                "unix_socket_directories={}",
                self.folder.path().display()
            ))
            // The tests need no durability: nothing survives the folder.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
            .args(self.tls_settings())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file(self.folder.path())));
        as_postgres_user(&mut command);
        self.child = Some(
            command
                .spawn()
                .expect("start postgres (apt install postgresql)"),
        );
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if self.answers() {
                return true;
            }
            if let Some(child) = &mut self.child
                && child.try_wait().ok().flatten().is_some()
            {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    /// The settings of a server that takes TLS only (none for another).
    fn tls_settings(&self) -> Vec<String> {
        if !self.tls {
            return Vec::new();
        }
        let file = |name: &str| self.folder.path().join(name).display().to_string();
        [
            "ssl=on".to_owned(),
            format!("ssl_cert_file={}", file("server.crt")),
            format!("ssl_key_file={}", file("server.key")),
            format!("hba_file={}", file("pg_hba.conf")),
        ]
        .into_iter()
        .flat_map(|setting| ["-c".to_owned(), setting])
        .collect()
    }

    /// Whether the server accepts connections now.
    fn answers(&self) -> bool {
        Command::new(pg_bin("pg_isready"))
            .args([
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                ROLE,
            ])
            .stdin(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Stops the server and starts it again on the same port and data (an outage);
    /// whether it answers again (used by the chat store's own tests).
    #[allow(dead_code)]
    pub async fn restart(&mut self) -> bool {
        self.stop();
        self.spawn().await
    }

    /// The server's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("postgres.log")).unwrap_or_default()
    }

    /// Stops the server (fast shutdown, then SIGKILL if it lingers).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where Debian puts the server's programs (`/usr/lib/postgresql/<version>/bin`, the
/// newest), or `PG_BIN`.
fn pg_bin(program: &str) -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("PG_BIN") {
            return PathBuf::from(bin);
        }
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is installed (apt install postgresql)")
            .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
            .filter(|bin| bin.join("postgres").exists())
            .collect();
        versions.sort_by_key(|bin| {
            bin.parent()
                .and_then(|version| version.file_name()?.to_str()?.parse::<u32>().ok())
        });
        versions
            .pop()
            .expect("a PostgreSQL version in /usr/lib/postgresql")
    });
    bin.join(program)
}

/// The user and group the server runs as: `postgres` when the tests run as root, else
/// whoever runs them.
fn postgres_ids() -> Option<(u32, u32)> {
    if current_uid() != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&"postgres"))
            .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
            .flatten()
    })
}

fn current_uid() -> u32 {
    std::fs::metadata("/proc/self")
        .map(|meta| std::os::unix::fs::MetadataExt::uid(&meta))
        .unwrap_or(u32::MAX)
}

fn as_postgres_user(command: &mut Command) {
    if let Some((uid, gid)) = postgres_ids() {
        std::os::unix::process::CommandExt::uid(command, uid);
        std::os::unix::process::CommandExt::gid(command, gid);
    }
}

/// Hands `path` and everything under it to the server's user.
fn give_to_postgres(path: &Path) {
    if let Some((uid, gid)) = postgres_ids() {
        let status = Command::new("chown")
            .args(["-R", &format!("{uid}:{gid}")])
            .arg(path)
            .status()
            .expect("run chown");
        assert!(status.success(), "chown {}", path.display());
    }
}

/// Makes in `folder` a CA (`ca.crt`) and a server certificate it signed (`server.crt`,
/// `server.key`, for `127.0.0.1` and `localhost`) with openssl; returns the CA's path.
fn make_certificates(folder: &Path) -> PathBuf {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .current_dir(folder)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run openssl (apt install openssl)");
        assert!(status.success(), "openssl {args:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=meetmap test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(
        folder.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .expect("write the extensions");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.crt",
    ]);
    let key = folder.join("server.key");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("the key's mode");
    folder.join("ca.crt")
}

/// A fresh folder holding a copy of the template cluster in `data/`.
fn copy_of_template() -> TempDir {
    let folder = tempfile::tempdir().expect("temporary folder");
    let status = Command::new("cp")
        .arg("-a")
        .arg(template())
        .arg(folder.path().join("data"))
        .status()
        .expect("run cp");
    assert!(status.success(), "copy the template cluster");
    give_to_postgres(folder.path());
    folder
}

/// The cluster `initdb` made once per machine and PostgreSQL version (role [`ROLE`],
/// trust on loopback): a cache in the temporary directory, made in a folder of its own
/// and renamed into place, so concurrent test binaries never see half of one.
fn template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let version = pg_bin("postgres")
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .map_or_else(|| "pg".into(), |name| name.to_string_lossy().into_owned());
        let cached = std::env::temp_dir().join(format!("meetmap-pg-template-{version}"));
        if cached.join("data/PG_VERSION").exists() {
            return cached.join("data");
        }
        let made = tempfile::Builder::new()
            .prefix("meetmap-pg-making-")
            .tempdir()
            .expect("temporary folder for the template")
            .keep();
        give_to_postgres(&made);
        let mut command = Command::new(pg_bin("initdb"));
        command
            .arg("-D")
            .arg(made.join("data"))
            .args(["-U", ROLE, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
            .args(["--no-sync", "--no-instructions"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file(&made)));
        as_postgres_user(&mut command);
        let status = command.status().expect("run initdb");
        assert!(
            status.success(),
            "initdb (see {}/postgres.log)",
            made.display()
        );
        // Another binary may have won the race: then its template is used and ours goes.
        if std::fs::rename(&made, &cached).is_err() {
            let _ = std::fs::remove_dir_all(&made);
        }
        cached.join("data")
    })
}

fn log_file(folder: &Path) -> std::fs::File {
    let path = folder.join("postgres.log");
    let file = std::fs::File::create(&path).expect("create the server's log");
    give_to_postgres(&path);
    file
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind port 0");
    listener.local_addr().expect("address").port()
}

/// The harness itself: a server starts, takes a database and answers on it.
#[tokio::test]
async fn a_server_starts_and_makes_a_database() {
    let server = Postgres::start().await;
    let url = server.database("harness");
    assert!(url.ends_with("/harness"), "{url}");
    let listed = Command::new(pg_bin("psql"))
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &server.port.to_string(),
            "-U",
            ROLE,
        ])
        .args(["-d", "harness", "-tAc", "select current_database()"])
        .output()
        .expect("run psql");
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).trim(),
        "harness",
        "{}",
        server.log()
    );
}
