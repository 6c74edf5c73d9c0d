//! The media engine: carries out the call layer's [`Command`]s on real sockets.
//!
//! Each open leg has a UDP socket and a receive task that latches the far end's source,
//! feeds the leg's recording, reports its DTMF digits when it is not bridged, and relays to
//! the bridged peer (`leg.rs`); generated audio is paced by one shared 20 ms clock
//! (`clock.rs`); a recording's file is written by its own thread (`recording.rs`). Whatever
//! a leg hears goes out in the leg's one RTP stream (`stream.rs`: one SSRC, running sequence
//! numbers and timestamps across every `Play` and `Bridge`).
//! [`Engine::apply`] never waits on the network or the disk: binding is synchronous, and a
//! hold-music file (then cached while the file is unchanged) or a file to play once is loaded
//! on the blocking pool while the leg hears silence.
//!
//! Events other than a failed `Open` (the return value of `apply`) go to the event channel
//! given to [`Engine::new`], from the tasks and threads where they happen.
//!
//! `Mute` stops what is sent *to* the leg (player or relay); what the leg sends still reaches
//! a bridged peer. `Play` and `Close` undo the leg's bridge both ways. Commands for a leg
//! that is not open are ignored (logged at debug level); `Open` of a leg that is open closes
//! it first.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::clock::{self, SharedPlayers};
use super::leg::{self, Leg, Output};
use super::player::{self, Clip, Repeat};
use super::recording;
use super::{Command, Event, LegId, Prompt, RecordEnd, Remote, Source};

/// An open leg as the engine holds it.
struct Open {
    leg: Arc<Leg>,
    receiver: JoinHandle<()>,
}

/// What identifies a version of a file: its modification time and length.
type Stamp = (Option<SystemTime>, u64);

/// Loaded hold-music files.
type WavCache = Arc<Mutex<HashMap<PathBuf, (Stamp, Clip)>>>;

/// The media engine of one IP address.
pub struct Engine {
    ip: IpAddr,
    legs: HashMap<LegId, Open>,
    players: SharedPlayers,
    clock: Option<JoinHandle<()>>,
    wavs: WavCache,
    events: UnboundedSender<Event>,
}

impl Engine {
    /// An engine binding its legs' ports on `ip` (the SIP listen IP; `0.0.0.0` allowed),
    /// reporting asynchronous events to `events`.
    pub fn new(ip: IpAddr, events: UnboundedSender<Event>) -> Engine {
        Engine {
            ip,
            legs: HashMap::new(),
            players: SharedPlayers::default(),
            clock: None,
            wavs: WavCache::default(),
            events,
        }
    }

    /// Carries out one command; returns what went wrong, if the call layer must know. Must
    /// be called inside a tokio runtime (without one, `Open` fails with an event).
    pub fn apply(&mut self, cmd: Command) -> Option<Event> {
        match cmd {
            Command::Open { leg, port } => return self.open(leg, port),
            Command::Remote { leg, remote } => self.remote(leg, remote),
            Command::Play { leg, source } => self.play(leg, source),
            Command::Bridge { a, b } => self.bridge(a, b),
            Command::Mute { leg } => self.mute(leg),
            Command::Close { leg } => self.close(leg),
            Command::Record {
                leg,
                path,
                limit,
                silence,
            } => self.record(leg, path, limit, silence),
            Command::StopRecording { leg } => self.stop_recording(leg),
        }
        None
    }

    /// The local address of an open leg (its port, when it was opened with port 0).
    pub fn local_addr(&self, leg: LegId) -> Option<SocketAddr> {
        self.legs.get(&leg)?.leg.socket.local_addr().ok()
    }

    /// How many legs are open.
    pub fn open_legs(&self) -> usize {
        self.legs.len()
    }

    /// How many legs hear generated audio.
    pub fn playing_legs(&self) -> usize {
        clock::lock(&self.players).len()
    }

    fn open(&mut self, id: LegId, port: u16) -> Option<Event> {
        if self.legs.contains_key(&id) {
            tracing::debug!(leg = id.0, "leg opened again: closing the old one first");
            self.close(id);
        }
        let failed = |reason: String| {
            tracing::debug!(leg = id.0, port, %reason, "RTP port not opened");
            Some(Event::OpenFailed {
                leg: id,
                port,
                reason,
            })
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return failed("no tokio runtime".to_owned());
        }
        let socket = match bind(SocketAddr::new(self.ip, port)) {
            Ok(socket) => socket,
            Err(e) => return failed(e.to_string()),
        };
        let leg = Arc::new(Leg::new(id, socket, self.events.clone()));
        let receiver = tokio::spawn(leg::receive(leg.clone()));
        tracing::debug!(leg = id.0, port, "RTP port open");
        self.legs.insert(id, Open { leg, receiver });
        None
    }

    fn leg(&self, id: LegId, what: &str) -> Option<Arc<Leg>> {
        let found = self.legs.get(&id).map(|open| open.leg.clone());
        if found.is_none() {
            tracing::debug!(leg = id.0, "{what} for a leg that is not open: ignored");
        }
        found
    }

    fn remote(&mut self, id: LegId, remote: Remote) {
        let Some(leg) = self.leg(id, "remote") else {
            return;
        };
        let mut state = leg.state();
        // A new SDP address (another device) forgets the old latch until it sends.
        if state
            .media
            .remote
            .is_some_and(|old| old.addr != remote.addr)
        {
            state.media.latched = None;
        }
        state.media.remote = Some(remote);
        tracing::debug!(leg = id.0, ?remote, "remote media");
    }

    fn play(&mut self, id: LegId, source: Source) {
        let Some(leg) = self.leg(id, "play") else {
            return;
        };
        leg.unbridge();
        leg.state().output = Output::Player;
        let (clip, repeat, load) = match &source {
            Source::HoldMusic(Some(path)) => match self.cached_wav(path) {
                Some(clip) => (clip, Repeat::Loop, None),
                None => (
                    player::silence(),
                    Repeat::Loop,
                    Some(Load::HoldMusic(path.clone())),
                ),
            },
            Source::File { path, fallback } => (
                player::silence(),
                Repeat::OnceWhenSet,
                Some(Load::Once(path.clone(), *fallback)),
            ),
            Source::Prompt(_) => (player::builtin_clip(&source), Repeat::Once, None),
            other => (player::builtin_clip(other), Repeat::Loop, None),
        };
        let (play_id, start_clock) = clock::lock(&self.players).start(leg, clip, repeat);
        if start_clock {
            self.clock = Some(tokio::spawn(clock::run(self.players.clone())));
        }
        match load {
            Some(Load::HoldMusic(path)) => self.load_wav(id, play_id, path),
            Some(Load::Once(path, fallback)) => self.load_once(id, play_id, path, fallback),
            None => {}
        }
        tracing::debug!(leg = id.0, ?source, "playing");
    }

    fn cached_wav(&self, path: &Path) -> Option<Clip> {
        let stamp = stamp(path)?;
        let cache = self.wavs.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(path)
            .filter(|(s, _)| *s == stamp)
            .map(|(_, clip)| clip.clone())
    }

    /// Loads a hold-music file off the runtime, then gives it to the play (if still on).
    fn load_wav(&self, leg: LegId, play_id: u64, path: PathBuf) {
        let players = self.players.clone();
        let wavs = self.wavs.clone();
        tokio::spawn(async move {
            let load = {
                let path = path.clone();
                tokio::task::spawn_blocking(move || (stamp(&path), player::hold_music(Some(&path))))
            };
            let Ok((stamp, clip)) = load.await else {
                return;
            };
            if let Some(stamp) = stamp {
                let mut cache = wavs.lock().unwrap_or_else(|p| p.into_inner());
                cache.insert(path, (stamp, clip.clone()));
            }
            clock::lock(&players).replace_clip(leg, play_id, clip);
        });
    }

    /// Loads a file to play once off the runtime (not cached: a recorded message is heard
    /// once or twice, a greeting is small), then gives it to the play (if still on).
    fn load_once(&self, leg: LegId, play_id: u64, path: PathBuf, fallback: Prompt) {
        let players = self.players.clone();
        tokio::spawn(async move {
            let load = tokio::task::spawn_blocking(move || player::file_or(&path, fallback));
            let clip = load
                .await
                .unwrap_or_else(|_| super::prompts::clip(fallback));
            clock::lock(&players).replace_clip(leg, play_id, clip);
        });
    }

    fn record(&mut self, id: LegId, path: PathBuf, limit: Duration, silence: Duration) {
        let Some(leg) = self.leg(id, "record") else {
            let _ = self.events.send(Event::Recorded {
                leg: id,
                path,
                duration_ms: 0,
                ended: RecordEnd::Failed("the leg is not open".into()),
            });
            return;
        };
        leg.recording.start(recording::Start {
            leg: id,
            path,
            limit,
            silence,
            events: self.events.clone(),
        });
    }

    fn stop_recording(&mut self, id: LegId) {
        if let Some(leg) = self.leg(id, "stop recording") {
            leg.recording.stop(RecordEnd::Stopped);
        }
    }

    /// Whether a leg is recording.
    pub fn recording(&self, leg: LegId) -> bool {
        self.legs
            .get(&leg)
            .is_some_and(|open| open.leg.recording.is_active())
    }

    fn bridge(&mut self, a: LegId, b: LegId) {
        if a == b {
            tracing::debug!(leg = a.0, "bridge of a leg with itself: ignored");
            return;
        }
        let (Some(leg_a), Some(leg_b)) = (self.leg(a, "bridge"), self.leg(b, "bridge")) else {
            return;
        };
        for leg in [&leg_a, &leg_b] {
            clock::lock(&self.players).stop(leg.id);
            leg.unbridge();
        }
        for (leg, peer) in [(&leg_a, &leg_b), (&leg_b, &leg_a)] {
            let mut state = leg.state();
            state.peer = Some(peer.clone());
            state.output = Output::Relay;
            state.stream.switch();
        }
        tracing::debug!(a = a.0, b = b.0, "bridged");
    }

    fn mute(&mut self, id: LegId) {
        let Some(leg) = self.leg(id, "mute") else {
            return;
        };
        clock::lock(&self.players).stop(id);
        leg.state().output = Output::Nothing;
        tracing::debug!(leg = id.0, "muted");
    }

    fn close(&mut self, id: LegId) {
        let Some(open) = self.legs.remove(&id) else {
            tracing::debug!(leg = id.0, "close of a leg that is not open: ignored");
            return;
        };
        clock::lock(&self.players).stop(id);
        open.leg.recording.stop(RecordEnd::Stopped);
        open.leg.unbridge();
        open.receiver.abort();
        tracing::debug!(leg = id.0, "closed");
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        clock::lock(&self.players).clear();
        if let Some(clock) = self.clock.take() {
            clock.abort();
        }
        for (_, open) in self.legs.drain() {
            open.leg.recording.stop(RecordEnd::Stopped);
            open.leg.unbridge();
            open.receiver.abort();
        }
    }
}

/// A file a play waits for.
enum Load {
    /// Hold music, looped and cached.
    HoldMusic(PathBuf),
    /// A file played once, with the prompt played when it cannot be used.
    Once(PathBuf, Prompt),
}

/// Binds a non-blocking UDP socket and hands it to tokio.
fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::UdpSocket> {
    let socket = std::net::UdpSocket::bind(addr)?;
    socket.set_nonblocking(true)?;
    tokio::net::UdpSocket::from_std(socket)
}

/// The version stamp of a file, if it can be read.
fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok(), meta.len()))
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod voicemail_tests;
