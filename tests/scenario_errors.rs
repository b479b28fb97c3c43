//! Bad scenario files give a one-screen error naming file:line and the field.

use tlsim::scenario::Scenario;

const GOOD: &str = r#"description = "x"

[[server]]
host = "web"
profile = "rfc-strict"

[[client]]
host = "c"
profile = "rfc-strict"
connections = 2
targets = ["web:443"]
"#;

fn err(text: &str) -> String {
    Scenario::parse(text, "bad.toml", "bad", None)
        .expect_err("must be rejected")
        .to_string()
}

#[test]
fn the_good_file_parses() {
    let sc = Scenario::parse(GOOD, "good.toml", "good", None).expect("valid");
    assert_eq!(sc.fleet.clients[0].connections, 2);
}

#[test]
fn unknown_profile_names_the_line_and_suggests() {
    let e = err(&GOOD.replace(
        "profile = \"rfc-strict\"\n\n[[client]]",
        "profile = \"rfc-strikt\"\n\n[[client]]",
    ));
    assert!(e.starts_with("bad.toml:5:"), "{e}");
    assert!(e.contains("rfc-strikt") && e.contains("rfc-strict"), "{e}");
}

#[test]
fn wrong_type_names_the_line() {
    let e = err(&GOOD.replace("connections = 2", "connections = \"two\""));
    assert!(e.starts_with("bad.toml:10:"), "{e}");
    assert!(e.contains("invalid type"), "{e}");
}

#[test]
fn missing_field_names_the_table() {
    let e = err(&GOOD.replace("connections = 2\n", ""));
    assert!(
        e.starts_with("bad.toml:7:") || e.starts_with("bad.toml:8:"),
        "{e}"
    );
    assert!(e.contains("connections"), "{e}");
}

#[test]
fn negative_count_names_the_line() {
    let e = err(&GOOD.replace("connections = 2", "connections = -5"));
    assert!(e.starts_with("bad.toml:10:"), "{e}");
    assert!(e.contains("-5"), "{e}");
}

#[test]
fn unknown_field_and_bad_target_are_rejected() {
    let e = err(&GOOD.replace("connections = 2", "connections = 2\nconections = 3"));
    assert!(
        e.starts_with("bad.toml:11:") && e.contains("conections"),
        "{e}"
    );
    let e = err(&GOOD.replace("web:443", "web:444"));
    assert!(
        e.starts_with("bad.toml:11:") && e.contains("web:443"),
        "{e}"
    );
}

#[test]
fn a_bad_knob_in_set_names_its_line() {
    let e = err(&GOOD.replace(
        "connections = 2",
        "connections = 2\nset = { no_such_knob = 1 }",
    ));
    assert!(
        e.starts_with("bad.toml:11:") && e.contains("no_such_knob"),
        "{e}"
    );
}

#[test]
fn a_link_to_an_unknown_host_names_its_line() {
    let e = err(&format!(
        "{GOOD}\n[[link]]\na = \"web\"\nb = \"nowhere\"\nlatency_ms = [40, 120]\n"
    ));
    assert!(
        e.starts_with("bad.toml:15:") && e.contains("nowhere"),
        "{e}"
    );
}
