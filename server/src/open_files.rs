//! The process's limit on open files. Every client connection, SQLite file and stored object
//! being read takes a descriptor; distributions start processes with a soft limit of 1,024,
//! which 10,000 connected phones exceed ("Too many open files"). The hard limit is usually
//! far higher and an unprivileged process may raise its soft limit up to it.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// What [`raise`] could do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenFiles {
    /// The soft limit was raised from `from` to `to` (`None`: unlimited).
    Raised { from: Option<u64>, to: Option<u64> },
    /// The soft limit already equals the hard limit.
    AtMaximum(Option<u64>),
    /// The system refused to raise it; it stays at `current`.
    Refused { current: Option<u64> },
}

/// Raises the soft limit on open files to the hard limit.
pub fn raise() -> OpenFiles {
    let limit = getrlimit(Resource::Nofile);
    if limit.current == limit.maximum {
        return OpenFiles::AtMaximum(limit.current);
    }
    let wanted = Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, wanted) {
        Ok(()) => OpenFiles::Raised {
            from: limit.current,
            to: getrlimit(Resource::Nofile).current,
        },
        Err(_) => OpenFiles::Refused {
            current: limit.current,
        },
    }
}

/// Raises the limit and says so in the log; warns when it stays low enough to refuse
/// connections at a town's scale.
pub fn raise_and_log() {
    /// Below this, a few thousand phones syncing at once can exhaust the descriptors.
    const COMFORTABLE: u64 = 16_384;
    let low = |n: Option<u64>| n.is_some_and(|n| n < COMFORTABLE);
    match raise() {
        OpenFiles::Raised { from, to } => {
            tracing::info!(
                from = shown(from),
                to = shown(to),
                "limite de fichiers ouverts relevée"
            );
            if low(to) {
                warn_low(to);
            }
        }
        OpenFiles::AtMaximum(n) if low(n) => warn_low(n),
        OpenFiles::AtMaximum(_) => {}
        OpenFiles::Refused { current } => {
            tracing::warn!(
                current = shown(current),
                "impossible de relever la limite de fichiers ouverts"
            );
        }
    }
}

fn warn_low(n: Option<u64>) {
    tracing::warn!(
        limit = shown(n),
        "limite de fichiers ouverts basse : chaque connexion en prend un ; \
         relevez-la (ulimit -n, LimitNOFILE= du service systemd)"
    );
}

fn shown(n: Option<u64>) -> String {
    n.map_or_else(|| "illimitée".to_string(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() {
        let before = getrlimit(Resource::Nofile);
        let outcome = raise();
        let after = getrlimit(Resource::Nofile);
        match outcome {
            OpenFiles::Raised { from, to } => {
                assert_eq!(from, before.current);
                assert_eq!(to, after.current);
                assert_eq!(after.current, after.maximum);
            }
            OpenFiles::AtMaximum(n) => {
                assert_eq!(n, before.current);
                assert_eq!(before.current, before.maximum);
            }
            OpenFiles::Refused { current } => assert_eq!(current, after.current),
        }
        // A second call has nothing left to raise.
        if after.current == after.maximum {
            assert_eq!(raise(), OpenFiles::AtMaximum(after.current));
        }
    }
}
