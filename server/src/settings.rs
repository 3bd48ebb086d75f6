//! Server settings: defaults, then an optional TOML file, then `CARTABLE_*` variables.

use cartable_reconcile::validate::Limits;
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Folder for the SQLite database and files.
    pub data_dir: PathBuf,
    /// `postgres://...` to use PostgreSQL; the embedded SQLite in `data_dir` otherwise.
    pub database_url: Option<String>,
    /// Largest accepted sync request body, in bytes.
    pub max_sync_body_bytes: usize,
    /// Most documents one sync request may name.
    pub max_docs_per_sync: usize,
    /// Login attempts allowed per login name (or per known device) in `login_window_secs`.
    pub login_attempts: u32,
    pub login_window_secs: u64,
    /// Failed login attempts allowed per client address in `login_window_secs`.
    pub login_ip_attempts: u32,
    /// Addresses (or CIDR ranges) of reverse proxies whose `client_ip_header` is believed.
    pub trusted_proxies: Vec<String>,
    /// Header in which a trusted proxy gives the client's address (`X-Forwarded-For` style).
    pub client_ip_header: String,
    /// A parent's device session ends after this long unused, and this long after login.
    pub family_session_idle_secs: u64,
    pub family_session_max_secs: u64,
    /// The same for staff sessions (shorter: shared office computers).
    pub staff_session_idle_secs: u64,
    pub staff_session_max_secs: u64,
    /// Incremental chunks a document may have before it is compacted into a snapshot.
    pub compaction_threshold: i64,
    /// Estimated memory, in bytes, of the documents kept loaded; beyond it the least
    /// recently used idle ones are evicted (`CARTABLE_DOC_CACHE_BYTES`, default 96 MiB).
    /// Each document is charged an estimate from its operations and stored size
    /// (`docs::cache::estimated_bytes`). Replaces the former count, `doc_cache_capacity`.
    ///
    /// The default holds the documents of about 1,600 families early in the year (a planning
    /// of a few dozen bookings, a dossier and a ledger, repacked: 1,000 such families were
    /// charged 60 MB), so that a town of 1,000 families all syncing on a Sunday evening
    /// reloads nothing, and leaves room for the rest of the server within 256 MB at 10,000
    /// families. 160 MiB, the default before the
    /// cache's estimates were fitted to repacked documents, took the server's own memory to
    /// 308 MB at 10,000 families (see `docs/BENCHMARKS.md`, "Memory of a loaded document").
    pub doc_cache_bytes: usize,
    /// Syncs that may write a document at once (`CARTABLE_SYNC_WRITERS`, default 128, twice
    /// the group commit's largest batch). A writing sync keeps its document in memory until
    /// its commit, outside `doc_cache_bytes`; the others wait for a turn with nothing loaded
    /// (see `docs::writers`).
    pub sync_writers: usize,
    /// Connections to the database.
    pub db_max_connections: u32,
    /// Largest accepted supporting document (PDF, JPEG, PNG), in bytes.
    pub max_document_bytes: usize,
    /// Most bytes of supporting documents one family may store, all together.
    pub family_documents_quota_bytes: u64,
    /// Most Automerge changes one sync request may bring, all documents together.
    pub max_changes_per_sync: usize,
    /// Most Automerge operations one sync request may bring, all documents together.
    pub max_ops_per_sync: usize,
    /// Longest text value or map key a device may write, in bytes (UTF-8).
    pub max_string_bytes: usize,
    /// Most items of a list in a synced document (e.g. a child's allergies).
    pub max_list_items: usize,
    /// Most keys of a map in a synced document (e.g. cells of a planning).
    pub max_map_keys: usize,
    /// Most changes of one device and document held while their dependencies are awaited.
    pub max_orphan_changes: usize,
    /// Time a request may take to arrive and be answered, in seconds.
    pub request_timeout_secs: u64,
    /// The same for a request sending a large body (a file from a phone on a slow network).
    pub upload_timeout_secs: u64,
    /// Longest pause while a request body arrives, in seconds.
    pub body_idle_timeout_secs: u64,
    /// Push: run the sending worker in this process.
    pub push_worker: bool,
    /// Push: how often the worker looks for due messages when nothing woke it (ms).
    pub push_poll_ms: u64,
    /// Push: deliveries claimed per round, and sent at once.
    pub push_batch: i64,
    pub push_concurrency: usize,
    /// Push: a claimed delivery not marked within this time is sent again (seconds).
    pub push_lease_secs: u64,
    /// Push: first retry delay and longest delay between retries (ms).
    pub push_retry_base_ms: u64,
    pub push_retry_max_ms: u64,
    /// Push: time allowed for one push service request (seconds).
    pub push_request_timeout_secs: u64,
    /// Push: the VAPID contact push services may use (`mailto:` or `https:`).
    pub push_contact: String,
    /// Push: accept `http://` endpoints (tests and local push services only).
    pub push_allow_http_endpoints: bool,
    /// Push: remind families this many days before a document's validity ends.
    pub push_expiry_notice_days: i64,
    /// Monthly run: families numbered and stored per transaction (at least 1). Their PDFs and
    /// ledgers are made while the next batches are numbered.
    pub invoice_batch: usize,
    /// Admin page: mark its session cookie `Secure` (set it when the server is reached over
    /// TLS, directly or through a reverse proxy).
    pub admin_secure_cookie: bool,
    /// Retention periods in days (CNIL), applied by `admin purge` and the daily purge (see
    /// `crate::retention`): health data and health documents of a child after its last day,
    /// other supporting documents after the family's last day, attendance and plannings after
    /// the day (the school year's end for plannings), the audit log, the rest of a family's
    /// data after its last day (the family is then erased), invoices and payments.
    pub retention: crate::retention::Periods,
    /// Run the purge once a day in the server process.
    pub retention_daily: bool,
}

const DAY: u64 = 24 * 60 * 60;

impl Default for Settings {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("cartable-data"),
            database_url: None,
            max_sync_body_bytes: 8 * 1024 * 1024,
            max_docs_per_sync: 64,
            login_attempts: 5,
            login_window_secs: 60,
            login_ip_attempts: 50,
            trusted_proxies: Vec::new(),
            client_ip_header: "x-forwarded-for".to_string(),
            family_session_idle_secs: 90 * DAY,
            family_session_max_secs: 365 * DAY,
            staff_session_idle_secs: 30 * 60,
            staff_session_max_secs: 12 * 60 * 60,
            compaction_threshold: 16,
            doc_cache_bytes: 96 * 1024 * 1024,
            sync_writers: 2 * crate::db::group_commit::MAX_BATCH,
            db_max_connections: 16,
            max_document_bytes: 10 * 1024 * 1024,
            family_documents_quota_bytes: 200 * 1024 * 1024,
            max_changes_per_sync: limits.max_changes_per_request,
            max_ops_per_sync: limits.max_ops_per_request,
            max_string_bytes: limits.max_string_bytes,
            max_list_items: limits.max_list_items,
            max_map_keys: limits.max_map_keys,
            max_orphan_changes: limits.max_orphan_changes,
            request_timeout_secs: 60,
            upload_timeout_secs: 15 * 60,
            body_idle_timeout_secs: 30,
            push_worker: true,
            push_poll_ms: 1000,
            push_batch: 256,
            push_concurrency: 64,
            push_lease_secs: 120,
            push_retry_base_ms: 30_000,
            push_retry_max_ms: 3_600_000,
            push_request_timeout_secs: 30,
            push_contact: "mailto:postmaster@localhost".into(),
            push_allow_http_endpoints: false,
            admin_secure_cookie: false,
            push_expiry_notice_days: 14,
            invoice_batch: 200,
            retention: crate::retention::Periods::default(),
            retention_daily: true,
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("max_sync_body_bytes", &self.max_sync_body_bytes)
            .field("max_docs_per_sync", &self.max_docs_per_sync)
            .field("login_attempts", &self.login_attempts)
            .field("login_window_secs", &self.login_window_secs)
            .field("login_ip_attempts", &self.login_ip_attempts)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("client_ip_header", &self.client_ip_header)
            .field("family_session_idle_secs", &self.family_session_idle_secs)
            .field("family_session_max_secs", &self.family_session_max_secs)
            .field("staff_session_idle_secs", &self.staff_session_idle_secs)
            .field("staff_session_max_secs", &self.staff_session_max_secs)
            .field("compaction_threshold", &self.compaction_threshold)
            .field("doc_cache_bytes", &self.doc_cache_bytes)
            .field("sync_writers", &self.sync_writers)
            .field("db_max_connections", &self.db_max_connections)
            .field("max_document_bytes", &self.max_document_bytes)
            .field(
                "family_documents_quota_bytes",
                &self.family_documents_quota_bytes,
            )
            .field("max_changes_per_sync", &self.max_changes_per_sync)
            .field("max_ops_per_sync", &self.max_ops_per_sync)
            .field("max_string_bytes", &self.max_string_bytes)
            .field("max_list_items", &self.max_list_items)
            .field("max_map_keys", &self.max_map_keys)
            .field("max_orphan_changes", &self.max_orphan_changes)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("upload_timeout_secs", &self.upload_timeout_secs)
            .field("body_idle_timeout_secs", &self.body_idle_timeout_secs)
            .field("push_worker", &self.push_worker)
            .field("push_poll_ms", &self.push_poll_ms)
            .field("push_batch", &self.push_batch)
            .field("invoice_batch", &self.invoice_batch)
            .field("push_concurrency", &self.push_concurrency)
            .field("push_lease_secs", &self.push_lease_secs)
            .field("push_retry_base_ms", &self.push_retry_base_ms)
            .field("push_retry_max_ms", &self.push_retry_max_ms)
            .field("push_request_timeout_secs", &self.push_request_timeout_secs)
            .field("push_contact", &self.push_contact)
            .field("push_allow_http_endpoints", &self.push_allow_http_endpoints)
            .field("push_expiry_notice_days", &self.push_expiry_notice_days)
            .field("admin_secure_cookie", &self.admin_secure_cookie)
            .field("retention", &self.retention)
            .field("retention_daily", &self.retention_daily)
            .finish()
    }
}

/// Hides the password of a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read settings file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid settings file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("invalid value for {name}: {value:?}")]
    Env { name: String, value: String },
    #[error("{name} is no longer read: use {instead}")]
    Retired {
        name: &'static str,
        instead: &'static str,
    },
    #[error("invalid setting {name}: {value:?} ({why})")]
    Invalid {
        name: &'static str,
        value: String,
        why: &'static str,
    },
}

impl Settings {
    /// What incoming changes must keep to (see `cartable_reconcile::validate`).
    pub fn limits(&self) -> Limits {
        Limits {
            max_changes_per_request: self.max_changes_per_sync,
            max_ops_per_request: self.max_ops_per_sync,
            max_string_bytes: self.max_string_bytes,
            max_list_items: self.max_list_items,
            max_map_keys: self.max_map_keys,
            max_orphan_changes: self.max_orphan_changes,
        }
    }

    /// Defaults, then `file` (if any), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut settings = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| SettingsError::Parse {
                    path: path.to_path_buf(),
                    source: Box::new(source),
                })?
            }
            None => Settings::default(),
        };
        settings.apply_env(std::env::vars())?;
        settings.check()?;
        Ok(settings)
    }

    /// Refuses values that would otherwise be ignored or misread at run time.
    pub fn check(&self) -> Result<(), SettingsError> {
        for proxy in &self.trusted_proxies {
            if crate::auth::client_ip::Network::parse(proxy).is_none() {
                return Err(SettingsError::Invalid {
                    name: "trusted_proxies",
                    value: proxy.clone(),
                    why: "expected an address or a CIDR range such as 10.0.0.0/8",
                });
            }
        }
        if axum::http::HeaderName::from_bytes(self.client_ip_header.as_bytes()).is_err() {
            return Err(SettingsError::Invalid {
                name: "client_ip_header",
                value: self.client_ip_header.clone(),
                why: "not a header name",
            });
        }
        Ok(())
    }

    /// Applies `CARTABLE_*` variables from `vars`.
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), SettingsError> {
        fn parse<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, SettingsError> {
            value.parse().map_err(|_| SettingsError::Env {
                name: name.to_string(),
                value: value.to_string(),
            })
        }
        for (name, value) in vars {
            match name.as_str() {
                "CARTABLE_LISTEN" => self.listen = parse(&name, &value)?,
                "CARTABLE_DATA_DIR" => self.data_dir = PathBuf::from(value),
                "CARTABLE_DATABASE_URL" if !value.is_empty() => self.database_url = Some(value),
                "CARTABLE_MAX_SYNC_BODY_BYTES" => self.max_sync_body_bytes = parse(&name, &value)?,
                "CARTABLE_MAX_DOCS_PER_SYNC" => self.max_docs_per_sync = parse(&name, &value)?,
                "CARTABLE_LOGIN_ATTEMPTS" => self.login_attempts = parse(&name, &value)?,
                "CARTABLE_LOGIN_WINDOW_SECS" => self.login_window_secs = parse(&name, &value)?,
                "CARTABLE_LOGIN_IP_ATTEMPTS" => self.login_ip_attempts = parse(&name, &value)?,
                "CARTABLE_TRUSTED_PROXIES" => {
                    self.trusted_proxies = value
                        .split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(String::from)
                        .collect()
                }
                "CARTABLE_CLIENT_IP_HEADER" => self.client_ip_header = value,
                "CARTABLE_ADMIN_SECURE_COOKIE" => self.admin_secure_cookie = parse(&name, &value)?,
                "CARTABLE_FAMILY_SESSION_IDLE_SECS" => {
                    self.family_session_idle_secs = parse(&name, &value)?
                }
                "CARTABLE_FAMILY_SESSION_MAX_SECS" => {
                    self.family_session_max_secs = parse(&name, &value)?
                }
                "CARTABLE_STAFF_SESSION_IDLE_SECS" => {
                    self.staff_session_idle_secs = parse(&name, &value)?
                }
                "CARTABLE_STAFF_SESSION_MAX_SECS" => {
                    self.staff_session_max_secs = parse(&name, &value)?
                }
                "CARTABLE_COMPACTION_THRESHOLD" => {
                    self.compaction_threshold = parse(&name, &value)?
                }
                "CARTABLE_DOC_CACHE_BYTES" => self.doc_cache_bytes = parse(&name, &value)?,
                "CARTABLE_SYNC_WRITERS" => self.sync_writers = parse(&name, &value)?,
                // A count of documents: ignoring it would leave its owner believing it applies.
                "CARTABLE_DOC_CACHE_CAPACITY" => {
                    return Err(SettingsError::Retired {
                        name: "CARTABLE_DOC_CACHE_CAPACITY",
                        instead: "CARTABLE_DOC_CACHE_BYTES (a memory budget in bytes)",
                    });
                }
                "CARTABLE_DB_MAX_CONNECTIONS" => self.db_max_connections = parse(&name, &value)?,
                "CARTABLE_MAX_DOCUMENT_BYTES" => self.max_document_bytes = parse(&name, &value)?,
                "CARTABLE_FAMILY_DOCUMENTS_QUOTA_BYTES" => {
                    self.family_documents_quota_bytes = parse(&name, &value)?
                }
                "CARTABLE_MAX_CHANGES_PER_SYNC" => {
                    self.max_changes_per_sync = parse(&name, &value)?
                }
                "CARTABLE_MAX_OPS_PER_SYNC" => self.max_ops_per_sync = parse(&name, &value)?,
                "CARTABLE_MAX_STRING_BYTES" => self.max_string_bytes = parse(&name, &value)?,
                "CARTABLE_MAX_LIST_ITEMS" => self.max_list_items = parse(&name, &value)?,
                "CARTABLE_MAX_MAP_KEYS" => self.max_map_keys = parse(&name, &value)?,
                "CARTABLE_MAX_ORPHAN_CHANGES" => self.max_orphan_changes = parse(&name, &value)?,
                "CARTABLE_REQUEST_TIMEOUT_SECS" => {
                    self.request_timeout_secs = parse(&name, &value)?
                }
                "CARTABLE_UPLOAD_TIMEOUT_SECS" => self.upload_timeout_secs = parse(&name, &value)?,
                "CARTABLE_BODY_IDLE_TIMEOUT_SECS" => {
                    self.body_idle_timeout_secs = parse(&name, &value)?
                }
                "CARTABLE_PUSH_WORKER" => self.push_worker = parse(&name, &value)?,
                "CARTABLE_PUSH_POLL_MS" => self.push_poll_ms = parse(&name, &value)?,
                "CARTABLE_PUSH_BATCH" => self.push_batch = parse(&name, &value)?,
                "CARTABLE_INVOICE_BATCH" => self.invoice_batch = parse(&name, &value)?,
                "CARTABLE_PUSH_CONCURRENCY" => self.push_concurrency = parse(&name, &value)?,
                "CARTABLE_PUSH_LEASE_SECS" => self.push_lease_secs = parse(&name, &value)?,
                "CARTABLE_PUSH_RETRY_BASE_MS" => self.push_retry_base_ms = parse(&name, &value)?,
                "CARTABLE_PUSH_RETRY_MAX_MS" => self.push_retry_max_ms = parse(&name, &value)?,
                "CARTABLE_PUSH_REQUEST_TIMEOUT_SECS" => {
                    self.push_request_timeout_secs = parse(&name, &value)?
                }
                "CARTABLE_PUSH_CONTACT" => self.push_contact = value,
                "CARTABLE_PUSH_ALLOW_HTTP_ENDPOINTS" => {
                    self.push_allow_http_endpoints = parse(&name, &value)?
                }
                "CARTABLE_PUSH_EXPIRY_NOTICE_DAYS" => {
                    self.push_expiry_notice_days = parse(&name, &value)?
                }
                "CARTABLE_RETENTION_HEALTH_DAYS" => {
                    self.retention.health_days = parse(&name, &value)?
                }
                "CARTABLE_RETENTION_DOCUMENTS_DAYS" => {
                    self.retention.documents_days = parse(&name, &value)?
                }
                "CARTABLE_RETENTION_ATTENDANCE_DAYS" => {
                    self.retention.attendance_days = parse(&name, &value)?
                }
                "CARTABLE_RETENTION_AUDIT_DAYS" => {
                    self.retention.audit_days = parse(&name, &value)?
                }
                "CARTABLE_RETENTION_DOSSIER_DAYS" => {
                    self.retention.dossier_days = parse(&name, &value)?
                }
                "CARTABLE_RETENTION_ACCOUNTING_DAYS" => {
                    self.retention.accounting_days = parse(&name, &value)?
                }
                "CARTABLE_RETENTION_DAILY" => self.retention_daily = parse(&name, &value)?,
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_defaults_and_bad_values_are_named() {
        let mut s = Settings::default();
        s.apply_env([
            ("CARTABLE_LISTEN".to_string(), "127.0.0.1:9000".to_string()),
            (
                "CARTABLE_DATABASE_URL".into(),
                "postgres://u:secret@h/db".into(),
            ),
        ])
        .expect("valid env");
        assert_eq!(s.listen.port(), 9000);
        s.apply_env([("CARTABLE_MAX_MAP_KEYS".to_string(), "300".to_string())])
            .expect("valid limit");
        assert_eq!(s.limits().max_map_keys, 300);
        let shown = format!("{s:?}");
        assert!(!shown.contains("secret"), "{shown}");
        let err = s
            .apply_env([("CARTABLE_LOGIN_ATTEMPTS".to_string(), "many".to_string())])
            .expect_err("bad number");
        assert!(err.to_string().contains("CARTABLE_LOGIN_ATTEMPTS"));
    }

    #[test]
    fn the_document_cache_is_bounded_in_bytes_and_the_former_count_is_refused() {
        assert_eq!(Settings::default().doc_cache_bytes, 96 * 1024 * 1024);
        let mut s = Settings::default();
        s.apply_env([(
            "CARTABLE_DOC_CACHE_BYTES".to_string(),
            "1048576".to_string(),
        )])
        .expect("a byte count");
        assert_eq!(s.doc_cache_bytes, 1_048_576);
        assert!(
            s.apply_env([("CARTABLE_DOC_CACHE_BYTES".to_string(), "64M".to_string())])
                .is_err()
        );
        assert!(toml::from_str::<Settings>("doc_cache_capacity = 4096").is_err());
        let retired = s
            .apply_env([(
                "CARTABLE_DOC_CACHE_CAPACITY".to_string(),
                "4096".to_string(),
            )])
            .expect_err("the former count is refused");
        assert!(
            retired.to_string().contains("CARTABLE_DOC_CACHE_BYTES"),
            "{retired}"
        );
        let from_file: Settings = toml::from_str("doc_cache_bytes = 2048").expect("known key");
        assert_eq!(from_file.doc_cache_bytes, 2048);
    }

    #[test]
    fn writing_syncs_are_bounded_by_a_setting() {
        assert_eq!(Settings::default().sync_writers, 128);
        let mut s = Settings::default();
        s.apply_env([("CARTABLE_SYNC_WRITERS".to_string(), "16".to_string())])
            .expect("a count");
        assert_eq!(s.sync_writers, 16);
        let err = s
            .apply_env([("CARTABLE_SYNC_WRITERS".to_string(), "many".to_string())])
            .expect_err("not a count");
        assert!(err.to_string().contains("CARTABLE_SYNC_WRITERS"), "{err}");
        let from_file: Settings = toml::from_str("sync_writers = 4").expect("known key");
        assert_eq!(from_file.sync_writers, 4);
    }

    #[test]
    fn settings_file_is_read_and_unknown_keys_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cartable.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:7000\"\nlogin_attempts = 3\n").expect("write");
        let s = Settings::load(Some(&path)).expect("loads");
        assert_eq!(s.login_attempts, 3);
        std::fs::write(&path, "lisen = \"x\"\n").expect("write");
        assert!(Settings::load(Some(&path)).is_err());
    }
}
