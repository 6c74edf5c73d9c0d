//! The GPIO signalling backend, through the Linux GPIO character device (uAPI v2): the ring
//! detect input (and the optional loop-current input) with edge detection, and the hook relay
//! output. Pins and their active levels come from the configuration; the kernel applies
//! `active_low`, so "active" always means ringing, loop current present, off hook.
//!
//! Kept thin on purpose (TESTING.md: the character device cannot be simulated here): a
//! blocking thread waits for edges with a timeout, maps each to a [`SignalEvent`] with
//! [`event_of`] (unit tested), and sends it on; hook commands set the output.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use firmware_config::line::{GpioPin, GpioSignalling};
use gpiocdev::line::{EdgeDetection, EdgeKind, Value};
use gpiocdev::Request;

use super::signal_socket::SignalEvent;

/// The consumer name the kernel shows for Centrala's lines.
pub const CONSUMER: &str = "centrala";

/// How often the edge thread looks at its stop flag.
const POLL: Duration = Duration::from_millis(200);

/// What an input edge means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The ring-detect input.
    Ring,
    /// The loop-current input.
    LoopCurrent,
}

/// The event an edge on `input` reports (`Rising` = became active, the kernel having applied
/// the pin's active level).
pub fn event_of(input: Input, edge: EdgeKind) -> SignalEvent {
    let active = edge == EdgeKind::Rising;
    match input {
        Input::Ring => SignalEvent::Ring(active),
        Input::LoopCurrent => SignalEvent::LoopCurrent(active),
    }
}

/// Why the GPIO lines could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{chip} line {line}: {source}")]
pub struct GpioError {
    /// The chip.
    pub chip: String,
    /// The line offset.
    pub line: u32,
    /// The error.
    pub source: gpiocdev::Error,
}

/// A line's GPIO signalling: the hook output, and a thread reporting input edges.
#[derive(Debug)]
pub struct GpioSignal {
    hook: Request,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn input(chip: &str, pin: GpioPin) -> Result<Request, GpioError> {
    let mut b = Request::builder();
    b.on_chip(chip).with_consumer(CONSUMER).with_line(pin.line);
    b.as_input().with_edge_detection(EdgeDetection::BothEdges);
    if pin.active_low {
        b.as_active_low();
    }
    b.request().map_err(|source| GpioError {
        chip: chip.to_owned(),
        line: pin.line,
        source,
    })
}

impl GpioSignal {
    /// Requests the pins (the hook released, on hook) and starts reporting edges to `events`.
    pub fn start(config: &GpioSignalling, events: Sender<SignalEvent>) -> Result<Self, GpioError> {
        let chip = config.chip.as_str();
        let mut b = Request::builder();
        b.on_chip(chip)
            .with_consumer(CONSUMER)
            .with_line(config.hook.line)
            .as_output(Value::Inactive);
        if config.hook.active_low {
            b.as_active_low();
        }
        let hook = b.request().map_err(|source| GpioError {
            chip: chip.to_owned(),
            line: config.hook.line,
            source,
        })?;
        let mut inputs = vec![(input(chip, config.ring_detect)?, Input::Ring)];
        if let Some(pin) = config.loop_current {
            inputs.push((input(chip, pin)?, Input::LoopCurrent));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(format!("gpio {chip}"))
            .spawn(move || watch(&inputs, &events, &flag))
            .ok();
        Ok(GpioSignal { hook, stop, thread })
    }

    /// Takes the line off hook (`true`) or puts it back.
    pub fn set_hook(&self, off_hook: bool) -> Result<(), gpiocdev::Error> {
        let value = if off_hook {
            Value::Active
        } else {
            Value::Inactive
        };
        self.hook.set_lone_value(value)
    }
}

impl Drop for GpioSignal {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.hook.set_lone_value(Value::Inactive);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Waits for edges on every input until stopped or the receiver is gone.
fn watch(inputs: &[(Request, Input)], events: &Sender<SignalEvent>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        for (req, what) in inputs {
            match req.wait_edge_event(POLL / inputs.len().max(1) as u32) {
                Ok(true) => match req.read_edge_event() {
                    Ok(edge) => {
                        if events.send(event_of(*what, edge.kind)).is_err() {
                            return;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "GPIO edge not read"),
                },
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "GPIO wait failed");
                    std::thread::sleep(POLL);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_become_ring_and_loop_events() {
        assert_eq!(
            event_of(Input::Ring, EdgeKind::Rising),
            SignalEvent::Ring(true)
        );
        assert_eq!(
            event_of(Input::Ring, EdgeKind::Falling),
            SignalEvent::Ring(false)
        );
        assert_eq!(
            event_of(Input::LoopCurrent, EdgeKind::Falling),
            SignalEvent::LoopCurrent(false)
        );
    }

    #[test]
    fn a_missing_chip_is_an_error_naming_it() {
        let config = GpioSignalling {
            chip: firmware_config::bounded::Text::new("/dev/centrala-no-such-gpiochip")
                .unwrap_or_else(|e| panic!("{e:?}")),
            ring_detect: GpioPin {
                line: 17,
                active_low: true,
            },
            hook: GpioPin {
                line: 27,
                active_low: false,
            },
            loop_current: None,
        };
        let (tx, _rx) = std::sync::mpsc::channel();
        let e = GpioSignal::start(&config, tx).err().map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(
            e.starts_with("/dev/centrala-no-such-gpiochip line 27:"),
            "{e}"
        );
    }
}
