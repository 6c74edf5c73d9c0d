//! The command line of `centrala`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The default configuration directory (the data directory of a Debian install).
pub const DEFAULT_CONFIG_DIR: &str = firmware_config::default::DEFAULT_DATA_DIR;

/// Centrala, a PBX for small offices. With no command, runs the daemon.
#[derive(Debug, Parser)]
#[command(name = "centrala", version, about)]
pub struct Cli {
    /// Directory of the stored configuration (its two slots).
    #[arg(long, global = true, env = "CENTRALA_CONFIG_DIR", default_value = DEFAULT_CONFIG_DIR)]
    pub config_dir: PathBuf,

    /// Digest algorithms the daemon challenges SIP phones with: `md5` (every phone knows it),
    /// `sha-256` (RFC 8760, only if every phone supports it) or `both` (MD5 first; some
    /// phones, e.g. baresip 1.0, refuse to register when any non-MD5 challenge is present).
    #[arg(long, global = true, env = "CENTRALA_DIGEST", value_enum, default_value_t = Digest::Md5)]
    pub digest: Digest,

    /// A group of console users (name or id): its members may open the control socket too,
    /// which is then 0660 and this group's, so each administrator can log in with an account
    /// of their own. Owner-only (0600) when absent.
    #[arg(long, global = true, env = "CENTRALA_CONTROL_GROUP")]
    pub control_group: Option<String>,

    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The `--digest` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Digest {
    /// MD5 only.
    Md5,
    /// SHA-256 only.
    #[value(name = "sha-256")]
    Sha256,
    /// Both, MD5 first.
    Both,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the PBX daemon (the default).
    Run,
    /// Check, export and import the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Explain whether an entry point is open at a moment, and where a call would go.
    Explain(ExplainArgs),
    /// The CRM's contacts, through the running daemon's control socket.
    #[command(subcommand)]
    Contacts(ContactsCommand),
}

/// `centrala contacts ...`.
#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Import contacts from a CSV or vCard file and print the report (added, merged,
    /// unchanged, refused with line or card and why).
    Import(ImportArgs),
}

/// `centrala contacts import ...`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The file (`-` reads standard input).
    pub file: PathBuf,
    /// Its format; by default from the file name (`.vcf`, `.vcard`: vCard; else CSV).
    #[arg(long, value_enum)]
    pub format: Option<ImportFormatArg>,
    /// Only print what would be done; nothing is stored.
    #[arg(long)]
    pub dry_run: bool,
    /// The control socket; by default the stored configuration's.
    #[arg(long)]
    pub socket: Option<PathBuf>,
}

/// The `--format` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormatArg {
    /// A table with a header row.
    Csv,
    /// vCard 2.1, 3.0 or 4.0.
    Vcard,
}

/// `centrala explain ...`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A configuration file (TOML); the stored configuration when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The entry point's name.
    #[arg(long)]
    pub entry: String,
    /// The moment, RFC 3339 with an offset (e.g. 2026-11-23T18:30:00+01:00).
    #[arg(long)]
    pub at: String,
    /// The caller's number (any usual form; national numbers use the default country code).
    #[arg(long)]
    pub from: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `centrala config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a configuration file (TOML) and list every problem in it.
    Check {
        /// The file to check.
        file: PathBuf,
    },
    /// Write the stored configuration as TOML (to standard output by default).
    Export {
        /// The file to write.
        file: Option<PathBuf>,
    },
    /// Validate a TOML file and store it as the configuration (`-` reads standard input).
    Import {
        /// The file to read, or `-`.
        file: PathBuf,
    },
}
