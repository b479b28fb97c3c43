//! Each demo's narration (as `tlsim demo NAME --no-pause` prints it without colours) and
//! the ladder of the KB4557473 connection, snapshotted like the scenarios (snapshots/).

use tlsim::engine::Close;
use tlsim::report::demo::{kb4557473_run, render, DemoOptions, DEMOS};

fn snap(name: &str, text: String) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name.to_string(), text));
}

fn demo(name: &str) {
    let text = render(name, DemoOptions::default()).unwrap();
    snap(&format!("demo-{name}"), text);
}

#[test]
fn demo_list_is_complete() {
    let names: Vec<&str> = DEMOS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "dhe-leading-zero",
            "ems-resumption",
            "ftps-data-channel",
            "message-limit",
            "no-shared-cipher",
            "kb4557473",
            "tls13-ffdhe"
        ]
    );
    assert!(render("nope", DemoOptions::default()).is_err());
}

#[test]
fn demo_dhe_leading_zero() {
    demo("dhe-leading-zero");
}

#[test]
fn demo_ems_resumption() {
    demo("ems-resumption");
}

#[test]
fn demo_ftps_data_channel() {
    demo("ftps-data-channel");
}

#[test]
fn demo_message_limit() {
    demo("message-limit");
}

#[test]
fn demo_no_shared_cipher() {
    demo("no-shared-cipher");
}

#[test]
fn demo_tls13_ffdhe() {
    demo("tls13-ffdhe");
}

#[test]
fn demo_kb4557473() {
    demo("kb4557473");
}

#[test]
fn ladder_of_kb4557473() {
    let (_, _, run) = kb4557473_run().unwrap();
    assert_eq!(run.outcome.close, Some(Close::Fin));
    snap(
        "ladder-kb4557473",
        tlsim::report::ladder::ladder(&run.wire, &run.outcome),
    );
}
