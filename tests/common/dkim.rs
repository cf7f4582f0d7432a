//! DKIM keys made with openssl for a test, and dkimpy (Debian's
//! python3-dkim) to verify what guichet signed with them.
#![allow(clippy::unwrap_used)] // test helpers

use std::path::{Path, PathBuf};
use std::process::Command;

use super::manifest_dir;

/// A key pair made by openssl, and the TXT record that publishes it.
pub struct TestKey {
    pub file: PathBuf,
    pub algorithm: &'static str,
    /// `v=DKIM1; k=…; p=…`
    pub txt: String,
}

pub fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl").args(args).output().expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]) } else { '=' });
        }
    }
    out
}

/// An RSA key as `openssl genpkey` writes it (PKCS#8), or in PKCS#1 form.
pub fn rsa_key(dir: &Path, name: &str, pkcs1: bool) -> TestKey {
    let file = dir.join(format!("{name}.pem"));
    let f = file.to_str().unwrap();
    openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", f]);
    if pkcs1 {
        let pkcs1 = dir.join(format!("{name}.pkcs1.pem"));
        openssl(&["pkey", "-in", f, "-traditional", "-out", pkcs1.to_str().unwrap()]);
        std::fs::rename(&pkcs1, &file).unwrap();
        assert!(std::fs::read_to_string(&file).unwrap().starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    }
    let public = openssl(&["pkey", "-in", f, "-pubout", "-outform", "DER"]);
    TestKey { file, algorithm: "rsa-sha256", txt: format!("v=DKIM1; k=rsa; p={}", b64(&public)) }
}

/// An Ed25519 key (PKCS#8); its TXT record holds the bare 32-byte public
/// key (RFC 8463).
pub fn ed25519_key(dir: &Path, name: &str) -> TestKey {
    let file = dir.join(format!("{name}.pem"));
    let f = file.to_str().unwrap();
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", f]);
    let public = openssl(&["pkey", "-in", f, "-pubout", "-outform", "DER"]);
    let raw = &public[public.len() - 32..];
    TestKey { file, algorithm: "ed25519-sha256", txt: format!("v=DKIM1; k=ed25519; p={}", b64(raw)) }
}

pub fn dkim_toml(domain: &str, selector: &str, key: &TestKey) -> String {
    format!(
        "\n[[outgoing.dkim]]\ndomain = \"{domain}\"\nselector = \"{selector}\"\nalgorithm = \"{}\"\nkey_file = \"{}\"\n",
        key.algorithm,
        key.file.display()
    )
}

/// dkimpy's verdict on `raw`, given `records` (`(selector, domain, txt)`)
/// as DNS: `Ok("pass d=… s=… a=…")` or `Err(why)`.
pub fn verify(raw: &[u8], records: &[(&str, &str, &str)]) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mail.eml");
    std::fs::write(&file, raw).unwrap();
    let script = manifest_dir().join("tests/fixtures/dkim/verify.py");
    // Debian's python, which sees python3-dkim (scripts/setup.sh installs it).
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg(&script).arg(&file);
    for (selector, domain, txt) in records {
        cmd.arg(format!("{selector}._domainkey.{domain}={txt}"));
    }
    let out = cmd.output().expect("python3 runs");
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() {
        Ok(said)
    } else {
        Err(format!("{said} {}", String::from_utf8_lossy(&out.stderr)))
    }
}
