//! The flags of who may connect and register, into an [`AdmissionConfig`].

use crate::admission::{
    AdmissionConfig, DEFAULT_ALLOWED_ORIGINS, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_IP, DEFAULT_SESSION_TTL, MissingOrigin, Secret,
};
use std::net::IpAddr;
use std::time::Duration;

/// The caps, origins, proxies and registering rules, from the command line.
#[derive(Debug, clap::Args)]
pub struct AdmissionArgs {
    /// Origins whose pages may connect, comma-separated (scheme://host[:port]); `*` allows
    /// any page. The default is the frontend's own origins.
    #[arg(
        long,
        env = "MEETMAP_ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = DEFAULT_ALLOWED_ORIGINS
    )]
    pub allowed_origins: Vec<String>,
    /// Requests without an Origin header (not from a browser page: browsers always send
    /// one, so such a request is no cross-site hijacking): allow or deny.
    #[arg(long, env = "MEETMAP_MISSING_ORIGIN", value_enum, default_value_t = MissingOrigin::Allow)]
    pub missing_origin: MissingOrigin,
    /// Connections open at once, handshakes included; more get 503. 0 is as many as the
    /// open-file limit allows. Always lowered to fit the open-file limit (raised to its
    /// hard limit at start) less 320 descriptors for the files, the listener and refusals
    /// in flight.
    #[arg(long, env = "MEETMAP_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Connections open at once from one IP address (an IPv6 /64 counts as one); more get
    /// 503. 0 is no cap. Behind a reverse proxy named in --trusted-proxies it counts the
    /// client the proxy's X-Forwarded-For names.
    #[arg(long, env = "MEETMAP_MAX_CONNECTIONS_PER_IP", default_value_t = DEFAULT_MAX_CONNECTIONS_PER_IP)]
    pub max_connections_per_ip: usize,
    /// Addresses of reverse proxies in front of the server, comma-separated: for a
    /// connection from one of them, the client's address (for the delays after failed
    /// sign-ins and the per-address cap) is read from X-Forwarded-For. None by default.
    #[arg(long, env = "MEETMAP_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
    /// Access code registering needs (a private deployment); none by default.
    #[arg(long, env = "MEETMAP_ACCESS_CODE", hide_env_values = true)]
    pub access_code: Option<Secret>,
    /// Seconds a session token is good for, and a device left unused keeps its claim on its
    /// email (each registration renews both).
    #[arg(long, env = "MEETMAP_SESSION_TTL_SECS", default_value_t = DEFAULT_SESSION_TTL.as_secs())]
    pub session_ttl_secs: u64,
    /// No claims on emails: any connection may register as any email, online or not,
    /// without a session token, as the seed did (its clients get no token and open several
    /// tabs): trusted networks only.
    #[arg(long, env = "MEETMAP_ALLOW_SHARED_EMAILS")]
    pub allow_shared_emails: bool,
}

impl AdmissionArgs {
    /// The config these flags give, with a random session key (`Args::session_key` gives
    /// the deployment's).
    pub fn config(&self) -> AdmissionConfig {
        AdmissionConfig {
            allowed_origins: self
                .allowed_origins
                .iter()
                .map(|origin| origin.trim().to_owned())
                .filter(|origin| !origin.is_empty())
                .collect(),
            missing_origin: self.missing_origin,
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            trusted_proxies: self.trusted_proxies.clone(),
            access_code: self.access_code.clone(),
            session_ttl: Duration::from_secs(self.session_ttl_secs.max(1)),
            allow_shared_emails: self.allow_shared_emails,
            ..AdmissionConfig::default()
        }
    }
}
