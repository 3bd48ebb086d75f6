//! `cartable` speaks French from its help to its usage errors: clap's own English words
//! ("Usage", "Commands", "Print help", "error: unexpected argument") are replaced here.

use crate::cli::Cli;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command, CommandFactory, FromArgMatches};
use std::fmt::Write as _;

const TEMPLATE: &str = "\
{before-help}{about-with-newline}
Utilisation : {usage}

{all-args}{after-help}";

/// The command line of `cartable`, with French help.
pub fn command() -> Command {
    let root = Cli::command()
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .global(true)
                .help("Affiche cette aide"),
        )
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("Affiche la version"),
        )
        .after_help(
            "Aide d'une commande : cartable <COMMANDE> --help, par exemple cartable book --help.",
        );
    localise(root)
}

fn localise(cmd: Command) -> Command {
    cmd.help_template(TEMPLATE)
        .subcommand_help_heading("Commandes ")
        .subcommand_value_name("COMMANDE")
        .mut_subcommands(localise)
}

/// Parses the arguments of this process.
pub fn parse() -> Result<Cli, clap::Error> {
    parse_from(std::env::args_os())
}

/// Parses `args` (the program name first).
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(list) => Some(list.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(list) => Some(
            list.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ContextValue::Number(n) => Some(n.to_string()),
        ContextValue::Bool(b) => Some(b.to_string()),
        ContextValue::None => None,
        _ => None,
    }
}

/// What to print for a parsing error (help and version are printed as they are), and
/// whether it is a failure.
pub fn render(e: &clap::Error) -> (String, bool) {
    let arg = || context(e, ContextKind::InvalidArg).unwrap_or_default();
    let message = match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => return (e.to_string(), false),
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            return (e.to_string(), true);
        }
        ErrorKind::MissingRequiredArgument => format!("il manque : {}", arg()),
        ErrorKind::UnknownArgument => format!("argument inattendu « {} »", arg()),
        ErrorKind::InvalidSubcommand => format!(
            "commande inconnue « {} »",
            context(e, ContextKind::InvalidSubcommand).unwrap_or_default()
        ),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let mut m = format!(
                "valeur invalide « {} » pour {}",
                context(e, ContextKind::InvalidValue).unwrap_or_default(),
                arg()
            );
            if let Some(valid) = context(e, ContextKind::ValidValue) {
                let _ = write!(m, " (valeurs possibles : {valid})");
            }
            m
        }
        ErrorKind::ArgumentConflict => format!(
            "{} ne peut pas être utilisé avec {}",
            arg(),
            context(e, ContextKind::PriorArg).unwrap_or_default()
        ),
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues => {
            format!("trop de valeurs pour {}", arg())
        }
        ErrorKind::NoEquals => format!("{} attend une valeur : {}=VALEUR", arg(), arg()),
        ErrorKind::InvalidUtf8 => "argument illisible (UTF-8 attendu)".to_string(),
        _ => "arguments invalides".to_string(),
    };
    let mut out = format!("cartable : {message}");
    let suggestion = context(e, ContextKind::SuggestedSubcommand)
        .or_else(|| context(e, ContextKind::SuggestedArg));
    if let Some(s) = suggestion {
        let _ = write!(out, "\n  Vouliez-vous dire « {s} » ?");
    }
    if let Some(usage) = context(e, ContextKind::Usage) {
        let usage = usage.trim_start_matches("Usage:").trim();
        let _ = write!(out, "\n\nUtilisation : {usage}");
    }
    out.push_str("\nAide : cartable --help");
    (out, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help_of(args: &[&str]) -> String {
        let e = parse_from(args.iter().copied()).expect_err("help is an early exit");
        assert_eq!(e.kind(), ErrorKind::DisplayHelp);
        e.to_string()
    }

    #[test]
    fn the_help_speaks_french() {
        command().debug_assert();
        let help = help_of(&["cartable", "--help"]);
        for french in [
            "Utilisation : cartable",
            "Commandes",
            "Affiche cette aide",
            "Réserve une activité",
            "JJ/MM/AAAA",
        ] {
            assert!(help.contains(french), "« {french} » missing from:\n{help}");
        }
        for english in ["Usage", "Commands:", "Print help", "[default", "[env"] {
            assert!(!help.contains(english), "« {english} » in:\n{help}");
        }
        let help = help_of(&["cartable", "book", "-h"]);
        assert!(help.contains("Prénom de l'enfant"), "{help}");
        assert!(help.contains("<ENFANT> <DATE> <ACTIVITÉ>"), "{help}");
        let help = help_of(&["cartable", "dossier", "set", "--help"]);
        assert!(help.contains("sans porc"), "{help}");
        assert!(!help.contains("possible values"), "{help}");
    }

    #[test]
    fn usage_errors_speak_french() {
        let e = parse_from(["cartable", "reserver"]).expect_err("unknown command");
        let (text, failed) = render(&e);
        assert!(failed);
        assert!(
            text.starts_with("cartable : commande inconnue « reserver »"),
            "{text}"
        );
        assert!(text.contains("Aide : cartable --help"), "{text}");
        let e = parse_from(["cartable", "book", "Léa"]).expect_err("missing arguments");
        let (text, _) = render(&e);
        assert!(text.contains("il manque"), "{text}");
        assert!(!text.contains("error"), "{text}");
        let e = parse_from(["cartable", "sync", "--vite"]).expect_err("unknown flag");
        let (text, _) = render(&e);
        assert!(text.contains("argument inattendu « --vite »"), "{text}");
    }
}
