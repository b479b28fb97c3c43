//! A demo as data (`tlsim demo NAME --json`): a [`Narrator`] that keeps each step's heading
//! and its paragraphs and blocks in order, instead of printing them.

use super::demo::{Narrator, DEMOS};
use serde_json::{json, Value};

/// The steps of a demo, each `{"heading", "parts": [{"kind": "say"|"block", "text"}]}`.
#[derive(Debug, Default)]
pub struct Steps(pub Vec<Value>);

impl Narrator for Steps {
    fn heading(&mut self, text: &str) {
        self.0.push(json!({ "heading": text, "parts": [] }));
    }
    fn say(&mut self, text: &str) {
        self.part("say", text);
    }
    fn block(&mut self, text: &str) {
        self.part("block", text);
    }
    fn pause(&mut self) {}
}

impl Steps {
    fn part(&mut self, kind: &str, text: &str) {
        if self.0.is_empty() {
            self.heading("");
        }
        if let Some(Value::Array(parts)) = self.0.last_mut().and_then(|s| s.get_mut("parts")) {
            parts.push(json!({ "kind": kind, "text": text }));
        }
    }
}

/// Demo `name` as `{"name", "steps"}`.
pub fn demo_json(name: &str, opts: super::demo::DemoOptions) -> Result<Value, String> {
    let mut steps = Steps::default();
    super::demo::run(name, &mut steps, opts)?;
    Ok(json!({ "name": name, "steps": steps.0 }))
}

/// The demos as `{"demos": [{"name", "about"}]}`.
pub fn demos_json() -> Value {
    let list: Vec<Value> = DEMOS
        .iter()
        .map(|(n, d)| json!({ "name": n, "about": d }))
        .collect();
    json!({ "demos": list })
}

/// The profile catalogue as `{"profiles": [{"name", "role", "summary"}]}`.
pub fn profiles_json() -> Value {
    let list: Vec<Value> = crate::profile::catalogue::list()
        .into_iter()
        .map(|(name, role, summary)| json!({ "name": name, "role": role.name(), "summary": summary }))
        .collect();
    json!({ "profiles": list })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_demo_as_steps() {
        let v = super::demo_json("no-shared-cipher", Default::default()).unwrap();
        let steps = v["steps"].as_array().unwrap();
        assert!(!steps.is_empty());
        assert!(steps.iter().all(|s| s["heading"].is_string()));
        assert!(steps[0]["parts"].as_array().is_some_and(|p| !p.is_empty()));
        assert!(super::profiles_json()["profiles"].as_array().unwrap().len() > 10);
    }
}
