//! The pacing clock of generated audio: one task for all playing legs, ticking every 20 ms,
//! sending each playing leg one frame. The frames go out in the leg's own outgoing stream
//! (`stream.rs`), the same one its relayed packets use: the leg's SSRC, its running sequence
//! number, and timestamps that follow on from whatever the leg heard before; each play counts
//! its samples from 0 and is a new source of that stream, so its first frame carries the
//! marker. A tick that finds the leg with nowhere to send (no address, on hold) skips the
//! frame but still counts its samples, so the timestamps stay in time.
//!
//! One shared clock rather than a timer per leg: 2,000 playing legs cost one wakeup per
//! 20 ms. The task ends by itself when nothing plays and is started again by the next play.
//!
//! A clip played once ([`Repeat::Once`]) is reported with [`Event::PlayFinished`] on the tick
//! that sends its last samples; the leg then hears silence.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

use super::leg::Leg;
use super::player::{self, Clip, Player, Repeat, FRAME_SAMPLES};
use super::rtp::{Header, HEADER_LEN};
use super::stream::Origin;
use super::{Event, LegId};

/// The frame period.
pub const FRAME: Duration = Duration::from_millis(20);

/// A playing leg.
struct Playing {
    leg: Arc<Leg>,
    player: Player,
    /// The play's own sample counter: the source timestamp of its next frame, which the
    /// leg's [`OutStream`](super::stream::OutStream) maps into its stream.
    samples: u32,
    /// Which play this is (a file finishing to load must not replace a later play's clip;
    /// a new play is a new source of the leg's stream).
    play_id: u64,
}

impl Playing {
    /// One tick at `now`: `elapsed` frame periods since the last one (more than 1 when ticks
    /// were missed; the audio skips ahead so it stays in time).
    fn tick(&mut self, elapsed: u32, now: std::time::Instant) {
        if self.play(elapsed, now) {
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
    fn play(&mut self, elapsed: u32, now: std::time::Instant) -> bool {
        let missed = elapsed.saturating_sub(1);
        let mut ended = false;
        if missed > 0 {
            ended = self.player.skip(missed);
            self.samples = self
                .samples
                .wrapping_add(missed.wrapping_mul(FRAME_SAMPLES as u32));
        }
        let mut packet = [0u8; HEADER_LEN + FRAME_SAMPLES];
        let (destination, frame_ended) = self.frame(&mut packet, now);
        ended |= frame_ended;
        if let Some(destination) = destination {
            if let Err(e) = self.leg.socket.try_send_to(&packet, destination) {
                tracing::trace!(leg = self.leg.id.0, error = %e, "RTP send failed");
            }
        }
        self.samples = self.samples.wrapping_add(FRAME_SAMPLES as u32);
        ended
    }

    /// Writes the next frame into `packet`, stamped into the leg's stream, when the leg has
    /// somewhere to send it (else the frame is skipped). Returns where to send it and whether
    /// a clip played once ended.
    fn frame(
        &mut self,
        packet: &mut [u8; HEADER_LEN + FRAME_SAMPLES],
        now: std::time::Instant,
    ) -> (Option<SocketAddr>, bool) {
        let (head, body) = packet.split_at_mut(HEADER_LEN);
        let Ok(frame) = <&mut [u8; FRAME_SAMPLES]>::try_from(body) else {
            return (None, false);
        };
        let mut state = self.leg.state();
        let target = state
            .media
            .destination()
            .zip(state.media.remote.map(|r| r.law));
        let Some((destination, law)) = target else {
            return (None, self.player.skip(1));
        };
        let ended = self.player.next_frame(law, frame);
        let origin = Origin::Generated { play: self.play_id };
        let stamp = state
            .stream
            .stamp(origin, self.samples, false, FRAME_SAMPLES as u32, now);
        let header = Header {
            payload_type: law.payload_type(),
            marker: stamp.marker,
            seq: stamp.seq,
            timestamp: stamp.timestamp,
            ssrc: stamp.ssrc,
        };
        (header.write(head).ok().map(|_| destination), ended)
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
    /// Plays `clip` to `leg` (replacing what it played: a new source of the leg's stream),
    /// looping or once. Returns the play's id and whether the clock task must be started.
    pub fn start(&mut self, leg: Arc<Leg>, clip: Clip, repeat: Repeat) -> (u64, bool) {
        self.next_play_id += 1;
        let play_id = self.next_play_id;
        let id = leg.id;
        let playing = Playing {
            leg,
            player: Player::with(clip, repeat),
            samples: 0,
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
        let now = at.into_std();
        for playing in guard.table.values_mut() {
            playing.tick(elapsed.max(1), now);
        }
    }
}
