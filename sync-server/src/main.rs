//! `wardbook-server`: serve, migrate, and the admin commands.

fn main() -> anyhow::Result<()> {
    wardbook_server::cli::main()
}
