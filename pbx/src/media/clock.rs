//! The pacing clock of generated audio: one task for all playing legs, ticking every 20 ms,
//! sending each playing leg one frame as its own RTP stream (random SSRC, sequence number
//! and timestamp start; marker on the first packet of each new source).
//!
//! One shared clock rather than a timer per leg: 2,000 playing legs cost one wakeup per
//! 20 ms. The task ends by itself when nothing plays and is started again by the next play.
//!
//! A clip played once ([`Repeat::Once`]) is reported with [`Event::PlayFinished`] on the tick
//! that sends its last samples; the leg then hears silence.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

use super::leg::Leg;
use super::player::{self, Clip, Player, Repeat, FRAME_SAMPLES};
use super::rtp::{Header, HEADER_LEN};
use super::{Event, LegId};

/// The frame period.
pub const FRAME: Duration = Duration::from_millis(20);

/// One leg's outgoing RTP stream of generated audio.
#[derive(Debug, Clone, Copy)]
struct Stream {
    ssrc: u32,
    seq: u16,
    timestamp: u32,
    /// The next packet starts a new source: set the marker.
    marker: bool,
}

impl Stream {
    fn new() -> Stream {
        let random = getrandom::u64().unwrap_or_else(|_| {
            // Without OS randomness, the clock makes a passable SSRC.
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            now.map_or(0x5eed, |d| d.as_nanos() as u64)
        });
        Stream {
            ssrc: random as u32,
            seq: (random >> 32) as u16,
            timestamp: ((random >> 48) as u32) << 8,
            marker: true,
        }
    }
}

/// A playing leg.
struct Playing {
    leg: Arc<Leg>,
    player: Player,
    stream: Stream,
    /// Which play this is (a file finishing to load must not replace a later play's clip).
    play_id: u64,
}

impl Playing {
    /// One tick: `elapsed` frame periods since the last one (more than 1 when ticks were
    /// missed; the audio skips ahead so it stays in time).
    fn tick(&mut self, elapsed: u32) {
        if self.play(elapsed) {
            tracing::debug!(leg = self.leg.id.0, "played to the end");
            self.player = Player::new(player::silence());
            // The call layer may have gone away (shutdown): nobody to tell.
            let _ = self
                .leg
                .events
                .send(Event::PlayFinished { leg: self.leg.id });
        }
    }

    /// Sends this tick's frame; tells whether a clip played once ended.
    fn play(&mut self, elapsed: u32) -> bool {
        let missed = elapsed.saturating_sub(1);
        let mut ended = false;
        if missed > 0 {
            ended = self.player.skip(missed);
            self.stream.timestamp = self
                .stream
                .timestamp
                .wrapping_add(missed.wrapping_mul(FRAME_SAMPLES as u32));
        }
        let target = {
            let state = self.leg.state();
            state
                .media
                .destination()
                .zip(state.media.remote.map(|r| r.law))
        };
        let mut packet = [0u8; HEADER_LEN + FRAME_SAMPLES];
        let (head, body) = packet.split_at_mut(HEADER_LEN);
        let frame: &mut [u8; FRAME_SAMPLES] = match body.try_into() {
            Ok(frame) => frame,
            Err(_) => return ended,
        };
        if let Some((destination, law)) = target {
            ended |= self.player.next_frame(law, frame);
            let header = Header {
                payload_type: law.payload_type(),
                marker: self.stream.marker,
                seq: self.stream.seq,
                timestamp: self.stream.timestamp,
                ssrc: self.stream.ssrc,
            };
            if header.write(head).is_ok() {
                if let Err(e) = self.leg.socket.try_send_to(&packet, destination) {
                    tracing::trace!(leg = self.leg.id.0, error = %e, "RTP send failed");
                }
                self.stream.marker = false;
                self.stream.seq = self.stream.seq.wrapping_add(1);
            }
        } else {
            ended |= self.player.skip(1);
        }
        self.stream.timestamp = self.stream.timestamp.wrapping_add(FRAME_SAMPLES as u32);
        ended
    }
}

/// The playing legs, shared between the engine and the clock task.
#[derive(Default)]
pub struct Players {
    table: HashMap<LegId, Playing>,
    running: bool,
    next_play_id: u64,
}

/// The handle the engine keeps.
pub type SharedPlayers = Arc<Mutex<Players>>;

/// Locks the table (recovering from a poisoned lock: the data stays valid).
pub fn lock(players: &SharedPlayers) -> MutexGuard<'_, Players> {
    players
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Players {
    /// Plays `clip` to `leg` (replacing what it played: same stream, marker set), looping or
    /// once. Returns the play's id and whether the clock task must be started.
    pub fn start(&mut self, leg: Arc<Leg>, clip: Clip, repeat: Repeat) -> (u64, bool) {
        self.next_play_id += 1;
        let play_id = self.next_play_id;
        let mut stream = self
            .table
            .get(&leg.id)
            .map_or_else(Stream::new, |p| p.stream);
        stream.marker = true;
        let id = leg.id;
        let playing = Playing {
            leg,
            player: Player::with(clip, repeat),
            stream,
            play_id,
        };
        self.table.insert(id, playing);
        let start = !self.running;
        self.running = true;
        (play_id, start)
    }

    /// Replaces the clip of play `play_id`, if it is still playing.
    pub fn replace_clip(&mut self, leg: LegId, play_id: u64, clip: Clip) {
        if let Some(p) = self.table.get_mut(&leg) {
            if p.play_id == play_id {
                p.player.set_clip(clip);
            }
        }
    }

    /// Stops playing to `leg`; returns whether it was playing.
    pub fn stop(&mut self, leg: LegId) -> bool {
        self.table.remove(&leg).is_some()
    }

    /// Forgets every player (the engine is going away).
    pub fn clear(&mut self) {
        self.table.clear();
    }

    /// How many legs are playing.
    pub fn len(&self) -> usize {
        self.table.len()
    }
}

/// The clock task: ticks every 20 ms until nothing plays.
pub async fn run(players: SharedPlayers) {
    let mut interval = tokio::time::interval(FRAME);
    interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let start = Instant::now();
    let mut last: Option<u128> = None;
    loop {
        let at = interval.tick().await;
        let tick = at.saturating_duration_since(start).as_millis() / FRAME.as_millis();
        let elapsed = last.map_or(1, |l| u32::try_from(tick.saturating_sub(l)).unwrap_or(1));
        last = Some(tick);
        let mut guard = lock(&players);
        if guard.table.is_empty() {
            guard.running = false;
            return;
        }
        for playing in guard.table.values_mut() {
            playing.tick(elapsed.max(1));
        }
    }
}
