//! No line of tlsim's default text output is wider than 100 columns on the shipped
//! scenarios: `run` of each, `study` (few connections) and `study --compare no-dhe` of
//! each, the demos, the profile catalogue, and the flagship's text (`flagship_fits`, about
//! 30 s in the test profile).

use std::process::Command;

const WIDTH: usize = 100;

fn text(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("NO_COLOR", "1")
        .output()
        .expect("run tlsim");
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8")
}

fn assert_fits(args: &[&str], out: &str) {
    let wide: Vec<&str> = out.lines().filter(|l| l.chars().count() > WIDTH).collect();
    assert!(
        wide.is_empty(),
        "{args:?}: lines over {WIDTH} columns:\n{}",
        wide.join("\n")
    );
}

fn scenarios() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| format!("scenarios/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    v.sort();
    assert!(v.len() >= 10, "{v:?}");
    v
}

#[test]
fn run_of_every_scenario_fits() {
    for sc in scenarios() {
        let args = ["run", sc.as_str()];
        assert_fits(&args, &text(&args));
    }
}

#[test]
fn study_and_compare_of_every_scenario_fit() {
    let dir = std::env::temp_dir().join(format!("tlsim-width-{}", std::process::id()));
    for (i, sc) in scenarios().iter().enumerate() {
        let state = dir.join(i.to_string()).to_string_lossy().into_owned();
        let args = [
            "study",
            sc.as_str(),
            "--connections",
            "100",
            "--compare",
            "no-dhe",
            "--state-dir",
            &state,
        ];
        assert_fits(&args, &text(&args));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demos_and_profiles_fit() {
    for args in [
        &["demo"][..],
        &["profiles"],
        &["profiles", "show", "win2012r2@2019-10-08"],
    ] {
        assert_fits(args, &text(args));
    }
    for demo in [
        "dhe-leading-zero",
        "ems-resumption",
        "ftps-data-channel",
        "message-limit",
        "no-shared-cipher",
        "kb4557473",
        "tls13-ffdhe",
    ] {
        let args = ["demo", demo, "--no-pause", "--connections", "2000"];
        assert_fits(&args, &text(&args));
    }
}

#[test]
fn flagship_fits() {
    assert_fits(&[], &text(&[]));
}
