//! `tlsim profiles`: list the catalogue, show one profile's knobs with their sources, diff
//! two profiles. Printing only: resolution and overlays are in `tlsim::profile`, the text
//! in `tlsim::report::profiles`.

use clap::{Args, Subcommand};
use std::process::ExitCode;
use tlsim::profile::catalogue;
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
    use tlsim::report::profiles;
    match args.command {
        None => print!("{}", profiles::list_text()),
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
                println!("{:#}", tlsim::profile::to_json(&r));
            } else {
                print!("{}", profiles::show_text(&r));
            }
        }
        Some(ProfilesCommand::Diff { a, b, json }) => {
            let (ra, rb) = (catalogue::resolve(&a)?, catalogue::resolve(&b)?);
            let d = catalogue::diff(&ra, &rb);
            if json {
                println!("{:#}", serde_json::json!({ "a": a, "b": b, "knobs": d }));
            } else {
                print!("{}", profiles::diff_text(&a, &b, &d));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
