//! `cartable-pushfanout`: one information message published to a structure whose families
//! have N subscribed devices, delivered through the real outbox and worker to a push sink on
//! loopback. Reports the time from the staff's publish to the last message received, the
//! messages per second, the CPU used and the process's peak memory.
//!
//! ```sh
//! cargo run --release -p cartable-bench --bin cartable-pushfanout -- --subscriptions 20000
//! ```

use anyhow::{Context, bail};
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cartable_bench::memory;
use cartable_bench::server::{self, Storage};
use cartable_bench::stats::cpu_snapshot;
use cartable_server::push::causes;
use clap::Parser;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(
    name = "cartable-pushfanout",
    about = "Push fan-out of one information message"
)]
struct Args {
    /// Subscribed devices (spread over families of 2 devices).
    #[arg(long, default_value_t = 20_000)]
    subscriptions: usize,
    /// `postgres://...` to run on PostgreSQL (its `public` schema is dropped first);
    /// SQLite in a temporary folder otherwise.
    #[arg(long)]
    database_url: Option<String>,
    /// Server runtime threads.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
}

/// The push sink: counts well-formed Web Push requests (VAPID header, aes128gcm body).
async fn sink(counter: Arc<AtomicUsize>, bad: Arc<AtomicUsize>, headers: HeaderMap) -> StatusCode {
    let ok = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("vapid t="))
        && headers
            .get("content-encoding")
            .is_some_and(|v| v == "aes128gcm")
        && headers.contains_key("ttl")
        && headers.contains_key("topic");
    if ok {
        counter.fetch_add(1, Ordering::SeqCst);
        StatusCode::CREATED
    } else {
        bad.fetch_add(1, Ordering::SeqCst);
        StatusCode::BAD_REQUEST
    }
}

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cartable-pushfanout: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    if args.subscriptions == 0 {
        bail!("--subscriptions must be at least 1");
    }
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads.max(1))
        .thread_name("cart-srv")
        .enable_all()
        .build()?;
    let sink_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("push-sink")
        .enable_all()
        .build()?;
    let storage = match &args.database_url {
        Some(url) => Storage::Postgres {
            url: url.clone(),
            reset: true,
        },
        None => Storage::Sqlite { parent: None },
    };
    let mut srv = server::start(&server_rt, &storage)?;
    let state = srv.state.clone();

    let received = Arc::new(AtomicUsize::new(0));
    let bad = Arc::new(AtomicUsize::new(0));
    let listener = sink_rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let sink_addr = listener.local_addr()?;
    let app = {
        let (received, bad) = (received.clone(), bad.clone());
        Router::new().route(
            "/push/{device}",
            post(move |headers: HeaderMap| sink(received.clone(), bad.clone(), headers)),
        )
    };
    sink_rt.spawn(async move { axum::serve(listener, app).await });

    // Seed: one structure, families of two devices, one subscription per device (one key
    // pair for all: encrypting costs the same per message).
    let started = Instant::now();
    let (structure_id, pair) = server_rt.block_on(async {
        let structure_id = cartable_server::admin::create_structure(
            &state,
            "Mairie de la diffusion",
            Default::default(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let (keys, auth) = ece::generate_keypair_and_auth_secret()
            .map_err(|e| anyhow::anyhow!("keys: {e}"))?;
        let p256dh = URL_SAFE_NO_PAD.encode(keys.pub_as_raw().map_err(|e| anyhow::anyhow!("{e}"))?);
        let auth = URL_SAFE_NO_PAD.encode(auth);
        let key = cartable_server::push::vapid::ensure(&state.db, 0).await?;
        let now = state.clock.now().as_millisecond();
        let mut write = state.db.begin_write().await?;
        for n in 0..args.subscriptions {
            let family = format!("famille{:06}", n / 2);
            if n % 2 == 0 {
                sqlx::query(
                    "INSERT INTO families (id, structure_id, name, created_at_ms) VALUES ($1, $2, $1, $3)",
                )
                .bind(&family)
                .bind(structure_id.as_str())
                .bind(now)
                .execute(&mut *write.tx)
                .await?;
                sqlx::query(
                    "INSERT INTO accounts (id, structure_id, family_id, login, password_hash, \
                     display_name, role, created_at_ms) VALUES ($1, $2, $1, $1, '-', $1, 'parent', $3)",
                )
                .bind(&family)
                .bind(structure_id.as_str())
                .bind(now)
                .execute(&mut *write.tx)
                .await?;
            }
            let device = format!("appareil{n:06}");
            sqlx::query(
                "INSERT INTO devices (id, account_id, token_hash, name, created_at_ms) \
                 VALUES ($1, $2, $1, $1, $3)",
            )
            .bind(&device)
            .bind(&family)
            .bind(now)
            .execute(&mut *write.tx)
            .await?;
            sqlx::query(
                "INSERT INTO push_subscriptions (id, device_id, structure_id, family_id, endpoint, \
                 p256dh, auth, kinds, vapid_key_id, created_at_ms, updated_at_ms) \
                 VALUES ($1, $1, $2, $3, $4, $5, $6, ',information,', $7, $8, $8)",
            )
            .bind(&device)
            .bind(structure_id.as_str())
            .bind(&family)
            .bind(format!("http://{sink_addr}/push/{device}"))
            .bind(&p256dh)
            .bind(&auth)
            .bind(key.id)
            .bind(now)
            .execute(&mut *write.tx)
            .await?;
        }
        write.commit().await?;
        anyhow::Ok((structure_id, (p256dh, auth)))
    })?;
    let _ = pair;
    eprintln!(
        "seeded {} subscriptions in {:.1} s",
        args.subscriptions,
        started.elapsed().as_secs_f64()
    );

    // Publish (the staff route's own transaction: message + outbox event), then wait.
    let pg = args
        .database_url
        .as_deref()
        .and_then(|u| u.rsplit('/').next())
        .map(|d| d.split('?').next().unwrap_or(d).to_string());
    let cpu_before = cpu_snapshot(pg.as_deref(), &[]);
    let t0 = Instant::now();
    server_rt.block_on(async {
        let now = state.clock.now().as_millisecond();
        let today = cartable_domain::calendar::paris_date(state.clock.now()).to_string();
        let mut write = state.db.begin_write().await?;
        let id = cartable_server::auth::new_id();
        cartable_server::db::information::insert(
            &mut write.tx,
            &structure_id,
            &id,
            cartable_server::db::information::MessageText {
                title: "Fermeture exceptionnelle",
                body: "Le centre sera fermé vendredi.",
                published_from: &today,
                published_until: None,
            },
            "bench",
            now,
        )
        .await?;
        causes::information_published(&mut write.tx, &structure_id, &id, &today, now).await?;
        write.commit().await?;
        state.push.wake();
        anyhow::Ok(())
    })?;
    let deadline = t0 + Duration::from_secs(args.timeout_secs);
    while received.load(Ordering::SeqCst) < args.subscriptions && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = t0.elapsed();
    let cpu = cpu_snapshot(pg.as_deref(), &[]).since(&cpu_before);
    let got = received.load(Ordering::SeqCst);
    println!("backend            {}", state.db.backend.name());
    println!("subscriptions      {}", args.subscriptions);
    println!(
        "delivered          {got} (refused by the sink: {})",
        bad.load(Ordering::SeqCst)
    );
    println!("end to end         {:.2} s", elapsed.as_secs_f64());
    println!(
        "messages/s         {:.0}",
        got as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    println!(
        "cpu seconds        server {:.2}, sqlite {:.2}, push sink and other {:.2}, postgres {:.2}",
        cpu.server, cpu.sqlite, cpu.other, cpu.postgres
    );
    let peak_mb = memory::status_mb(std::process::id(), "VmHWM:").unwrap_or(0.0);
    println!("peak memory        {peak_mb:.0} MB");
    srv.stop(&server_rt).context("stopping the server")?;
    if got < args.subscriptions {
        bail!(
            "only {got} of {} delivered within {} s",
            args.subscriptions,
            args.timeout_secs
        );
    }
    Ok(())
}
