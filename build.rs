//! Detects `openssl` on PATH for the interop tests (tests/bridge_openssl.rs): without it they
//! are marked ignored ("skipped: openssl not found"), so cargo counts them as skipped rather
//! than passed. (The library links libcrypto only for its fast modexp feature.)

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tlsim_no_openssl)");
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rerun-if-env-changed=TLSIM_OPENSSL");
    println!("cargo:rerun-if-changed=build.rs");
    // TLSIM_OPENSSL names another binary to probe (e.g. a missing one, to see the skip).
    let bin = std::env::var("TLSIM_OPENSSL").unwrap_or_else(|_| "openssl".into());
    let found = std::process::Command::new(bin)
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        println!("cargo:warning=openssl not found: tests/bridge_openssl.rs is skipped (apt-get install openssl)");
        println!("cargo:rustc-cfg=tlsim_no_openssl");
    }
}
