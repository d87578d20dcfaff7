//! The command line: parse arguments, call the library.

use clap::{Parser, Subcommand};
use labormatch::config::Settings;
use labormatch::db::{self, Database};
use labormatch::startup::Application;
use labormatch::telemetry;

#[derive(Parser)]
#[command(name = "labormatch", version, about = "Labor-export matching and outcome tracking")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default). Starts a private PostgreSQL under .data unless
    /// LABORMATCH_DATABASE_URL is set.
    Serve,
    /// Apply migrations and load the seed data, then exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    telemetry::init(settings.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            let database = Database::open(&settings).await?;
            db::migrate(&database.config).await?;
            println!("migrations applied, seed data loaded");
            Ok(())
        }
        Command::Openapi => {
            let doc = labormatch::routes::openapi();
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let database = Database::open(&settings).await?;
    db::migrate(&database.config).await?;
    let bind = settings.bind.clone();
    let app = Application::build(settings, database.config.clone()).await?;
    tracing::info!(%bind, port = app.port(), "labormatch is serving");
    app.run_until_stopped().await?;
    tracing::info!("stopped; shutting down the database");
    drop(database);
    Ok(())
}
