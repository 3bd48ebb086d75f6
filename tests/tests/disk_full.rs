//! The data folder full (a small tmpfs mounted by the test; SKIPPED when not root or when
//! mounting is refused): syncs and uploads fail with a typed error, nothing is acknowledged
//! that storage did not keep (checked after a restart), and everything works again once space
//! is back.

use cartable_domain::api::ApiErrorBody;
use cartable_tests::family::{family_token, signed_in};
use cartable_tests::raw::agent;
use cartable_tests::{Backend, Device, TestServer, backends, require_all};
use jiff::civil::{Date, Weekday};
use sqlx::Row;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";

/// A tmpfs of `size` mounted on a temporary folder, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Result<SmallDisk, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(SmallDisk { dir })
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Fills what is left with one file; returns its path.
    fn fill(&self) -> PathBuf {
        let path = self.dir.path().join("remplissage");
        let mut file = std::fs::File::create(&path).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let small = [0u8; 512];
        while file.write_all(&small).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn upload(url: &str, token: &str, key: &str) -> (u16, Vec<u8>) {
    let mut r = agent()
        .post(&format!("{url}/api/v1/documents?kind=insurance"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/pdf")
        .header("Idempotency-Key", key)
        .send(PDF)
        .expect("HTTP");
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_vec().unwrap_or_default())
}

fn stored_days(server: &TestServer, child: &str) -> Vec<String> {
    server.block_on(async {
        sqlx::query(
            "SELECT day FROM booking_requests WHERE child_id = $1 AND wanted = 1 ORDER BY day",
        )
        .bind(child)
        .fetch_all(&server.state.db.pool)
        .await
        .expect("bookings")
        .iter()
        .map(|r| r.get::<String, _>("day"))
        .collect()
    })
}

fn mondays(count: usize) -> Vec<Date> {
    let mut day = jiff::Zoned::now().date() + jiff::ToSpan::days(7);
    let mut out = Vec::new();
    while out.len() < count {
        if day.weekday() == Weekday::Monday {
            out.push(day);
        }
        day += jiff::ToSpan::days(1);
    }
    out
}

#[test]
fn a_full_data_folder_fails_cleanly_acknowledges_nothing_false_and_recovers() {
    if !is_root() {
        eprintln!("SKIPPED: mounting a small tmpfs needs root");
        return;
    }
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let disk = match SmallDisk::mount("8m") {
            Ok(d) => d,
            Err(e) if !require_all() => {
                eprintln!("SKIPPED: tmpfs refused: {e}");
                return;
            }
            Err(e) => panic!("root, but tmpfs refused: {e}"),
        };
        let data = disk.path().join("donnees");
        let mut server = TestServer::start_with(backend, |s| s.data_dir = data.clone());
        let seed = server.seed(1);
        let family = &seed.families[0];
        let child = family.children[0].0.clone();
        let phone_dir = Device::new();
        let phone = signed_in(&server, family, 0, &phone_dir);
        let token = family_token(&server, family, 1);
        let days = mondays(8);
        phone.book(&child, days[0], "cantine").expect("book");
        phone.sync().expect("sync with room");

        let filler = disk.fill();
        let mut acknowledged = vec![days[0]];
        for day in &days[1..5] {
            phone
                .book(&child, *day, "cantine")
                .expect("book on the phone");
            if phone.sync().is_ok() {
                acknowledged.push(*day);
            }
        }
        let (status, body) = upload(&server.url, &token, "plein-1");
        assert!(
            status >= 500,
            "an upload to a full disk fails: {status} {}",
            String::from_utf8_lossy(&body)
        );
        let _: ApiErrorBody = serde_json::from_slice(&body).expect("a typed error");
        if backend == Backend::Sqlite {
            assert_eq!(
                acknowledged.len(),
                1,
                "SQLite cannot acknowledge on a full disk"
            );
        }

        // Space back: the same server process works again, without a restart.
        std::fs::remove_file(&filler).expect("free the space");
        for day in &days[5..] {
            phone.book(&child, *day, "cantine").expect("book");
        }
        phone.sync().expect("sync once space is back");
        let (status, body) = upload(&server.url, &token, "plein-1");
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        // A restart reads only what storage kept: every booking, once.
        server.restart();
        let kept = stored_days(&server, &child);
        for day in &acknowledged {
            assert!(
                kept.contains(&day.to_string()),
                "acknowledged {day} was lost"
            );
        }
        let expected: Vec<String> = days.iter().map(Date::to_string).collect();
        assert_eq!(kept, expected, "each booking once");
        if backend == Backend::Sqlite {
            let check: String = server.block_on(async {
                sqlx::query("PRAGMA integrity_check")
                    .fetch_one(&server.state.db.pool)
                    .await
                    .expect("integrity check")
                    .get(0)
            });
            assert_eq!(check, "ok");
        }
        drop(server);
    }
}
