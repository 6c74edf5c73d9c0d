//! `centrala-console`: the administrator's console, a client of the daemon's control socket.
//!
//! One event loop merges key presses (from a thread reading the terminal) and the daemon's
//! messages (from the client's reader thread) on one channel; the screen is redrawn after
//! each batch of inputs, once a second for the waiting times, and when the app's tick is due
//! (polling the line diagnostics every 500 ms while the Lines tab is shown).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use chrono::Utc;
use clap::Parser;
use ratatui::crossterm::event::{self, Event as TermEvent, KeyEvent};
use ratatui::DefaultTerminal;

use tui::action::action;
use tui::app::{App, Command};
use tui::client::{login_name, Client, FromServer, Incoming};

/// Centrala's administrator console.
#[derive(Debug, Parser)]
#[command(name = "centrala-console", version, about)]
struct Args {
    /// The daemon's control socket.
    #[arg(
        long,
        env = "CENTRALA_SOCKET",
        default_value = "/run/centrala/control.sock"
    )]
    socket: PathBuf,
}

/// One input of the event loop.
enum Input {
    Key(KeyEvent),
    Resize,
    Server(FromServer),
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (tx, rx) = mpsc::channel();
    let mut client = match Client::connect(&args.socket, tx.clone(), Input::Server) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("centrala-console: {e}");
            eprintln!("Is the daemon (centrala) running? Pass its socket with --socket PATH or CENTRALA_SOCKET.");
            return ExitCode::FAILURE;
        }
    };
    let mut app = App::new(&login_name(), Utc::now());
    let start = app.start();
    send(&mut client, &mut app, start);
    // Installs a panic hook that restores the terminal before the message is printed.
    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("centrala-console: cannot use this terminal: {e}");
            return ExitCode::FAILURE;
        }
    };
    spawn_keys(tx);
    let result = run(&mut terminal, &mut client, &mut app, &rx);
    ratatui::restore();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("centrala-console: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the terminal on its own thread; ends when the event loop is gone.
fn spawn_keys(tx: Sender<Input>) {
    std::thread::spawn(move || loop {
        let input = match event::read() {
            Ok(TermEvent::Key(key)) => Input::Key(key),
            Ok(TermEvent::Resize(..)) => Input::Resize,
            Ok(_) => continue,
            Err(_) => return,
        };
        if tx.send(input).is_err() {
            return;
        }
    });
}

fn run(
    terminal: &mut DefaultTerminal,
    client: &mut Client,
    app: &mut App,
    rx: &Receiver<Input>,
) -> std::io::Result<()> {
    while !app.quit {
        app.now = Utc::now();
        // Polls what the daemon does not push (the Lines tab's diagnostics) when due.
        let due = app.tick();
        send(client, app, due);
        terminal.draw(|frame| tui::ui::draw(frame, app))?;
        let first = match rx.recv_timeout(wait(app)) {
            Ok(input) => input,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        handle(client, app, first);
        // Take in whatever else arrived before drawing again.
        while let Ok(input) = rx.try_recv() {
            handle(client, app, input);
        }
    }
    Ok(())
}

/// How long to wait for input: until the app's next tick, at most a second (the waiting
/// times on the screen count seconds).
fn wait(app: &App) -> Duration {
    let second = Duration::from_secs(1);
    match app.next_tick() {
        // A tick already due gives a negative span: no wait.
        Some(due) => (due - app.now)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(second),
        None => second,
    }
}

fn handle(client: &mut Client, app: &mut App, input: Input) {
    let commands = match input {
        Input::Key(key) => match action(key, app.mode()) {
            Some(a) => app.on_action(a),
            None => Vec::new(),
        },
        Input::Resize => Vec::new(),
        Input::Server(FromServer::Message(m)) => match client.resolve(m) {
            Incoming::Reply { request, reply } => app.on_reply(&request, reply),
            Incoming::Event(e) => app.on_event(e),
            Incoming::Unmatched(_) => Vec::new(),
        },
        Input::Server(FromServer::Garbled(why)) => {
            app.say(tui::app::Tone::Bad, why);
            Vec::new()
        }
        Input::Server(FromServer::Closed(why)) => {
            app.on_closed(&why);
            Vec::new()
        }
    };
    send(client, app, commands);
}

/// Carries out the app's commands: requests go to the daemon, files are read (and what the
/// app makes of them is carried out in turn).
fn send(client: &mut Client, app: &mut App, commands: Vec<Command>) {
    let mut queue = std::collections::VecDeque::from(commands);
    while let Some(command) = queue.pop_front() {
        match command {
            Command::Send(request) => {
                if let Err(e) = client.send(request) {
                    app.on_closed(&e.to_string());
                    return;
                }
            }
            Command::ReadFile(path) => queue.extend(app.on_file(&path, read_import(&path))),
        }
    }
}

/// The largest file imported at once: its text, escaped in JSON, must fit one protocol line.
const MAX_IMPORT: u64 = 512 * 1024;

/// A file of contacts as text, or why not.
fn read_import(path: &str) -> Result<String, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_IMPORT {
        return Err(format!(
            "{size} bytes is over {MAX_IMPORT}: split it, or use `centrala contacts import`"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text: save it as UTF-8".to_string())
}
