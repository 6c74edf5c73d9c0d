//! `centrala-console`'s parts: the control-socket client, the console's state, the key map and
//! the screens. The binary (`main.rs`) only wires them to a terminal.

pub mod action;
pub mod app;
pub mod client;
pub mod describe;
pub mod fields;
#[cfg(test)]
mod testing;
pub mod ui;
