//! The Debian package (`scripts/package.sh`): its sample config, its
//! systemd unit, and a whole life on this machine: installed, the unit's
//! own command run as the `guichet` user against the test Dovecot and
//! Postfix, then purged. Installing needs root and dpkg; without them that
//! test says why and does nothing. It is meant for test machines: it
//! purges any guichet package installed and removes /etc/guichet first,
//! so that a run that failed half-way leaves nothing in the next one's way.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::running::{message, wait_until};
use common::servers::{subject, Servers};
use common::*;
use serde_json::Value;

const UNIT: &str = "/lib/systemd/system/guichet.service";
const ETC: &str = "/etc/guichet";
const STATE: &str = "/var/lib/guichet";
const WAIT: Duration = Duration::from_secs(60);

fn sample() -> String {
    std::fs::read_to_string(manifest_dir().join("packaging/guichet.toml")).expect("packaging/guichet.toml")
}

fn guichet(config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("GUICHET_LOG", "warn")
        .output()
        .expect("run guichet")
}

#[test]
fn shipped_config_passes_check_once_its_two_password_files_exist() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().to_str().unwrap();
    let config = dir.path().join("guichet.toml");
    let text = sample().replace("/etc/guichet", etc);
    std::fs::write(&config, text).unwrap();

    // As shipped: the secrets are what the admin must add, and check names them.
    let out = guichet(&config, &["check"]);
    assert_eq!(out.status.code(), Some(78));
    let problems = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = problems.lines().collect();
    assert_eq!(lines.len(), 2, "{problems}");
    assert!(lines[0].contains("`mailbox[0].password_file`") && lines[0].contains("imap-password"), "{problems}");
    assert!(lines[1].contains("`outgoing.password_file`") && lines[1].contains("smtp-password"), "{problems}");

    std::fs::write(dir.path().join("imap-password"), "imap secret\n").unwrap();
    std::fs::write(dir.path().join("smtp-password"), "smtp secret\n").unwrap();
    let out = guichet(&config, &["check"]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("config and templates are valid"));
}

/// `systemd-analyze security` grades the unit without a running systemd;
/// the figure is in docs/operations.md. A hardening line removed raises it.
#[test]
fn unit_file_is_graded_well_hardened_by_systemd_analyze() {
    let unit = manifest_dir().join("packaging/guichet.service");
    let out = match Command::new("systemd-analyze").args(["security", "--offline=true"]).arg(&unit).output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipped: systemd-analyze is missing ({e}); scripts/package.sh installs it");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let overall = text.lines().find(|l| l.contains("Overall exposure level")).unwrap_or_else(|| panic!("{text}"));
    let score: f64 = overall
        .split(':')
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no score in `{overall}`"));
    assert!(score <= 1.2, "exposure {score} (was 1.1): {overall}\n{text}");
    // What the desk needs stays open: the network, and only the families it uses.
    for line in [
        "User=guichet",
        "ExecStart=/usr/bin/guichet --config /etc/guichet/guichet.toml run",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "StateDirectory=guichet",
    ] {
        let unit_text = std::fs::read_to_string(&unit).unwrap();
        assert!(unit_text.lines().any(|l| l == line), "`{line}` missing from the unit");
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn has(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn sh(cmd: &str) -> std::process::Output {
    Command::new("sh").args(["-c", cmd]).output().expect("sh")
}

fn must(cmd: &str) -> String {
    let out = sh(cmd);
    assert!(
        out.status.success(),
        "`{cmd}` failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn mode_owner(path: &str) -> (u32, String, String) {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let owner = must(&format!("stat -c %U:%G {path}"));
    let (user, group) = owner.trim().split_once(':').unwrap();
    (meta.permissions().mode() & 0o7777, user.to_string(), group.to_string())
}

/// The unit's process: killed when dropped (a failed assertion).
struct Service(std::process::Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A key of the installed unit's [Service] section.
fn unit_value(unit: &str, key: &str) -> String {
    unit.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in the unit"))
        .to_string()
}

/// As the guichet user, the unit's umask and working directory, the way
/// systemd would start it (without the sandbox only systemd makes).
fn as_guichet(unit: &str, argv: &[&str]) -> Command {
    let mut c = Command::new("setpriv");
    c.args(["--reuid", "guichet", "--regid", "guichet", "--init-groups", "--", "sh", "-c"])
        .arg(format!("umask {} && exec \"$@\"", unit_value(unit, "UMask")))
        .arg("sh")
        .args(argv)
        .current_dir(unit_value(unit, "WorkingDirectory"))
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("GUICHET_LOG", "info");
    c
}

#[test]
fn package_installs_runs_its_unit_command_as_guichet_and_purges_clean() {
    if !is_root() || !has("dpkg") || !has("setpriv") {
        eprintln!("skipped: installing the package needs root, dpkg and setpriv");
        return;
    }
    let srv = Servers::get();
    let work = tempfile::tempdir().unwrap();

    // An earlier run that failed may have left the package or our files.
    let _ = sh("dpkg --purge guichet");
    let _ = std::fs::remove_dir_all(ETC);

    let started = Instant::now();
    let script = manifest_dir().join("scripts/package.sh");
    let mut package = Command::new(&script);
    package.args(["--debug", "--output"]).arg(work.path());
    // The variables cargo sets for a test: a build script that watches one
    // (ring's, CARGO_MANIFEST_DIR) would make the script's build differ
    // from the test's and rebuild half the tree.
    for (key, _) in std::env::vars() {
        if key == "CARGO" || (key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_TARGET_DIR") {
            package.env_remove(key);
        }
    }
    let out = package.output().expect("package.sh");
    assert!(out.status.success(), "package.sh failed:\n{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("packaging took {:.1} s", started.elapsed().as_secs_f64());
    let deb = PathBuf::from(String::from_utf8_lossy(&out.stdout).lines().last().unwrap().trim());
    let name = deb.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(name, format!("guichet_{}_amd64.deb", env!("CARGO_PKG_VERSION")));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Overall exposure level"));

    must(&format!("dpkg -i {}", deb.display()));

    // The user, the files and their rights.
    let passwd = must("getent passwd guichet");
    let fields: Vec<&str> = passwd.trim().split(':').collect();
    assert_eq!(fields[5], STATE, "{passwd}");
    assert_eq!(fields[6], "/usr/sbin/nologin", "{passwd}");
    assert!(fields[2].parse::<u32>().unwrap() < 1000, "not a system uid: {passwd}");
    must("getent group guichet");
    assert_eq!(mode_owner("/usr/bin/guichet"), (0o755, "root".into(), "root".into()));
    assert_eq!(mode_owner(ETC), (0o750, "root".into(), "guichet".into()));
    assert_eq!(mode_owner("/etc/guichet/guichet.toml"), (0o640, "root".into(), "guichet".into()));
    assert_eq!(mode_owner(STATE), (0o750, "guichet".into(), "guichet".into()));
    assert_eq!(mode_owner(UNIT).0, 0o644);
    assert!(must("dpkg-query -W -f='${Conffiles}' guichet").contains("/etc/guichet/guichet.toml"));
    assert_eq!(std::fs::read_to_string("/etc/guichet/guichet.toml").unwrap(), sample());
    let unit = std::fs::read_to_string(UNIT).unwrap();

    // What the admin adds: secrets, the CA of a private relay. Templates
    // are built in: the desk needs no file of them.
    let admin_files = ["imap-password", "smtp-password", "ca.pem"];
    must(&format!(
        "install -m 0640 -g guichet /dev/null {ETC}/imap-password && printf '%s\\n' '{pw}' > {ETC}/imap-password \
         && install -m 0640 -g guichet /dev/null {ETC}/smtp-password \
         && install -m 0644 {ca} {ETC}/ca.pem",
        pw = srv.password,
        ca = srv.ca_file.display()
    ));

    // The installed sample, as the service user reads it.
    let sample_copy = work.path().join("sample.toml");
    std::fs::write(&sample_copy, std::fs::read_to_string("/etc/guichet/guichet.toml").unwrap()).unwrap();
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&sample_copy, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out =
        as_guichet(&unit, &["/usr/bin/guichet", "--config", sample_copy.to_str().unwrap(), "check"]).output().unwrap();
    assert!(out.status.success(), "check of the sample: {}", String::from_utf8_lossy(&out.stdout));

    // The admin's config: the test servers, SQLite in the state directory.
    let support = srv.user("support");
    let alice = srv.user("alice");
    let tech = srv.user("tech");
    let mailbox = srv
        .mailbox_toml("support", &support, "keep")
        .replace("password_env = \"GUICHET_TEST_MAIL_PASSWORD\"", "password_file = \"/etc/guichet/imap-password\"")
        .replace(&srv.ca_file.display().to_string(), "/etc/guichet/ca.pem");
    let outgoing = srv.outgoing_toml().replace(&srv.ca_file.display().to_string(), "/etc/guichet/ca.pem");
    std::fs::write(
        "/etc/guichet/guichet.toml",
        format!(
            "[database]\nurl = \"sqlite:///var/lib/guichet/guichet.db\"\n{mailbox}\n{outgoing}\n\
             [tickets]\nsubject_tag = \"Guichet\"\nlanguage = \"fr\"\n\n\
             [[technician]]\nemail = \"{tech}\"\nname = \"Tess Tech\"\ngroups = [\"poste\"]\n"
        ),
    )
    .unwrap();

    srv.send(
        &alice,
        &[&support],
        &message(&alice, &support, "Imprimante du 2e en panne", "pkg-1@example.test", "", "Elle ne répond plus."),
    );

    // The unit's own command line, as the guichet user.
    let exec = unit_value(&unit, "ExecStart");
    let argv: Vec<&str> = exec.split_whitespace().collect();
    let log = work.path().join("service.log");
    let mut service = Service(
        as_guichet(&unit, &argv)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start the service command"),
    );
    let service_log = || std::fs::read_to_string(&log).unwrap_or_default();

    let list = || {
        let out = as_guichet(
            &unit,
            &["/usr/bin/guichet", "--config", "/etc/guichet/guichet.toml", "ticket", "list", "--json"],
        )
        .output()
        .unwrap();
        serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap_or_default()
    };
    let start = Instant::now();
    while list().is_empty() {
        assert!(start.elapsed() < WAIT, "no ticket after {WAIT:?}; service log:\n{}", service_log());
        assert!(service.0.try_wait().unwrap().is_none(), "the service exited:\n{}", service_log());
        std::thread::sleep(Duration::from_millis(250));
    }
    let tickets = list();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["subject"], "Imprimante du 2e en panne");
    let ack = srv.wait_for(&alice, "INBOX", 1, WAIT);
    let got = subject(&ack[0]);
    assert!(got.contains(&format!("[Guichet #{}]", tickets[0]["number"])), "acknowledgement subject: {got}");

    // The database is the service user's alone (UMask=0077).
    assert_eq!(mode_owner("/var/lib/guichet/guichet.db"), (0o600, "guichet".into(), "guichet".into()));

    // systemctl stop: SIGTERM, and a clean exit.
    must(&format!("kill -TERM {}", service.0.id()));
    let mut status = None;
    wait_until("the service stops on SIGTERM", WAIT, || {
        status = service.0.try_wait().unwrap();
        status.is_some()
    });
    assert!(status.unwrap().success(), "exit {status:?}:\n{}", service_log());

    // remove keeps the data, the user and the config; purge takes them.
    must("dpkg --remove guichet");
    assert!(Path::new("/var/lib/guichet/guichet.db").exists());
    assert!(Path::new("/etc/guichet/guichet.toml").exists());
    must("getent passwd guichet");
    assert!(!Path::new("/usr/bin/guichet").exists());

    must("dpkg --purge guichet");
    assert!(
        !sh("dpkg-query -W guichet").status.success()
            || must("dpkg-query -W -f='${Status}' guichet").contains("not-installed")
    );
    for gone in ["/usr/bin/guichet", UNIT, STATE, "/etc/guichet/guichet.toml"] {
        assert!(!Path::new(gone).exists(), "{gone} is still there after purge");
    }
    assert!(!sh("getent passwd guichet").status.success(), "the guichet user is still there");
    assert!(!sh("getent group guichet").status.success(), "the guichet group is still there");
    // What the admin wrote stays.
    let mut left: Vec<String> =
        std::fs::read_dir(ETC).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    let mut expected: Vec<String> = admin_files.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(left, expected);
    std::fs::remove_dir_all(ETC).unwrap();
}
