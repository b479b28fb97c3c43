//! `tlsim profiles`: list the catalogue, show one profile's knobs with their sources, diff
//! two profiles. Printing only; resolution and overlays are in `tlsim::profile`.

use clap::{Args, Subcommand};
use std::process::ExitCode;
use tlsim::profile::catalogue::{self, KnobRow, Origin, Resolved};
use tlsim::profile::{OverlayFile, OverlayKind};

#[derive(Args)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    command: Option<ProfilesCommand>,
}

#[derive(Subcommand)]
enum ProfilesCommand {
    /// Print every knob of a profile with its value, source and the entry or update that
    /// set it. NAME: a catalogue name (`win2012r2`, `win2012r2@2019-10-08`,
    /// `win2016+KB4537806`), a built-in test profile, or a profile file (TOML or JSON). With
    /// --json the output is itself a profile file: every knob, its sources and what an
    /// overlay ignored; save it and pass it wherever a profile is accepted.
    Show {
        name: String,
        /// A regedit export of the Schannel keys to apply on top.
        #[arg(long)]
        registry: Option<String>,
        /// A suite order (Get-TlsCipherSuite names or an OpenSSL cipher string) replacing
        /// the client and server orders.
        #[arg(long)]
        cipher_order: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print the knobs that differ between two profiles.
    Diff {
        a: String,
        b: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: ProfilesArgs) -> Result<ExitCode, String> {
    match args.command {
        None => {
            for (name, role, summary) in catalogue::list() {
                println!("{name:<26} {:<7} {summary}", role.name());
            }
        }
        Some(ProfilesCommand::Show {
            name,
            registry,
            cipher_order,
            json,
        }) => {
            let mut r = catalogue::resolve(&name)?;
            for (kind, file) in [
                (OverlayKind::Registry, registry),
                (OverlayKind::CipherOrder, cipher_order),
            ] {
                if let Some(file) = file {
                    OverlayFile::load(kind, std::path::Path::new(&file), &file)?.apply(&mut r)?;
                }
            }
            if json {
                print_json(&tlsim::profile::file::to_json(&r))?;
            } else {
                print_show(&r);
            }
        }
        Some(ProfilesCommand::Diff { a, b, json }) => {
            let (ra, rb) = (catalogue::resolve(&a)?, catalogue::resolve(&b)?);
            let d = catalogue::diff(&ra, &rb);
            if json {
                print_json(&serde_json::json!({ "a": a, "b": b, "knobs": d }))?;
            } else if d.is_empty() {
                println!("{a} and {b} have the same knobs");
            } else {
                println!("knobs that differ between {a} and {b}:");
                for k in d {
                    println!("  {}", k.knob);
                    println!("    {a:<24} {}  [{}]", value(&k.a), origin(&k.a_origin));
                    println!("    {b:<24} {}  [{}]", value(&k.b), origin(&k.b_origin));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json(v: &serde_json::Value) -> Result<(), String> {
    println!(
        "{}",
        serde_json::to_string_pretty(v).map_err(|e| e.to_string())?
    );
    Ok(())
}

fn value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "none".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn origin(o: &Option<Origin>) -> String {
    match o {
        Some(o) => format!("{}: {}", o.set_by, o.source),
        None => "default".into(),
    }
}

fn print_show(r: &Resolved) {
    println!("{} ({}): {}", r.spec, r.role.name(), r.summary);
    if !r.updates.is_empty() {
        println!("updates applied: {}", r.updates.join(", "));
    }
    println!();
    for KnobRow {
        knob,
        value: v,
        default,
        origin: o,
    } in catalogue::knob_rows(r)
    {
        let mark = if v != default { "*" } else { " " };
        println!("{mark} {knob:<34} {}", value(&v));
        match &o {
            Some(o) => println!("      set by {}; source: {}", o.set_by, o.source),
            None => println!("      RFC-compliant default"),
        }
    }
    println!("\n(* = differs from the RFC-compliant default)");
    if !r.ignored.is_empty() {
        println!("\nignored (not applied):");
        for (what, line, why) in &r.ignored {
            println!("  line {line}: {what}: {why}");
        }
    }
}
