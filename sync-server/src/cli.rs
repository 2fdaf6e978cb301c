//! The command line: `serve`, `migrate`, and the admin commands an engineer runs on the
//! server machine (`tenant add`, `user add`, `device enroll | revoke | list`, `ledger verify`,
//! `digit export`).
//! Admin commands work on the same database file as a running server; a revocation is seen by
//! the very next request.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use wardbook::domain::reference::{Tenant, User};
use wardbook::domain::{ReferenceData, Role};
use wardbook::ids::UserId;

use std::sync::Arc;

use crate::db;
use crate::ledger::{self, Verification};
use crate::routes::{AppState, router};
use crate::settings::{Settings, parse_duration};
use crate::store::{self, Scope, ServerStore, transact};

/// The default port (an unassigned one).
pub const DEFAULT_PORT: u16 = 8480;

#[derive(Parser)]
#[command(name = "wardbook-server", about = "Wardbook sync server and its admin commands")]
struct Cli {
    #[command(flatten)]
    data: DataDir,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DataDir {
    /// Directory of the server's SQLite database (default: wardbook-server under the user's
    /// data dir). Ignored with --database.
    #[arg(long, global = true, env = "WARDBOOK_SERVER_DATA")]
    data_dir: Option<PathBuf>,
    /// A PostgreSQL database instead of SQLite: postgres://USER[:PASSWORD]@HOST[:PORT]/DB.
    #[arg(long, global = true, env = "WARDBOOK_DATABASE_URL")]
    database: Option<String>,
}

impl DataDir {
    fn dir(&self) -> anyhow::Result<PathBuf> {
        let dir = match &self.data_dir {
            Some(d) => d.clone(),
            None => {
                dirs::data_dir().context("no data directory for this user; pass --data-dir")?.join("wardbook-server")
            }
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }

    /// Where photos go when `serve` is given no --blob-dir.
    fn blob_dir(&self) -> anyhow::Result<PathBuf> {
        let base = match (&self.database, &self.data_dir) {
            (Some(_), Some(dir)) => dir.clone(),
            (Some(_), None) => std::env::current_dir().context("no current directory; pass --blob-dir")?,
            (None, _) => self.dir()?,
        };
        Ok(base.join("blobs"))
    }

    fn open(&self) -> anyhow::Result<Arc<dyn ServerStore>> {
        let file = if self.database.is_some() { PathBuf::new() } else { database_path(&self.dir()?) };
        Ok(store::open(self.database.as_deref(), &file)?)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sync API.
    Serve {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on (0: any free port; the chosen one is printed).
        #[arg(long, default_value_t = DEFAULT_PORT)]
        port: u16,
        /// Directory of uploaded photos (default: `blobs` in the data directory; with
        /// --database, in --data-dir if given, else in the current directory).
        #[arg(long, env = "WARDBOOK_BLOB_DIR")]
        blob_dir: Option<PathBuf>,
        #[command(flatten)]
        limits: Limits,
    },
    /// Run one collection (expired parked changes, unnamed blobs past the grace window, stale
    /// partial uploads) and print what it removed. `serve` runs it every --gc-interval.
    Gc {
        /// Directory of uploaded photos (as for `serve`).
        #[arg(long, env = "WARDBOOK_BLOB_DIR")]
        blob_dir: Option<PathBuf>,
        #[command(flatten)]
        limits: Limits,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run once after restoring a backup: devices send again what they have and re-read.
    Restored,
    /// Towns.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Staff of a town.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Field devices.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// A town's ledger of receipts: a hash chain that shows tampering.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// DIGIT / UPYOG: a town's records as the create requests of DIGIT's services.
    Digit {
        #[command(subcommand)]
        command: DigitCommand,
    },
}

#[derive(Subcommand)]
enum DigitCommand {
    /// Write a town's payments, FSM applications or vehicle trips of a date range as DIGIT
    /// create requests (one JSON array); print how many and every refused record with why.
    Export(crate::digit::ExportArgs),
    /// Post a town's payments of a date range to its DIGIT / UPYOG collection service, each
    /// once (a payment DIGIT took is skipped after); keep and print DIGIT's answer for each.
    Push(crate::digit::PushArgs),
}

/// The limits of `Settings`, as flags (durations: 500ms, 30s, 15m, 24h, 7d).
#[derive(Args, Clone)]
struct Limits {
    /// Delete a parked change (its dependencies never came) older than this.
    #[arg(long, default_value = "7d", value_parser = parse_duration, env = "WARDBOOK_PARKED_MAX_AGE")]
    parked_max_age: Duration,
    /// Refuse (parked_limit) a change that would park beyond this many per device.
    #[arg(long, default_value_t = 1000, env = "WARDBOOK_PARKED_PER_DEVICE")]
    parked_per_device: u64,
    /// Keep a complete blob no stored record names this long after its upload.
    #[arg(long, default_value = "24h", value_parser = parse_duration, env = "WARDBOOK_BLOB_GRACE")]
    blob_grace: Duration,
    /// Delete a partial upload untouched this long.
    #[arg(long, default_value = "3d", value_parser = parse_duration, env = "WARDBOOK_PARTIAL_MAX_AGE")]
    partial_max_age: Duration,
    /// How often `serve` runs gc.
    #[arg(long, default_value = "1h", value_parser = parse_duration, env = "WARDBOOK_GC_INTERVAL")]
    gc_interval: Duration,
    /// Close a connection that has not sent a whole request header in this time.
    #[arg(long, default_value = "10s", value_parser = parse_duration, env = "WARDBOOK_HEADER_READ_TIMEOUT")]
    header_read_timeout: Duration,
    /// Failed enrollments one client address may make per --enroll-window before 429.
    #[arg(long, default_value_t = 10, env = "WARDBOOK_ENROLL_FAILURES")]
    enroll_failures: u32,
    #[arg(long, default_value = "15m", value_parser = parse_duration, env = "WARDBOOK_ENROLL_WINDOW")]
    enroll_window: Duration,
    /// Behind nginx on the same machine: the header carrying the client's address (e.g.
    /// X-Real-IP), believed only from a loopback peer. Without it every client behind the
    /// proxy shares one enrollment throttle.
    #[arg(long, env = "WARDBOOK_CLIENT_ADDRESS_HEADER")]
    client_address_header: Option<String>,
    /// Wrong office passwords a login may give before it is locked for --office-lockout.
    #[arg(long, default_value_t = 5, env = "WARDBOOK_OFFICE_FREE_FAILURES")]
    office_free_failures: u32,
    /// The first office lockout; each further wrong password doubles it (at most 1 h).
    #[arg(long, default_value = "30s", value_parser = parse_duration, env = "WARDBOOK_OFFICE_LOCKOUT")]
    office_lockout: Duration,
}

impl Limits {
    fn settings(&self) -> Settings {
        Settings {
            parked_max_age: self.parked_max_age,
            parked_per_device: self.parked_per_device,
            blob_grace: self.blob_grace,
            partial_max_age: self.partial_max_age,
            gc_interval: self.gc_interval,
            header_read_timeout: self.header_read_timeout,
            enroll_failures: self.enroll_failures,
            enroll_window: self.enroll_window,
            client_address_header: self.client_address_header.clone(),
            office_free_failures: self.office_free_failures,
            office_lockout_base: self.office_lockout,
        }
    }
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Add a town (`state.city`, e.g. pb.nabha).
    Add {
        id: String,
        #[arg(long)]
        name: String,
        /// Load the demo town's wards, checklists, fee heads, vehicle, FSTP and staff.
        #[arg(long)]
        demo: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add or update a member of staff; prints the user id.
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// A role: inspector, surveyor, collector, sanitation_crew, fstp_operator, supervisor, admin.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// A ward the user works in (repeat; none: the whole town).
        #[arg(long = "ward")]
        wards: Vec<String>,
        /// Keep an existing id (to update a user).
        #[arg(long)]
        id: Option<UserId>,
    },
    /// Set the office console password of a login, read as one line from standard input
    /// (at least 10 characters); every session of the login ends.
    Password {
        /// The sign-in name: 3 to 64 of a-z 0-9 . _ -
        #[arg(long)]
        login: String,
        /// supervisor or admin (a user of a town with that role), or state (read only).
        #[arg(long)]
        role: String,
        /// The town of a supervisor or admin.
        #[arg(long)]
        tenant: Option<String>,
        /// The town's user a supervisor or admin signs in as.
        #[arg(long)]
        user: Option<UserId>,
        /// The state of a state official: the part of its towns' ids before the dot (pb).
        #[arg(long)]
        state: Option<String>,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Register a device for a user; prints a one-time enrollment code.
    Enroll {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        user: UserId,
    },
    /// Revoke a device: its next request is refused.
    Revoke { device: String },
    /// List devices (of one town, or all).
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Recompute a town's chain; names the first entry that does not fit.
    Verify {
        #[arg(long)]
        tenant: String,
    },
    /// Write a town's payments to stdout: DIGIT collection-service JSON, or CSV for accounts.
    Export {
        #[arg(long)]
        tenant: String,
        /// json or csv.
        #[arg(long, default_value = "csv")]
        format: String,
    },
}

/// What the server logs unless `RUST_LOG` says otherwise. Automerge marks some of its decoding
/// steps as info-level spans: formatting them for every change read was 6 % of ingest's CPU.
const DEFAULT_LOG_FILTER: &str = "info,tower_http=warn,automerge=warn";

pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { host, port, blob_dir, limits } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| DEFAULT_LOG_FILTER.into()),
                )
                .with_writer(std::io::stderr)
                .init();
            let store = cli.data.open()?;
            let blob_dir = match blob_dir {
                Some(dir) => dir,
                None => cli.data.blob_dir()?,
            };
            let addr: SocketAddr = format!("{host}:{port}").parse().context("--host and --port make no address")?;
            let settings = limits.settings();
            tokio::runtime::Runtime::new()?.block_on(serve(store, addr, blob_dir, settings))
        }
        Command::Gc { blob_dir, limits } => {
            let store = cli.data.open()?;
            let blob_dir = match blob_dir {
                Some(dir) => dir,
                None => cli.data.blob_dir()?,
            };
            let state = AppState::with_settings(store, blob_dir, limits.settings());
            let done = tokio::runtime::Runtime::new()?.block_on(crate::gc::collect(&state))?;
            println!("{done}");
            Ok(())
        }
        Command::Migrate => {
            let store = cli.data.open()?;
            println!("{} database is at schema version {}", store.backend(), store.schema_version()?);
            Ok(())
        }
        Command::Restored => {
            let towns = transact(&*cli.data.open()?, &Scope::Admin, db::restored)?;
            println!("{towns} towns start a new log epoch; their devices will send their changes again");
            Ok(())
        }
        Command::Tenant { command: TenantCommand::Add { id, name, demo } } => {
            let refs = if demo { demo_reference(&id, &name) } else { ReferenceData::default() };
            transact(&*cli.data.open()?, &Scope::Admin, |sql| db::tenant_add(sql, &id, &name, &refs))?;
            println!("added town {id}");
            for user in &refs.users {
                println!("  user {} {} ({})", user.id, user.name, join(&user.roles));
            }
            Ok(())
        }
        Command::User { command: UserCommand::Add { tenant, name, roles, wards, id } } => {
            let roles = roles.iter().map(|r| r.parse()).collect::<Result<Vec<Role>, _>>()?;
            let user = User { id: id.unwrap_or_default(), name, roles, wards };
            transact(&*cli.data.open()?, &Scope::Admin, |sql| db::user_add(sql, &tenant, &user))?;
            println!("{}", user.id);
            Ok(())
        }
        Command::User { command: UserCommand::Password { login, role, tenant, user, state } } => {
            use crate::office::auth::{Holder, OfficeRole, set_password};
            let role: OfficeRole = role.parse()?;
            let holder = match (tenant, user, state) {
                (Some(tenant), Some(user), None) => Holder::Town { tenant, user },
                (None, None, Some(state)) => Holder::State { state },
                _ => anyhow::bail!("name either --tenant and --user (supervisor, admin) or --state (state)"),
            };
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            let password = line.trim_end_matches(['\n', '\r']);
            transact(&*cli.data.open()?, &Scope::Admin, |sql| set_password(sql, &login, role, &holder, password))?;
            println!("password set for {}", crate::office::auth::clean_login(&login)?);
            Ok(())
        }
        Command::Device { command } => device(&cli.data, command),
        Command::Digit { command: DigitCommand::Export(args) } => crate::digit::run(&*cli.data.open()?, &args),
        Command::Digit { command: DigitCommand::Push(args) } => crate::digit::push(&*cli.data.open()?, &args),
        Command::Ledger { command: LedgerCommand::Export { tenant, format } } => {
            anyhow::ensure!(format == "json" || format == "csv", "--format is json or csv, not {format}");
            let store = cli.data.open()?;
            let receipts =
                transact(&*store, &Scope::Tenant(tenant.clone()), |sql| crate::export::receipts(sql, &tenant))?;
            print!("{}", crate::export::render(&receipts, &format)?);
            Ok(())
        }
        Command::Ledger { command: LedgerCommand::Verify { tenant } } => {
            let store = cli.data.open()?;
            let exists = transact(&*store, &Scope::Admin, |sql| {
                sql.exists("SELECT 1 FROM tenants WHERE id = ?1", crate::params![&tenant])
            })?;
            anyhow::ensure!(exists, crate::error::AppError::UnknownTenant(tenant.clone()));
            match transact(&*store, &Scope::Tenant(tenant.clone()), |sql| ledger::verify(sql, &tenant))? {
                Verification::Intact { entries, head } => {
                    println!("ledger of {tenant}: {entries} entries, intact");
                    println!("head {}", hex::encode(head));
                    Ok(())
                }
                Verification::Broken { n, record, reason } => {
                    let record = record.map(|r| format!(" (record {r})")).unwrap_or_default();
                    anyhow::bail!("ledger of {tenant} is broken at entry {n}{record}: {reason}")
                }
            }
        }
    }
}

fn join(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

fn device(data: &DataDir, command: DeviceCommand) -> anyhow::Result<()> {
    let store = data.open()?;
    match command {
        DeviceCommand::Enroll { tenant, user } => {
            let (device, code) = transact(&*store, &Scope::Admin, |sql| db::device_enroll(sql, &tenant, user))?;
            println!("device {device}");
            println!("enrollment code {code}");
        }
        DeviceCommand::Revoke { device } => {
            transact(&*store, &Scope::Admin, |sql| db::device_revoke(sql, &device))?;
            println!("revoked {device}");
        }
        DeviceCommand::List { tenant } => {
            for d in transact(&*store, &Scope::Admin, |sql| db::device_list(sql, tenant.as_deref()))? {
                let state = if d.revoked {
                    "revoked"
                } else if d.enrolled {
                    "enrolled"
                } else {
                    "code issued"
                };
                // A name stored by an older server may hold anything: never print it raw.
                let name = crate::guard::escape(&d.name.unwrap_or_default());
                println!("{} {} {} {} {}", d.id, d.tenant, d.user_id, state, name);
            }
        }
    }
    Ok(())
}

/// The demo town's reference data under another id and name.
pub fn demo_reference(id: &str, name: &str) -> ReferenceData {
    let mut refs = wardbook::demo::reference();
    if let Some(t) = &mut refs.tenant {
        *t = Tenant { id: id.into(), name: name.into(), ..t.clone() };
    }
    refs
}

/// Serves until Ctrl-C or SIGTERM, keeping photos in `blob_dir`, with gc every
/// `settings.gc_interval`. Prints the address it listens on (useful with port 0).
pub async fn serve(
    store: Arc<dyn ServerStore>,
    addr: SocketAddr,
    blob_dir: PathBuf,
    settings: Settings,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    println!("listening on http://{local}");
    tracing::info!(%local, "wardbook-server listening");
    tracing::info!(backend = store.backend(), "database ready");
    std::fs::create_dir_all(&blob_dir).with_context(|| format!("creating {}", blob_dir.display()))?;
    tracing::info!(blobs = %blob_dir.display(), "photo storage ready");
    crate::gc::set_parked_per_device(settings.parked_per_device);
    let header_read_timeout = settings.header_read_timeout;
    let state = AppState::with_settings(store, blob_dir, settings);
    let gc = crate::gc::spawn_periodic(state.clone());
    crate::serve::serve(listener, router(state), header_read_timeout, shutdown()).await?;
    gc.abort();
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = ctrl_c => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}

/// The path of the database file in a data directory (for tests and docs).
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("wardbook-server.sqlite3")
}
