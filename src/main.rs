//! The command line: parse arguments, call the library.

// The benchmarks and the data generator are tools, not part of the service: they live in the
// binary only.
mod bench;

use clap::{Parser, Subcommand};
use labormatch::config::Settings;
use labormatch::db::{self, Database};
use labormatch::startup::Application;
use labormatch::telemetry;

#[derive(Parser)]
#[command(
    name = "labormatch",
    version,
    about = "Labor-export matching and outcome tracking"
)]
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
    /// Build a fresh index from PostgreSQL beside the live one and swap it in (a running
    /// service picks the new generation up by itself).
    Reindex,
    /// Import a CSV file (same columns and rules as the HTTP imports); prints the row report.
    Import {
        #[arg(value_enum)]
        kind: ImportKind,
        file: std::path::PathBuf,
        /// Save nothing unless every row is good.
        #[arg(long)]
        all_or_nothing: bool,
    },
    /// Create an admin account (the first one, or more). The password is read from
    /// LABORMATCH_ADMIN_PASSWORD or, when unset, from the first line of standard input.
    CreateAdmin {
        #[arg(long)]
        phone: String,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Write a deterministic synthetic program (households, workers, skills, employers,
    /// openings) into the database with COPY, then build a fresh index generation from it.
    Gen {
        /// How many workers (households get two each; one opening per 20 workers).
        #[arg(long)]
        workers: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Measure matching and search latency, write-to-visible time, memory and index size on
    /// the loaded data, against PostgreSQL alone as a baseline; prints markdown tables.
    Bench {
        /// Sampled openings, workers and free-text queries (each).
        #[arg(long, default_value_t = 300)]
        queries: usize,
        /// Single writes timed from commit to visible in the index (0 to skip).
        #[arg(long, default_value_t = 200)]
        writes: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Seconds of wrk load per endpoint and round over HTTP (0 skips the HTTP part; needs
        /// wrk installed).
        #[arg(long, default_value_t = 0)]
        http_secs: u64,
        /// Concurrent connections of the HTTP load.
        #[arg(long, default_value_t = 32)]
        http_connections: usize,
        /// Also write the report (Markdown) to this file.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Also write every figure of the report, under stable names (for example
        /// `candidates.inproc.p50_ms`, `candidates.http.uncached.rps`, `matches.pg.p50_ms`,
        /// `candidates.raw.p50_ms`), as JSON to this file.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
    },
    /// Measure the occupation suggester: top-1/top-5 on the development titles, on the
    /// catalogue's aliases held out fold by fold, and on an independent labelled set (aggregate
    /// figures only), each beside a TF-IDF baseline; then latency per title.
    BenchSuggest {
        #[arg(long, default_value = "tests/data/occupation_titles.csv")]
        dev: std::path::PathBuf,
        /// An independent set (title,code,label_level,sector,city,style); only its aggregate
        /// figures are printed.
        #[arg(long)]
        holdout: Option<std::path::PathBuf>,
        /// Alias folds (0 skips the alias hold-out).
        #[arg(long, default_value_t = 10)]
        folds: usize,
        /// Rounds over every title for the latency figures (0 skips them).
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Refit the suggester's weights on these alias folds (the others reported untouched)
        /// within the development set's floors, and print them.
        #[arg(long)]
        fit: Option<bench::suggest::FitFolds>,
        /// Weight of the development set's top-1 + top-5 in the fit's objective.
        #[arg(long, default_value_t = 0.5)]
        fit_dev_weight: f64,
    },
    /// Measure what authentication costs: the per-request session check against the in-memory
    /// set of ended sessions, the indexed PostgreSQL lookup it replaces, the re-read of the
    /// set, and one argon2id hash with the configured parameters.
    BenchAuth {
        /// Sessions ended inside the access-token lifetime (the size of the set).
        #[arg(long, default_value_t = 10_000)]
        ended: i64,
        #[arg(long, default_value_t = 2_000_000)]
        checks: u64,
        #[arg(long, default_value_t = 2_000)]
        lookups: usize,
        #[arg(long, default_value_t = 20)]
        hashes: usize,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ImportKind {
    Households,
    Graduates,
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
        Command::CreateAdmin { phone, name } => {
            let password = admin_password()?;
            let database = Database::open(&settings).await?;
            db::migrate(&database.config).await?;
            let pool = db::build_pool(database.config.clone(), &settings)?;
            let id = labormatch::services::accounts::create_admin(
                &pool, &settings, &phone, &password, &name,
            )
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "{}",
                    serde_json::to_string(&e.body(labormatch::i18n::Lang::En)).unwrap_or_default()
                )
            })?;
            println!("admin account {id} created for {phone}");
            Ok(())
        }
        Command::Import {
            kind,
            file,
            all_or_nothing,
        } => import(settings, kind, &file, all_or_nothing).await,
        Command::Reindex => {
            let database = Database::open(&settings).await?;
            db::migrate(&database.config).await?;
            std::fs::create_dir_all(&settings.index_dir)?;
            let mut client = db::connect(&database.config).await?;
            let report =
                labormatch::search::indexer::build_generation(&settings.index_dir, &mut client)
                    .await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Gen { workers, seed } => gen(settings, workers, seed).await,
        Command::Bench {
            queries,
            writes,
            seed,
            http_secs,
            http_connections,
            out,
            json,
        } => {
            let http = bench::http::HttpOptions {
                secs: http_secs,
                connections: http_connections,
                threads: 2,
                openings: 1_000,
                seed,
            };
            let opts = bench::run::BenchOptions {
                queries,
                writes,
                seed,
            };
            bench(settings, opts, http, out, json).await
        }
        Command::BenchAuth {
            ended,
            checks,
            lookups,
            hashes,
        } => {
            let database = Database::open(&settings).await?;
            db::migrate(&database.config).await?;
            let opts = bench::auth::AuthOptions {
                ended,
                checks,
                lookups,
                hashes,
            };
            let report = bench::auth::run(&settings, &database.config, &opts).await?;
            println!("{}", bench::auth::markdown(&report));
            Ok(())
        }
        Command::BenchSuggest {
            dev,
            holdout,
            folds,
            rounds,
            fit,
            fit_dev_weight,
        } => {
            let opts = bench::suggest::SuggestBenchOptions {
                dev,
                holdout,
                folds,
                rounds,
                fit,
                fit_dev_weight,
            };
            let report = tokio::task::spawn_blocking(move || bench::suggest::run(&opts)).await??;
            println!("{report}");
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

async fn import(
    settings: Settings,
    kind: ImportKind,
    file: &std::path::Path,
    all_or_nothing: bool,
) -> anyhow::Result<()> {
    use labormatch::imports::{self, ImportMode};
    let source = std::io::BufReader::new(std::fs::File::open(file)?);
    let database = Database::open(&settings).await?;
    db::migrate(&database.config).await?;
    let pool = db::build_pool(database.config.clone(), &settings)?;
    let mode = if all_or_nothing {
        ImportMode::AllOrNothing
    } else {
        ImportMode::BestEffort
    };
    // The command line acts with an administrator's reach; its audit entries say "cli".
    let actor = labormatch::auth::Principal::command_line();
    let result = match kind {
        ImportKind::Households => {
            match imports::Sheet::open(source, &imports::HOUSEHOLD_COLUMNS).await {
                Ok(sheet) => imports::import_households(&pool, &actor, sheet, mode).await,
                Err(e) => Err(e),
            }
        }
        ImportKind::Graduates => {
            match imports::Sheet::open(source, &imports::GRADUATE_COLUMNS).await {
                Ok(sheet) => imports::import_graduates(&pool, &actor, sheet, mode).await,
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Err(e) => anyhow::bail!(
            "{}",
            serde_json::to_string(&e.body(labormatch::i18n::Lang::En)).unwrap_or_default()
        ),
    }
}

async fn gen(settings: Settings, workers: u64, seed: u64) -> anyhow::Result<()> {
    let database = Database::open(&settings).await?;
    db::migrate(&database.config).await?;
    let opts = bench::gen::GenOptions { workers, seed };
    let report = bench::gen::generate(&database.config, &settings.index_dir, &opts).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    println!(
        "load + index: {:.0} workers/s ({:.1} s load, {:.1} s index)",
        report.workers_per_sec, report.load_secs, report.index_secs
    );
    Ok(())
}

async fn bench(
    settings: Settings,
    opts: bench::run::BenchOptions,
    http: bench::http::HttpOptions,
    out: Option<std::path::PathBuf>,
    json: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let database = Database::open(&settings).await?;
    db::migrate(&database.config).await?;
    let report = bench::run::bench(
        &database.config,
        &settings.index_dir,
        &settings.weights,
        &opts,
    )
    .await?;
    let mut text = bench::run::markdown(&report);
    let mut figures = report.figures();
    if http.secs > 0 {
        let over_http = bench::http::load(&settings, &database.config, &http).await?;
        text.push('\n');
        text.push_str(&bench::http::markdown(&over_http, &http));
        figures.extend(over_http.figures());
    }
    println!("{text}");
    if let Some(path) = out {
        std::fs::write(&path, &text)?;
    }
    if let Some(path) = json {
        let doc = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "options": {
                "queries": opts.queries,
                "writes": opts.writes,
                "seed": opts.seed,
                "http_secs": http.secs,
                "http_connections": http.connections,
            },
            "figures": figures,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&doc)?)?;
    }
    Ok(())
}

/// The new admin's password: LABORMATCH_ADMIN_PASSWORD, else typed at the terminal (not
/// echoed, asked twice), else the first line of standard input (scripts). Checked here, so a
/// person learns the rule before anything is started.
fn admin_password() -> anyhow::Result<String> {
    use labormatch::domain::{check_password, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
    use std::io::IsTerminal;
    let rule = format!("{PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters");
    let password = match std::env::var("LABORMATCH_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ if std::io::stdin().is_terminal() => {
            let first = rpassword::prompt_password(format!("Password ({rule}): "))?;
            check_password(&first).map_err(|_| anyhow::anyhow!("the password must be {rule}"))?;
            let again = rpassword::prompt_password("The same password again: ")?;
            if again != first {
                anyhow::bail!("the two passwords differ; nothing was created");
            }
            first
        }
        _ => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    check_password(&password).map_err(|reason| {
        anyhow::anyhow!("the password must be {rule} ({reason}); nothing was created")
    })?;
    Ok(password)
}
