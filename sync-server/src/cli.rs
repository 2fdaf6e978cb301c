//! The command line: `serve`, `migrate`, and the admin commands an engineer runs on the
//! server machine (`tenant add`, `user add`, `device enroll | revoke | list`). Admin commands
//! work on the same database file as a running server; a revocation is seen by the very next
//! request.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use wardbook::domain::reference::{Tenant, User};
use wardbook::domain::{ReferenceData, Role};
use wardbook::ids::UserId;

use crate::db::{self, Db};
use crate::routes::{AppState, router};

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
    /// Directory of the server's database (default: wardbook-server under the user's data dir).
    #[arg(long, global = true, env = "WARDBOOK_SERVER_DATA")]
    data_dir: Option<PathBuf>,
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

    fn open(&self) -> anyhow::Result<Db> {
        let path = database_path(&self.dir()?);
        Ok(Db::open(&path)?)
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
    },
    /// Apply pending database migrations and exit.
    Migrate,
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

pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { host, port } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info,tower_http=warn".into()),
                )
                .with_writer(std::io::stderr)
                .init();
            let db = cli.data.open()?;
            let addr: SocketAddr = format!("{host}:{port}").parse().context("--host and --port make no address")?;
            tokio::runtime::Runtime::new()?.block_on(serve(db, addr))
        }
        Command::Migrate => {
            cli.data.open()?;
            println!("database is at schema version {}", db::SCHEMA_VERSION);
            Ok(())
        }
        Command::Tenant { command: TenantCommand::Add { id, name, demo } } => {
            let refs = if demo { demo_reference(&id, &name) } else { ReferenceData::default() };
            db::tenant_add(&mut cli.data.open()?.lock(), &id, &name, &refs)?;
            println!("added town {id}");
            for user in &refs.users {
                println!("  user {} {} ({})", user.id, user.name, join(&user.roles));
            }
            Ok(())
        }
        Command::User { command: UserCommand::Add { tenant, name, roles, wards, id } } => {
            let roles = roles.iter().map(|r| r.parse()).collect::<Result<Vec<Role>, _>>()?;
            let user = User { id: id.unwrap_or_default(), name, roles, wards };
            db::user_add(&mut cli.data.open()?.lock(), &tenant, &user)?;
            println!("{}", user.id);
            Ok(())
        }
        Command::Device { command } => device(&cli.data, command),
    }
}

fn join(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

fn device(data: &DataDir, command: DeviceCommand) -> anyhow::Result<()> {
    let db = data.open()?;
    match command {
        DeviceCommand::Enroll { tenant, user } => {
            let (device, code) = db::device_enroll(&mut db.lock(), &tenant, user)?;
            println!("device {device}");
            println!("enrollment code {code}");
        }
        DeviceCommand::Revoke { device } => {
            db::device_revoke(&mut db.lock(), &device)?;
            println!("revoked {device}");
        }
        DeviceCommand::List { tenant } => {
            for d in db::device_list(&db.lock(), tenant.as_deref())? {
                let state = if d.revoked {
                    "revoked"
                } else if d.enrolled {
                    "enrolled"
                } else {
                    "code issued"
                };
                println!("{} {} {} {} {}", d.id, d.tenant, d.user_id, state, d.name.unwrap_or_default());
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

/// Serves until Ctrl-C or SIGTERM. Prints the address it listens on (useful with port 0).
pub async fn serve(db: Db, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    println!("listening on http://{local}");
    tracing::info!(%local, "wardbook-server listening");
    axum::serve(listener, router(AppState::new(db))).with_graceful_shutdown(shutdown()).await?;
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
