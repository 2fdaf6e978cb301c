//! A 100 KB photo over a link shaped to 64 kbit/s (a good 2G/EDGE day), time and bytes,
//! against the physical minimum (100 KB × 8 / 64 kbit/s = 12.5 s). The link is a proxy on
//! 127.0.0.1 that lets the device's bytes through at 8,000 bytes per second (the answers come
//! back unshaped: they are a few hundred bytes).
//!
//! `cargo bench -p wardbook-server --bench photo_link`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wardbook::demo;
use wardbook::domain::Role;
use wardbook::sync::client::SyncClient;
use wardbook::sync::photos::{PhotoUploader, sha256_hex};
use wardbook_server::cli::demo_reference;
use wardbook_server::store::{Scope, ServerStore, SqliteStore, transact};
use wardbook_server::{AppState, db, router};

const BYTES_PER_SECOND: u64 = 64_000 / 8;
const PHOTO: usize = 100 * 1000;
const TOWN: &str = "pb.nabha";

/// Forwards the client's bytes at `BYTES_PER_SECOND`, counting them.
async fn shaped(listener: TcpListener, upstream: std::net::SocketAddr, sent: Arc<AtomicU64>) {
    loop {
        let Ok((client, _)) = listener.accept().await else { return };
        let sent = sent.clone();
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(upstream).await else { return };
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let up = async {
                let mut buf = [0u8; 1000];
                let started = Instant::now();
                let mut total = 0u64;
                while let Ok(n) = cr.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    total += n as u64;
                    sent.fetch_add(n as u64, Ordering::Relaxed);
                    // Release the bytes no sooner than the link could have carried them.
                    let due = Duration::from_secs_f64(total as f64 / BYTES_PER_SECOND as f64);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        tokio::time::sleep(wait).await;
                    }
                    if sw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            };
            let down = async {
                let _ = tokio::io::copy(&mut sr, &mut cw).await;
            };
            tokio::join!(up, down);
        });
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::TempDir::new().unwrap();
        let store: Arc<dyn ServerStore> = Arc::new(SqliteStore::open(&dir.path().join("server.sqlite3")).unwrap());
        transact(&*store, &Scope::Admin, |sql| db::tenant_add(sql, TOWN, "Nabha", &demo_reference(TOWN, "Nabha")))
            .unwrap();
        let (_, code) =
            transact(&*store, &Scope::Admin, |sql| db::device_enroll(sql, TOWN, demo::user_id(Role::Inspector)))
                .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = listener.local_addr().unwrap();
        let app = router(AppState::with_blobs(store, dir.path().join("blobs")));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let enrollment = SyncClient::enroll(&format!("http://{server}"), &code, "bench", None).await.unwrap();

        let link = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let link_url = format!("http://{}", link.local_addr().unwrap());
        let sent = Arc::new(AtomicU64::new(0));
        tokio::spawn(shaped(link, server, sent.clone()));

        // Incompressible bytes, like a JPEG.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let photo: Vec<u8> = (0..PHOTO)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let sha = sha256_hex(&photo);
        let uploader = PhotoUploader::new(&link_url, &enrollment.token);
        let started = Instant::now();
        let report = uploader.upload(&photo, &sha).await.unwrap();
        let took = started.elapsed().as_secs_f64();
        let minimum = PHOTO as f64 / BYTES_PER_SECOND as f64;
        let bytes = sent.load(Ordering::Relaxed);
        println!("| figure | value |");
        println!("|---|---:|");
        println!("| photo | {PHOTO} B |");
        println!("| link | 64 kbit/s up ({BYTES_PER_SECOND} B/s) |");
        println!("| requests | {} |", report.requests);
        println!("| bytes sent (headers included) | {bytes} ({:.3}× the photo) |", bytes as f64 / PHOTO as f64);
        println!("| time | {took:.2} s |");
        println!("| physical minimum | {minimum:.2} s |");
        println!("| time / minimum | {:.3} |", took / minimum);
    });
    runtime.shutdown_background();
}
