//! `centrala contacts import FILE [--format csv|vcard] [--dry-run]`: sends a file to the
//! running daemon over its control socket and prints the report. For scripts: the exit status
//! is 0 when the daemon answered with a report (even with refused records), 1 otherwise.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use firmware_config::persist::ConfigStore;

use crate::cli::{ContactsCommand, ImportArgs, ImportFormatArg};
use crate::control::protocol::{
    encode_line, ClientMessage, Reply, Request, ServerMessage, MAX_LINE, VERSION,
};
use crate::routing::crm::import::ImportFormat;
use crate::routing::crm::ImportReport;

/// How long the daemon may take to answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the command failed; printed for the admin.
#[derive(Debug, thiserror::Error)]
pub enum ContactsError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not UTF-8.
    #[error("{0}: not UTF-8 text; save it as UTF-8 (CSV UTF-8 in a spreadsheet) and try again")]
    NotUtf8(String),
    /// The file does not fit in one request.
    #[error("{0}: too large for one import (at most about {MAX_LINE} bytes); split it")]
    TooLarge(String),
    /// No socket path: no stored configuration and no `--socket`.
    #[error("{0}")]
    NoSocket(String),
    /// Talking to the daemon failed.
    #[error("control socket {path}: {source} (is the daemon running?)")]
    Socket {
        /// The socket.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The daemon answered something else than a report.
    #[error("the daemon refused the import: {0}")]
    Refused(String),
}

/// Runs one `centrala contacts` command.
pub fn run(config_dir: &Path, command: ContactsCommand) -> Result<(), ContactsError> {
    match command {
        ContactsCommand::Import(args) => import(config_dir, &args),
    }
}

fn import(config_dir: &Path, args: &ImportArgs) -> Result<(), ContactsError> {
    let name = args.file.display().to_string();
    let text = read_text(&args.file)?;
    if text.len() + 256 > MAX_LINE {
        return Err(ContactsError::TooLarge(name));
    }
    let socket = socket_path(config_dir, args.socket.as_deref())?;
    let request = Request::ImportContacts {
        format: format_of(&args.file, args.format),
        text,
        dry_run: args.dry_run,
    };
    match ask(&socket, request)? {
        Reply::Imported { report } => {
            print!("{}", report_text(&report));
            Ok(())
        }
        Reply::Error { message } => Err(ContactsError::Refused(message)),
        other => Err(ContactsError::Refused(format!("{other:?}"))),
    }
}

fn read_text(file: &Path) -> Result<String, ContactsError> {
    let path = file.display().to_string();
    let mut bytes = Vec::new();
    let read = if file == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    read.map_err(|source| ContactsError::File {
        path: path.clone(),
        source,
    })?;
    if bytes.len() > MAX_LINE {
        return Err(ContactsError::TooLarge(path));
    }
    String::from_utf8(bytes).map_err(|_| ContactsError::NotUtf8(path))
}

/// `--format`, else from the file name.
fn format_of(file: &Path, given: Option<ImportFormatArg>) -> ImportFormat {
    match given {
        Some(ImportFormatArg::Csv) => ImportFormat::Csv,
        Some(ImportFormatArg::Vcard) => ImportFormat::Vcard,
        None => {
            let ext = file.extension().map(|e| e.to_string_lossy().to_lowercase());
            match ext.as_deref() {
                Some("vcf" | "vcard") => ImportFormat::Vcard,
                _ => ImportFormat::Csv,
            }
        }
    }
}

/// `--socket`, else the stored configuration's control socket.
fn socket_path(config_dir: &Path, given: Option<&Path>) -> Result<PathBuf, ContactsError> {
    if let Some(s) = given {
        return Ok(s.to_owned());
    }
    let loaded = ConfigStore::new(config_dir)
        .load()
        .map_err(|e| ContactsError::NoSocket(format!("{}: {e}", config_dir.display())))?;
    match loaded.value {
        Some((_, _, _, config)) => Ok(PathBuf::from(config.system.control_socket.as_str())),
        None => Err(ContactsError::NoSocket(format!(
            "no stored configuration in {} to find the control socket in (give --socket PATH)",
            config_dir.display()
        ))),
    }
}

/// Says hello (as `$USER`, for the audit log) and sends `request`; its reply.
fn ask(socket: &Path, request: Request) -> Result<Reply, ContactsError> {
    let path = socket.display().to_string();
    let io = |source| ContactsError::Socket {
        path: path.clone(),
        source,
    };
    let stream = UnixStream::connect(socket).map_err(io)?;
    stream.set_read_timeout(Some(ANSWER_TIMEOUT)).map_err(io)?;
    let mut write = stream.try_clone().map_err(io)?;
    let user = std::env::var("USER").unwrap_or_else(|_| "centrala-cli".into());
    let hello = Request::Hello {
        client: format!("centrala {}", env!("CARGO_PKG_VERSION")),
        user,
    };
    for (id, request) in [(1, hello), (2, request)] {
        let message = ClientMessage {
            v: VERSION,
            id,
            request,
        };
        write
            .write_all(encode_line(&message).as_bytes())
            .map_err(io)?;
    }
    let mut read = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        if read.read_line(&mut line).map_err(io)? == 0 {
            let closed = std::io::Error::other("the daemon closed the connection");
            return Err(io(closed));
        }
        match serde_json::from_str::<ServerMessage>(&line) {
            Ok(ServerMessage::Reply { id: 2, reply }) => return Ok(reply),
            Ok(ServerMessage::Reply { id: 0, reply }) => return Ok(reply),
            Ok(_) => {}
            Err(e) => return Err(ContactsError::Refused(format!("unreadable answer: {e}"))),
        }
    }
}

/// The report for a person: a summary line, then one line per refused record.
pub fn report_text(report: &ImportReport) -> String {
    let mut out = String::new();
    if report.dry_run {
        out.push_str("dry run: nothing was stored\n");
    }
    out.push_str(&format!(
        "added {}, merged {}, unchanged {}, refused {}\n",
        report.added,
        report.merged,
        report.unchanged,
        report.refused.len()
    ));
    for r in &report.refused {
        match &r.name {
            Some(name) => out.push_str(&format!("  {} ({name}): {}\n", r.place, r.reason)),
            None => out.push_str(&format!("  {}: {}\n", r.place, r.reason)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::crm::Refusal;

    #[test]
    fn the_format_follows_the_file_name_unless_given() {
        assert_eq!(format_of(Path::new("a.VCF"), None), ImportFormat::Vcard);
        assert_eq!(format_of(Path::new("a.csv"), None), ImportFormat::Csv);
        assert_eq!(format_of(Path::new("-"), None), ImportFormat::Csv);
        let given = Some(ImportFormatArg::Vcard);
        assert_eq!(format_of(Path::new("a.csv"), given), ImportFormat::Vcard);
    }

    #[test]
    fn the_report_names_every_refused_record() {
        let report = ImportReport {
            dry_run: true,
            added: 2,
            merged: 1,
            unchanged: 0,
            refused: vec![Refusal {
                place: "card 3".into(),
                name: Some("Jan".into()),
                reason: "there is no phone number".into(),
            }],
        };
        assert_eq!(
            report_text(&report),
            "dry run: nothing was stored\nadded 2, merged 1, unchanged 0, refused 1\n  card 3 (Jan): there is no phone number\n"
        );
    }
}
