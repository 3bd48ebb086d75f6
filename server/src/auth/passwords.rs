//! Passwords hashed and checked with argon2id, in bounded memory.
//!
//! Each hash or check fills argon2's memory (19 MiB with the default parameters). Run at
//! will on Tokio's blocking threads (up to 512), a burst of logins took that much per login
//! at once, and the allocator kept it afterwards: 40 failed logins, 20 at a time, left a
//! server at 849 MB of resident memory instead of 108 MB. Here at most one hash per core
//! runs at a time (the others wait their turn: they would share the cores anyway), and each
//! one fills one of the memory areas kept for the purpose, so this memory stays at
//! cores × 19 MiB however many parents log in at once. An area is kept only while another
//! hash waits for one or runs: once a burst of logins is over, the areas go back to the
//! allocator instead of holding 19 MiB per core for the rest of the server's life.

use crate::error::AppError;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use tokio::sync::Semaphore;

/// Hashes at once: one per core.
static CORES: LazyLock<usize> =
    LazyLock::new(|| std::thread::available_parallelism().map_or(1, |n| n.get()));

fn parallelism() -> usize {
    *CORES
}

/// Permits to hash, one per core.
static GATE: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(parallelism()));

/// Memory areas of the default parameters' size, reused from one hash to the next while
/// hashes follow each other.
static AREAS: Areas = Areas::new();

/// Hashes running through [`hash`] and [`verify`] now, and the most at once (tests).
#[cfg(test)]
static RUNNING: AtomicUsize = AtomicUsize::new(0);
#[cfg(test)]
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Runs `work`, a hash that took its turn.
fn in_turn<T>(work: impl FnOnce() -> T) -> T {
    #[cfg(test)]
    PEAK.fetch_max(RUNNING.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
    let result = work();
    #[cfg(test)]
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    result
}

/// Blocks of argon2 memory the default parameters fill.
fn default_blocks() -> usize {
    Params::DEFAULT.block_count()
}

/// Memory areas kept between hashes, and how many hashes want one.
struct Areas {
    kept: Mutex<Vec<Vec<Block>>>,
    /// Hashes waiting for their turn or running (see [`Demand`]).
    demand: AtomicUsize,
}

impl Areas {
    const fn new() -> Areas {
        Areas {
            kept: Mutex::new(Vec::new()),
            demand: AtomicUsize::new(0),
        }
    }

    /// Runs `work` with a memory area of at least `blocks` blocks: a kept one when the size
    /// is the default one. Afterwards the area is kept (at most one per core) when another
    /// hash than this one waits or runs, and freed otherwise.
    fn with_area<T>(&self, blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
        if blocks > default_blocks() {
            // A hash stored with heavier parameters than today's: its own area, dropped after.
            let mut area = vec![Block::new(); blocks];
            return work(&mut area);
        }
        let kept = self.kept.lock().ok().and_then(|mut areas| areas.pop());
        let mut area = kept.unwrap_or_else(|| vec![Block::new(); default_blocks()]);
        let result = work(&mut area[..blocks]);
        // This hash is counted in the demand when it came through `in_its_turn`.
        if self.demand.load(Ordering::SeqCst) > 1
            && let Ok(mut areas) = self.kept.lock()
            && areas.len() < parallelism()
        {
            areas.push(area);
        }
        result
    }

    #[cfg(test)]
    fn kept(&self) -> usize {
        self.kept.lock().map_or(0, |areas| areas.len())
    }
}

/// One hash counted in [`Areas::demand`] from the moment it asks for its turn until its
/// work ends or it is given up.
struct Demand<'a>(&'a Areas);

impl<'a> Demand<'a> {
    fn new(areas: &'a Areas) -> Demand<'a> {
        areas.demand.fetch_add(1, Ordering::SeqCst);
        Demand(areas)
    }
}

impl Drop for Demand<'_> {
    fn drop(&mut self) {
        self.0.demand.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Argon2 of `password` and `salt` into `out`, in a memory area of the size `params` asks.
fn hash_into(
    algorithm: Algorithm,
    version: Version,
    params: &Params,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let argon = Argon2::new(algorithm, version, params.clone());
    AREAS.with_area(params.block_count(), |area| {
        argon.hash_password_into_with_memory(password.as_bytes(), salt, out, area)
    })
}

/// Hashes `password` with argon2id (default parameters) and a random salt, as a PHC string.
/// Blocking: call it from a blocking context; [`hash`] waits its turn first.
pub fn hash_now(password: &str) -> Result<String, AppError> {
    let mut raw_salt = [0u8; 16];
    rand::rng().fill_bytes(&mut raw_salt);
    let salt = SaltString::encode_b64(&raw_salt).map_err(|e| AppError::internal(e.to_string()))?;
    let params = Params::DEFAULT;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    hash_into(
        Algorithm::Argon2id,
        Version::V0x13,
        &params,
        password,
        &raw_salt,
        &mut out,
    )
    .map_err(|e| AppError::internal(e.to_string()))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| AppError::internal(e.to_string()))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| AppError::internal(e.to_string()))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches `stored` (a PHC string of any argon2 variant, version and
/// parameters); a malformed hash is a mismatch. Blocking, like [`hash_now`].
pub fn verify_now(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_raw) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let hashed = hash_into(algorithm, version, &params, password, salt_raw, &mut out);
    // `Output`'s comparison takes the same time wherever the bytes differ.
    hashed.is_ok() && Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Runs `work` on a blocking thread once a core is free for it. The turn is held by the
/// blocking work itself, so a request dropped meanwhile (its client gone) does not let
/// another hash start before this one ends.
async fn in_its_turn<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    in_its_turn_of(&GATE, &AREAS, work).await
}

/// [`in_its_turn`] with the turns of `gate`, counted in the demand of `areas`.
async fn in_its_turn_of<T: Send + 'static>(
    gate: &'static Semaphore,
    areas: &'static Areas,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let demand = Demand::new(areas);
    let turn = gate
        .acquire()
        .await
        .map_err(|e| AppError::internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let (_turn, _demand) = (turn, demand);
        in_turn(work)
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))
}

/// [`hash_now`] on a blocking thread, once a core is free for it.
pub async fn hash(password: &str) -> Result<String, AppError> {
    let p = password.to_string();
    in_its_turn(move || hash_now(&p)).await?
}

/// [`verify_now`] on a blocking thread, once a core is free for it.
pub async fn verify(password: &str, stored: &str) -> Result<bool, AppError> {
    let (p, s) = (password.to_string(), stored.to_string());
    in_its_turn(move || verify_now(&p, &s)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn a_hash_checks_its_password_only() {
        let h = hash_now("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_now("correct horse", &h));
        assert!(!verify_now("wrong", &h));
        assert!(!verify_now("x", "not a hash"));
        assert!(!verify_now(
            "x",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ"
        ));
        // The same password hashes differently each time (a new salt).
        assert_ne!(hash_now("correct horse").expect("hash"), h);
    }

    #[test]
    fn hashes_agree_with_the_argon2_crates_own_hashing_and_checking() {
        // Stored hashes made before (by `Argon2::default().hash_password`) still check.
        let salt = SaltString::encode_b64(b"sel-de-guerande!").expect("salt");
        let before = Argon2::default()
            .hash_password(b"mot de passe", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_now("mot de passe", &before));
        assert!(!verify_now("mot de passé", &before));
        // And those made here check with the crate's verifier.
        let here = hash_now("mot de passe").expect("hash");
        let parsed = PasswordHash::new(&here).expect("PHC string");
        assert!(
            Argon2::default()
                .verify_password(b"mot de passe", &parsed)
                .is_ok()
        );
    }

    #[test]
    fn hashes_with_other_parameters_check_with_their_own() {
        // Lighter (an older setting) and heavier than today's parameters, and argon2i.
        for (algorithm, m_cost) in [
            (Algorithm::Argon2id, 8 * 1024),
            (Algorithm::Argon2id, 24 * 1024),
            (Algorithm::Argon2i, 4 * 1024),
        ] {
            let params = Params::new(m_cost, 2, 1, None).expect("params");
            let argon = Argon2::new(algorithm, Version::V0x13, params);
            let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
            let stored = argon
                .hash_password(b"secret", &salt)
                .expect("hash")
                .to_string();
            assert!(verify_now("secret", &stored), "{stored}");
            assert!(!verify_now("secreT", &stored), "{stored}");
        }
    }

    #[test]
    fn many_checks_at_once_take_turns_one_per_core() {
        let h = hash_now("pw").expect("hash");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let checks = 3 * parallelism() + 2;
        // Requests dropped while their check runs (clients gone) keep the turn until the
        // check ends: the next ones wait instead of starting beside it.
        rt.block_on(async {
            for _ in 0..checks {
                let dropped = verify("pw", &h);
                let _ = tokio::time::timeout(std::time::Duration::from_millis(1), dropped).await;
            }
        });
        let results = rt.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for i in 0..checks {
                let h = h.clone();
                tasks.spawn(async move {
                    let password = if i % 2 == 0 { "pw" } else { "no" };
                    (i, verify(password, &h).await)
                });
            }
            tasks.join_all().await
        });
        assert_eq!(results.len(), checks);
        for (i, r) in results {
            assert_eq!(r.expect("checked"), i % 2 == 0, "check {i}");
        }
        let peak = PEAK.load(Ordering::SeqCst);
        assert!((1..=parallelism()).contains(&peak), "{peak} hashes at once");
        let kept = AREAS.kept();
        assert!(kept <= parallelism(), "{kept} areas kept");
    }

    #[test]
    fn an_area_is_kept_while_another_hash_wants_one_and_freed_after_the_last() {
        let areas = Areas::new();
        let blocks = default_blocks();
        // Two hashes in their turn: the first one's area waits for the second.
        let first = Demand::new(&areas);
        let second = Demand::new(&areas);
        areas.with_area(blocks, |area| area[0] = Block::new());
        assert_eq!(areas.kept(), 1);
        drop(first);
        // The second, the last one wanted, takes the kept area and frees it.
        areas.with_area(blocks, |area| assert_eq!(area.len(), blocks));
        assert_eq!(areas.kept(), 0);
        drop(second);
        assert_eq!(areas.demand.load(Ordering::SeqCst), 0);
        // A hash outside the turns (the admin command's) keeps nothing either.
        areas.with_area(blocks, |_| ());
        assert_eq!(areas.kept(), 0);
        // Never more than one per core, however many hashes want one.
        let many: Vec<Demand<'_>> = (0..parallelism() + 3)
            .map(|_| Demand::new(&areas))
            .collect();
        let barrier = std::sync::Barrier::new(parallelism() + 2);
        std::thread::scope(|s| {
            let (areas, barrier) = (&areas, &barrier);
            for _ in 0..parallelism() + 2 {
                s.spawn(move || {
                    areas.with_area(blocks, |_| {
                        barrier.wait();
                    })
                });
            }
        });
        assert_eq!(areas.kept(), parallelism());
        drop(many);
    }

    #[test]
    fn a_hash_is_counted_from_its_request_for_a_turn_until_its_work_ends_or_it_is_given_up() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let areas: &'static Areas = Box::leak(Box::new(Areas::new()));
        let gate: &'static Semaphore = Box::leak(Box::new(Semaphore::new(0)));
        // No turn free: the hash waits at the gate, counted, until its request is dropped.
        rt.block_on(async {
            let waiting = in_its_turn_of(gate, areas, || ());
            let gave_up = tokio::time::timeout(std::time::Duration::from_millis(20), waiting)
                .await
                .is_err();
            assert!(gave_up, "the hash waited for its turn");
        });
        assert_eq!(areas.demand.load(Ordering::SeqCst), 0);
        // With a turn: counted while its work runs, not after.
        gate.add_permits(1);
        let during = rt
            .block_on(in_its_turn_of(gate, areas, || {
                areas.demand.load(Ordering::SeqCst)
            }))
            .expect("ran");
        assert_eq!(during, 1);
        assert_eq!(areas.demand.load(Ordering::SeqCst), 0);
    }
}
