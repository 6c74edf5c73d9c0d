//! The ALSA-control signalling backend, for boards whose FXO driver exposes ringing and the
//! hook as boolean control switches of the sound card (`amixer -c CARD controls` lists them):
//! the ring switch is read every [`POLL`] on a thread and each change reported as a
//! [`SignalEvent`]; the hook switch is written on command.
//!
//! Kept thin, like the GPIO backend: there is no such card here to test against; the
//! change detection ([`Edges`]) is unit tested.

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use alsa::ctl::{Ctl, ElemId, ElemIface, ElemType, ElemValue};
use firmware_config::line::AlsaControlSignalling;

use super::signal_socket::SignalEvent;

/// How often the ring switch is read (well under the shortest ring burst).
pub const POLL: Duration = Duration::from_millis(10);

/// Why the controls could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    /// A name ALSA cannot take (it contains a NUL byte).
    #[error("the name {0:?} contains a NUL byte")]
    BadName(String),
    /// ALSA refused.
    #[error("{card} control '{control}': {source}")]
    Alsa {
        /// The card.
        card: String,
        /// The control.
        control: String,
        /// The error.
        source: alsa::Error,
    },
    /// The control is not a boolean switch.
    #[error("{card} control '{control}' is not a boolean switch")]
    NotASwitch {
        /// The card.
        card: String,
        /// The control.
        control: String,
    },
}

/// Turns successive readings of a switch into changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Edges {
    last: Option<bool>,
}

impl Edges {
    /// The change `now` makes, if any (the first reading is a change only when on).
    pub fn feed(&mut self, now: bool) -> Option<bool> {
        let changed = match self.last {
            None => now,
            Some(before) => before != now,
        };
        self.last = Some(now);
        changed.then_some(now)
    }
}

/// One switch of a card.
struct Switch {
    ctl: Ctl,
    value: ElemValue,
    card: String,
    control: String,
}

impl Switch {
    fn open(card: &str, control: &str) -> Result<Switch, CtlError> {
        let alsa = |source| CtlError::Alsa {
            card: card.to_owned(),
            control: control.to_owned(),
            source,
        };
        let c = CString::new(card).map_err(|_| CtlError::BadName(card.to_owned()))?;
        let n = CString::new(control).map_err(|_| CtlError::BadName(control.to_owned()))?;
        let ctl = Ctl::open(&c, false).map_err(alsa)?;
        let mut id = ElemId::new(ElemIface::Mixer);
        id.set_name(&n);
        let mut value = ElemValue::new(ElemType::Boolean).map_err(alsa)?;
        value.set_id(&id);
        ctl.elem_read(&mut value).map_err(alsa)?;
        let switch = Switch {
            ctl,
            value,
            card: card.to_owned(),
            control: control.to_owned(),
        };
        switch.read()?;
        Ok(switch)
    }

    fn read(&self) -> Result<bool, CtlError> {
        self.value
            .get_boolean(0)
            .ok_or_else(|| CtlError::NotASwitch {
                card: self.card.clone(),
                control: self.control.clone(),
            })
    }

    fn refresh(&mut self) -> Result<bool, alsa::Error> {
        self.ctl.elem_read(&mut self.value)?;
        Ok(self.value.get_boolean(0).unwrap_or(false))
    }

    fn write(&mut self, on: bool) -> Result<(), alsa::Error> {
        let _ = self.value.set_boolean(0, on);
        self.ctl.elem_write(&self.value)
    }
}

/// A line's control switches: the hook, and a thread reporting the ring switch's changes.
pub struct AlsaCtlSignal {
    hook: Switch,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for AlsaCtlSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AlsaCtlSignal({} {})", self.hook.card, self.hook.control)
    }
}

impl AlsaCtlSignal {
    /// Opens both switches (the hook put on hook) and starts reporting ringing to `events`.
    pub fn start(
        config: &AlsaControlSignalling,
        events: Sender<SignalEvent>,
    ) -> Result<Self, CtlError> {
        let card = config.card.as_str();
        let mut hook = Switch::open(card, config.hook_control.as_str())?;
        hook.write(false).map_err(|source| CtlError::Alsa {
            card: card.to_owned(),
            control: config.hook_control.to_string(),
            source,
        })?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        // The ring switch is opened on its thread (ALSA's values cannot move between threads);
        // whether that worked comes back before `start` returns.
        let (opened_tx, opened) = std::sync::mpsc::sync_channel(1);
        let (card_name, ring_name) = (card.to_owned(), config.ring_control.to_string());
        let thread = std::thread::Builder::new()
            .name(format!("ctl {card}"))
            .spawn(move || {
                let mut ring = match Switch::open(&card_name, &ring_name) {
                    Ok(ring) => {
                        let _ = opened_tx.send(Ok(()));
                        ring
                    }
                    Err(e) => {
                        let _ = opened_tx.send(Err(e));
                        return;
                    }
                };
                let mut edges = Edges::default();
                while !flag.load(Ordering::Relaxed) {
                    match ring.refresh() {
                        Ok(now) => {
                            if let Some(on) = edges.feed(now) {
                                if events.send(SignalEvent::Ring(on)).is_err() {
                                    return;
                                }
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "ring switch not read"),
                    }
                    std::thread::sleep(POLL);
                }
            })
            .ok();
        if let Ok(Err(e)) = opened.recv() {
            return Err(e);
        }
        Ok(AlsaCtlSignal { hook, stop, thread })
    }

    /// Takes the line off hook (`true`) or puts it back.
    pub fn set_hook(&mut self, off_hook: bool) -> Result<(), alsa::Error> {
        self.hook.write(off_hook)
    }
}

impl Drop for AlsaCtlSignal {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.hook.write(false);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changes_are_reported() {
        let mut e = Edges::default();
        let seen: Vec<Option<bool>> = [false, false, true, true, false, true]
            .into_iter()
            .map(|v| e.feed(v))
            .collect();
        assert_eq!(
            seen,
            [None, None, Some(true), None, Some(false), Some(true)]
        );
        let mut on_at_start = Edges::default();
        assert_eq!(on_at_start.feed(true), Some(true));
    }

    #[test]
    fn a_card_that_does_not_exist_is_an_error_naming_it() {
        let config = AlsaControlSignalling {
            card: firmware_config::bounded::Text::new("hw:99").unwrap_or_else(|e| panic!("{e:?}")),
            ring_control: firmware_config::bounded::Text::new("FXO Ring")
                .unwrap_or_else(|e| panic!("{e:?}")),
            hook_control: firmware_config::bounded::Text::new("FXO Hook")
                .unwrap_or_else(|e| panic!("{e:?}")),
        };
        let (tx, _rx) = std::sync::mpsc::channel();
        let e = AlsaCtlSignal::start(&config, tx)
            .err()
            .map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(e.starts_with("hw:99 control 'FXO Hook':"), "{e}");
    }
}
