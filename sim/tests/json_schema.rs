//! Every command's `--json` output against its schema in docs/schema/ (docs/json.md).
//!
//! The validator is a small one of our own for the subset of JSON Schema (2020-12) those
//! files use: `type` (one or a list), `const`, `enum`, `required`, `properties`,
//! `additionalProperties` (a schema), `items`, `minimum`, `maximum` and `$ref` to
//! `#/$defs/NAME`. A keyword it does not know fails the test, so a schema cannot silently
//! use more than is checked.

use serde_json::Value;
use std::process::{Command, Stdio};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn tlsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(args)
        .current_dir(ROOT)
        .output()
        .expect("run tlsim")
}

fn schema(name: &str) -> Value {
    let path = format!("{ROOT}/docs/schema/{name}.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("schema type {other:?} unknown to the validator"),
    }
}

/// The errors of `v` against schema `s` (`root` for `$ref`), each with its JSON path.
fn validate(root: &Value, s: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(obj) = s.as_object() else {
        panic!("schema at {path} is not an object")
    };
    for (k, rule) in obj {
        match k.as_str() {
            "$schema" | "title" | "$defs" | "description" => {}
            "$ref" => {
                let name = rule.as_str().and_then(|r| r.strip_prefix("#/$defs/"));
                let target = name.and_then(|n| root["$defs"].get(n));
                let target = target.unwrap_or_else(|| panic!("bad $ref {rule} at {path}"));
                validate(root, target, v, path, errors);
            }
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => panic!("bad type at {path}"),
                };
                if !types.iter().any(|t| type_ok(t, v)) {
                    errors.push(format!("{path}: {v} is not of type {rule}"));
                }
            }
            "const" if v != rule => errors.push(format!("{path}: {v} is not {rule}")),
            "const" => {}
            "enum" => {
                if !rule.as_array().is_some_and(|a| a.contains(v)) {
                    errors.push(format!("{path}: {v} is not one of {rule}"));
                }
            }
            "required" => {
                for key in rule
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if v.is_object() && v.get(key).is_none() {
                        errors.push(format!("{path}: missing {key:?}"));
                    }
                }
            }
            "properties" => {
                for (key, sub) in rule.as_object().into_iter().flatten() {
                    if let Some(x) = v.get(key) {
                        validate(root, sub, x, &format!("{path}.{key}"), errors);
                    }
                }
            }
            "additionalProperties" => {
                let known = obj.get("properties").and_then(Value::as_object);
                for (key, x) in v.as_object().into_iter().flatten() {
                    if !known.is_some_and(|p| p.contains_key(key)) {
                        validate(root, rule, x, &format!("{path}.{key}"), errors);
                    }
                }
            }
            "items" => {
                for (i, x) in v.as_array().into_iter().flatten().enumerate() {
                    validate(root, rule, x, &format!("{path}[{i}]"), errors);
                }
            }
            "minimum" | "maximum" => {
                if let (Some(x), Some(m)) = (v.as_f64(), rule.as_f64()) {
                    if (k == "minimum" && x < m) || (k == "maximum" && x > m) {
                        errors.push(format!("{path}: {x} is outside the {k} {m}"));
                    }
                }
            }
            other => panic!("schema keyword {other:?} at {path} unknown to the validator"),
        }
    }
}

/// `out` (one JSON document, or one per line with `lines`) is valid against schema `name`.
fn check(name: &str, out: &std::process::Output, lines: bool) -> Vec<Value> {
    let text = String::from_utf8(out.stdout.clone()).expect("UTF-8 JSON");
    let docs: Vec<Value> = if lines {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}")))
            .collect()
    } else {
        vec![serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}: {text}"))]
    };
    assert!(!docs.is_empty(), "{name}: no output");
    let s = schema(name);
    for d in &docs {
        let mut errors = Vec::new();
        validate(&s, &s, d, "$", &mut errors);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    docs
}

#[test]
fn the_validator_rejects_what_a_schema_forbids() {
    let s = schema("study");
    let mut bad = serde_json::json!({ "format": "tlsim-study/2", "scenario": 1, "seed": 1,
        "connections": 1, "shards": 1, "cells": [{ "client": "a" }] });
    let mut errors = Vec::new();
    validate(&s, &s, &bad, "$", &mut errors);
    assert!(
        errors.iter().any(|e| e.contains("tlsim-study/1")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with("$.scenario")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("$.cells[0]: missing \"attempts\"")),
        "{errors:?}"
    );
    bad["format"] = "tlsim-study/1".into();
    bad["what_ifs"] = serde_json::json!([{ "name": "no-dhe" }]);
    errors.clear();
    validate(&s, &s, &bad, "$", &mut errors);
    assert!(
        errors.iter().any(|e| e.contains("$.what_ifs[0]: missing")),
        "{errors:?}"
    );
}

#[test]
fn run_handshake_replay_study_compare_merge_follow_their_schemas() {
    let dir = std::env::temp_dir().join(format!("tlsim-json-schema-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = |n: &str| dir.join(n).to_string_lossy().into_owned();
    check(
        "run",
        &tlsim(&["run", "m1-dh-premaster-zeros", "--json"]),
        false,
    );
    let hs = tlsim(&[
        "handshake",
        "--resume",
        "--json",
        "--server-profile",
        "no-ems",
    ]);
    assert_eq!(check("connection", &hs, true).len(), 2);
    let st = tlsim(&[
        "study",
        "m1-dh-premaster-zeros",
        "--connections",
        "600",
        "--compare",
        "no-dhe",
        "ems-on",
        "--json",
        "--state-dir",
        &d("s1"),
    ]);
    let study = check("study", &st, false).remove(0);
    let what_ifs = study["what_ifs"]
        .as_array()
        .expect("the what-ifs inside the JSON");
    assert_eq!(what_ifs.len(), 2);
    assert_eq!(what_ifs[0]["name"], "no-dhe");
    let id = study["cells"][0]["replay"][0]
        .as_str()
        .expect("a replay id")
        .to_string();
    check("connection", &tlsim(&["replay", &id, "--json"]), false);
    let part = d("part.json");
    let sh = tlsim(&[
        "study",
        "m1-dh-premaster-zeros",
        "--connections",
        "600",
        "--shard",
        "0/1",
        "--out",
        &part,
        "--state-dir",
        &d("s2"),
    ]);
    assert!(
        sh.status.success(),
        "{}",
        String::from_utf8_lossy(&sh.stderr)
    );
    let merged = check("study", &tlsim(&["merge", &part, "--json"]), false).remove(0);
    assert_eq!(merged["cells"], study["cells"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn profiles_demo_bench_bridge_follow_their_schemas() {
    check("profiles", &tlsim(&["profiles", "--json"]), false);
    check(
        "profile",
        &tlsim(&["profiles", "show", "win2012r2@2019-10-08", "--json"]),
        false,
    );
    check(
        "profile-diff",
        &tlsim(&["profiles", "diff", "win2012r2", "win2016", "--json"]),
        false,
    );
    check("demos", &tlsim(&["demo", "--json"]), false);
    check(
        "demo",
        &tlsim(&["demo", "no-shared-cipher", "--json"]),
        false,
    );
    let b = tlsim(&[
        "bench",
        "--connections",
        "40",
        "--repeat",
        "1",
        "--openssl-handshakes",
        "2",
        "--json",
    ]);
    check("bench", &b, false);
    // tlsim serves, tlsim connects: both sides' lines.
    let mut serve = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args([
            "bridge",
            "serve",
            "0",
            "--count",
            "1",
            "--idle-exit",
            "20",
            "--json",
        ])
        .current_dir(ROOT)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(serve.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut out, &mut first).unwrap();
    let listening: Value = serde_json::from_str(&first).unwrap();
    let addr = listening["listening"]
        .as_str()
        .expect("the listening line")
        .to_string();
    let c = tlsim(&["bridge", "connect", &addr, "--json"]);
    let lines = check("bridge", &c, true);
    assert!(lines.last().unwrap().get("summary").is_some());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let _ = serve.wait();
    let served = std::process::Output {
        status: c.status,
        stdout: format!("{first}{rest}").into_bytes(),
        stderr: Vec::new(),
    };
    check("bridge", &served, true);
}

/// The flagship study (three times 29520 connections): about 30 s in the test profile.
#[test]
fn flagship_follows_its_schema() {
    let f = check("flagship", &tlsim(&["--json"]), false).remove(0);
    assert_eq!(f["what_ifs"].as_array().map(Vec::len), Some(2));
}
