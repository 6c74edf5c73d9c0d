//! Echo canceller (placeholder while fsk.rs is brought up).
