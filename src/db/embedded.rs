//! The project's own PostgreSQL cluster, used when no database URL is configured.
//!
//! `initdb` on first use, then the server runs as a child of this process, listening only on a
//! unix socket inside the data directory (nobody else on the machine can connect; trust auth is
//! therefore safe). The child gets `PR_SET_PDEATHSIG`, so even a `kill -9` of the service takes
//! the database down with it, and `stop` shuts it down cleanly on Ctrl-C and SIGTERM.
//! PostgreSQL refuses to run as root, so when we are root the cluster belongs to an
//! unprivileged system user (`postgres`, or `LABORMATCH_PG_USER`).

use std::ffi::CString;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};

/// A running private cluster. Dropping it stops the server it started.
pub struct EmbeddedPostgres {
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub port: u16,
    server: Option<ServerProcess>,
    bin: PathBuf,
    log_path: PathBuf,
    run_as: Option<RunAs>,
}

/// The server process, spawned by and waited on by a thread of its own: the parent-death
/// signal follows the spawning *thread*, so that thread must live exactly as long as the server.
struct ServerProcess {
    pid: libc::pid_t,
    waiter: std::thread::JoinHandle<()>,
}

#[derive(Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

impl EmbeddedPostgres {
    /// Starts (creating if needed) the cluster under `root` (`root/postgres`, socket in `root/run`).
    pub fn start(root: &Path) -> anyhow::Result<EmbeddedPostgres> {
        let bin = find_bin_dir()?;
        fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
        let mut root = root
            .canonicalize()
            .with_context(|| format!("resolving {}", root.display()))?;
        let run_as = unprivileged_user()?;
        if let Some(user) = run_as {
            if let Err(why) = check_traversable(&root, user) {
                // e.g. a clone under /root: keep the cluster where its user can reach it.
                let fallback = fallback_root(&root);
                tracing::warn!(%why, dir = %fallback.display(), "keeping the cluster elsewhere");
                fs::create_dir_all(&fallback)?;
                fs::set_permissions(&fallback, fs::Permissions::from_mode(0o755))?;
                check_traversable(&fallback, user)?;
                root = fallback;
            }
        }
        let data_dir = root.join("postgres");
        let socket_dir = root.join("run");

        if !data_dir.join("PG_VERSION").exists() {
            init_cluster(&bin, &data_dir, run_as)?;
        }
        fs::create_dir_all(&socket_dir)?;
        fs::set_permissions(&socket_dir, fs::Permissions::from_mode(0o700))?;
        if let Some(user) = run_as {
            chown(&socket_dir, user)?;
        }

        if let Some(port) = running_instance(&data_dir)? {
            tracing::warn!(
                port,
                "the private PostgreSQL cluster is already running (another labormatch?); using it"
            );
            return Ok(EmbeddedPostgres {
                data_dir,
                socket_dir,
                port,
                server: None,
                bin,
                log_path: root.join("postgres.log"),
                run_as,
            });
        }

        let port = free_port()?;
        let log_path = root.join("postgres.log");
        let mut pg = EmbeddedPostgres {
            data_dir,
            socket_dir,
            port,
            server: None,
            bin,
            log_path,
            run_as,
        };
        pg.spawn()?;
        Ok(pg)
    }

    /// Stops the server and starts it again on the same socket (the fault tests take the
    /// database away under a running service and bring it back).
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.spawn()
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let (bin, data_dir, socket_dir, port, run_as) = (
            self.bin.clone(),
            self.data_dir.clone(),
            self.socket_dir.clone(),
            self.port,
            self.run_as,
        );
        let log_path = self.log_path.clone();
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        if let Some(user) = run_as {
            chown(&log_path, user)?;
        }
        let mut cmd = Command::new(bin.join("postgres"));
        cmd.arg("-D")
            .arg(&data_dir)
            .arg("-p")
            .arg(port.to_string())
            .arg("-c")
            .arg("listen_addresses=")
            .arg("-c")
            .arg(format!("unix_socket_directories={}", socket_dir.display()))
            .arg("-c")
            .arg("unix_socket_permissions=0700")
            .arg("-c")
            .arg("max_connections=300")
            .arg("-c")
            .arg("shared_buffers=256MB")
            .arg("-c")
            .arg("fsync=on")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Our terminal's Ctrl-C reaches us, and we stop the server in order.
            .process_group(0);
        if let Some(user) = run_as {
            cmd.uid(user.uid).gid(user.gid);
        }
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // Set after the uid change: changing credentials clears the death signal.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::getppid() != parent {
                    return Err(std::io::Error::other("parent exited"));
                }
                Ok(())
            });
        }
        let (pid_tx, pid_rx) = std::sync::mpsc::channel();
        let waiter = std::thread::Builder::new()
            .name("postgres-child".into())
            .spawn(move || match cmd.spawn() {
                Ok(mut child) => {
                    let _ = pid_tx.send(Ok(child.id() as libc::pid_t));
                    let _ = child.wait();
                }
                Err(e) => {
                    let _ = pid_tx.send(Err(e));
                }
            })?;
        let pid = pid_rx
            .recv()
            .context("the postgres spawning thread died")?
            .context("starting postgres")?;
        self.server = Some(ServerProcess { pid, waiter });
        self.wait_ready(Duration::from_secs(60), &log_path)
    }

    fn wait_ready(&mut self, timeout: Duration, log_path: &Path) -> anyhow::Result<()> {
        let socket = self.socket_dir.join(format!(".s.PGSQL.{}", self.port));
        let started = Instant::now();
        loop {
            if let Some(server) = self.server.as_ref() {
                if server.waiter.is_finished() {
                    self.server = None;
                    bail!(
                        "postgres exited during start-up; see {}:\n{}",
                        log_path.display(),
                        tail(log_path, 15)
                    );
                }
            }
            if socket.exists() && std::os::unix::net::UnixStream::connect(&socket).is_ok() {
                // The socket accepts before recovery ends; the pool retries on "starting up".
                return Ok(());
            }
            if started.elapsed() > timeout {
                bail!(
                    "postgres did not start within {timeout:?}; see {}",
                    log_path.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Connection string for tokio-postgres, as the superuser `postgres`.
    pub fn connection_string(&self, database: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={}",
            self.socket_dir.display(),
            self.port,
            database
        )
    }

    /// Fast shutdown: disconnects clients, checkpoints, exits. Waits for the process to end.
    pub fn stop(&mut self) {
        let Some(server) = self.server.take() else {
            return;
        };
        // SAFETY: kill(2) on the pid of the child we spawned, which its waiter has not reaped.
        unsafe {
            libc::kill(server.pid, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while !server.waiter.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(25));
        }
        if !server.waiter.is_finished() {
            // SAFETY: as above; immediate shutdown as a last resort.
            unsafe {
                libc::kill(server.pid, libc::SIGQUIT);
            }
        }
        let _ = server.waiter.join();
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The directory holding `initdb` and `postgres`. When they are missing and we are root on
/// Debian/Ubuntu, installs them with apt-get (LABORMATCH_PG_AUTO_INSTALL=0 turns this off).
pub fn find_bin_dir() -> anyhow::Result<PathBuf> {
    match locate_bin_dir() {
        Ok(dir) => Ok(dir),
        Err(missing) => {
            let allowed = std::env::var("LABORMATCH_PG_AUTO_INSTALL").map(|v| v != "0");
            // SAFETY: geteuid has no preconditions.
            let root = unsafe { libc::geteuid() } == 0;
            if !root || !allowed.unwrap_or(true) || !Path::new("/usr/bin/apt-get").exists() {
                return Err(missing);
            }
            tracing::warn!("PostgreSQL server binaries are missing; installing them with apt-get");
            for args in [
                &["update", "-q"][..],
                &[
                    "install",
                    "-y",
                    "-q",
                    "--no-install-recommends",
                    "postgresql",
                ][..],
            ] {
                let status = Command::new("apt-get")
                    .args(args)
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .status()
                    .context("running apt-get")?;
                if !status.success() {
                    bail!("apt-get {} failed ({status}); {missing}", args.join(" "));
                }
            }
            locate_bin_dir()
        }
    }
}

/// On LABORMATCH_PG_BIN, the newest /usr/lib/postgresql/*/bin, or PATH.
fn locate_bin_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("LABORMATCH_PG_BIN") {
        let dir = PathBuf::from(dir);
        if dir.join("postgres").exists() {
            return Ok(dir);
        }
        bail!("LABORMATCH_PG_BIN={} has no postgres binary", dir.display());
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                    let bin = e.path().join("bin");
                    (bin.join("postgres").exists() && bin.join("initdb").exists())
                        .then_some((v, bin))
                })
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("postgres").exists() && dir.join("initdb").exists() {
                return Ok(dir);
            }
        }
    }
    bail!(
        "PostgreSQL server binaries (initdb, postgres) were not found on PATH or under \
         /usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: apt-get install postgresql), \
         set LABORMATCH_PG_BIN to their directory, or set LABORMATCH_DATABASE_URL to use an \
         existing database."
    )
}

fn init_cluster(bin: &Path, data_dir: &Path, run_as: Option<RunAs>) -> anyhow::Result<()> {
    tracing::info!(dir = %data_dir.display(), "creating the private PostgreSQL cluster");
    // A half-made directory from an interrupted initdb would make initdb refuse.
    if data_dir.exists() {
        fs::remove_dir_all(data_dir)?;
    }
    fs::create_dir_all(data_dir)?;
    fs::set_permissions(data_dir, fs::Permissions::from_mode(0o700))?;
    if let Some(user) = run_as {
        chown(data_dir, user)?;
    }
    let mut cmd = Command::new(bin.join("initdb"));
    cmd.arg("-D")
        .arg(data_dir)
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ])
        .arg("--no-sync")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .current_dir("/");
    if let Some(user) = run_as {
        cmd.uid(user.uid).gid(user.gid);
    }
    let out = cmd.output().context("running initdb")?;
    if !out.status.success() {
        bail!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// If `postmaster.pid` names a live postgres, returns its port; removes a stale file.
fn running_instance(data_dir: &Path) -> anyhow::Result<Option<u16>> {
    let pid_file = data_dir.join("postmaster.pid");
    let Ok(text) = fs::read_to_string(&pid_file) else {
        return Ok(None);
    };
    let mut lines = text.lines();
    let pid: Option<i32> = lines.next().and_then(|l| l.trim().parse().ok());
    let port: Option<u16> = lines.nth(2).and_then(|l| l.trim().parse().ok());
    if let (Some(pid), Some(port)) = (pid, port) {
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "postgres" || comm.trim() == "postmaster" {
            return Ok(Some(port));
        }
    }
    tracing::warn!(file = %pid_file.display(), "removing a stale postmaster.pid");
    fs::remove_file(&pid_file).with_context(|| format!("removing {}", pid_file.display()))?;
    Ok(None)
}

fn free_port() -> anyhow::Result<u16> {
    // The server listens on a unix socket only; the port just names the socket file, but a
    // free TCP port keeps it usable if someone turns TCP on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn unprivileged_user() -> anyhow::Result<Option<RunAs>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = std::env::var("LABORMATCH_PG_USER").unwrap_or_else(|_| "postgres".into());
    let cname = CString::new(name.clone())?;
    // SAFETY: getpwnam returns a pointer to static storage or null; we copy out at once.
    let pw = unsafe { libc::getpwnam(cname.as_ptr()) };
    if pw.is_null() {
        bail!(
            "running as root, and PostgreSQL refuses to run as root: create an unprivileged \
             user {name:?} (useradd --system {name}) or set LABORMATCH_PG_USER, or run as an \
             ordinary user"
        );
    }
    // SAFETY: pw is non-null and points to a valid passwd entry.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    Ok(Some(RunAs { uid, gid }))
}

fn chown(path: &Path, user: RunAs) -> anyhow::Result<()> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
        .with_context(|| format!("chown {}", path.display()))
}

/// The cluster's user must be able to reach its directory through every parent.
fn check_traversable(root: &Path, user: RunAs) -> anyhow::Result<()> {
    let mut dir = root.parent();
    while let Some(d) = dir {
        let meta = fs::metadata(d)?;
        let mode = meta.permissions().mode();
        use std::os::unix::fs::MetadataExt;
        let ok = mode & 0o001 != 0
            || (meta.uid() == user.uid && mode & 0o100 != 0)
            || (meta.gid() == user.gid && mode & 0o010 != 0);
        if !ok {
            return Err(anyhow!(
                "the database user cannot enter {} (mode {:o}); run from a directory others \
                 can reach, set LABORMATCH_DATA_DIR to one, or chmod o+x {}",
                d.display(),
                mode & 0o777,
                d.display()
            ));
        }
        dir = d.parent();
    }
    Ok(())
}

fn fallback_root(root: &Path) -> PathBuf {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(root.as_os_str().as_encoded_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    PathBuf::from("/var/lib/labormatch").join(short)
}

fn tail(path: &Path, lines: usize) -> String {
    let Ok(file) = fs::File::open(path) else {
        return String::new();
    };
    let all: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
