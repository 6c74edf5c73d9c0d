//! `centrala-console`'s parts: the control-socket client, the console's state, the key map and
//! the screens. The binary (`main.rs`) only wires them to a terminal.

pub mod client;
