//! The input format of the `sip_calls` target, shared with the seed generator.
//!
//! An input is a sequence of records as in [`crate::sip`] (control byte, source byte, bytes;
//! the same clock steps, TCP, twice and reconfigure bits). When the control byte has
//! [`GENERATED`] set, the bytes are not a message but a small command, `kind a b extra…`,
//! from which the harness writes the message itself, out of what it has seen so far — so
//! that mutation keeps getting past digest challenges and dialog matching:
//!
//! | kind | message |
//! | --- | --- |
//! | [`REGISTER`] | REGISTER from the source as device `10(a % 5)` (the `@AUTHn@` numbering: 0 is a wrong password, 4 does not exist), `Expires` from [`EXPIRES`]`[b % 4]`; sent without credentials first when no challenge was seen, and again once if challenged |
//! | [`CALL`] | a new INVITE as device `10(a % 5)` to [`TARGETS`]`[b % 8]`, with an SDP offer unless `b &` [`NO_SDP`]; `b &` [`HOLD`] offers `sendonly`, `b &` [`NO_CODEC`] offers G.729 only; challenged like REGISTER |
//! | [`ANSWER`] | a response from the source to the last request of [`ANSWER_TO`]`[a % 4]` we sent to it (`""`: whatever came last), status [`STATUSES`]`[b % 16]`, with our To tag ([`OTHER_TAG`]: a second one, as another fork would); to an INVITE, 2xx and 183 carry an SDP answer, others not, and [`FLIP_SDP`] flips that; [`HOLD`] answers `recvonly`, [`PCMU`] with PCMU rather than PCMA |
//! | [`ACK`] | the caller's ACK for the last final response to an INVITE we sent to the source (a new transaction for a 2xx, the INVITE's branch otherwise) |
//! | [`IN_DIALOG`] | a request of [`IN_DIALOG_METHODS`]`[a % 4]` from the caller, in the dialog of the last 18x/2xx (with a To tag) we sent to the source; a re-INVITE offers SDP ([`HOLD`]: `sendonly`) |
//! | [`CANCEL`] | a CANCEL for the last INVITE the source sent us |
//! | [`CALLEE_REQUEST`] | a request of [`IN_DIALOG_METHODS`]`[a % 4]` from the callee, in the dialog of the last INVITE we sent to the source (with our To tag, or the [`OTHER_TAG`] one) |
//! | [`OPEN_FAILED`] | the media engine reports that a leg's port could not be bound: the leg opened last if `a` is even, else the `(a / 2)`-th open leg |
//!
//! Whatever follows `kind a b` is inserted as header lines before `Content-Length`. Kinds are
//! taken modulo [`KINDS`]. A generated record shorter than three bytes reads missing bytes as 0.

/// Control bit: the record is a command, not a message.
pub const GENERATED: u8 = 0x80;

/// Kind: REGISTER.
pub const REGISTER: u8 = 0;
/// Kind: a new call.
pub const CALL: u8 = 1;
/// Kind: answer a request we sent.
pub const ANSWER: u8 = 2;
/// Kind: ACK our final response.
pub const ACK: u8 = 3;
/// Kind: an in-dialog request from the caller.
pub const IN_DIALOG: u8 = 4;
/// Kind: CANCEL the source's INVITE.
pub const CANCEL: u8 = 5;
/// Kind: an in-dialog request from a callee.
pub const CALLEE_REQUEST: u8 = 6;
/// Kind: a media port could not be bound.
pub const OPEN_FAILED: u8 = 7;
/// The number of kinds.
pub const KINDS: u8 = 8;

/// REGISTER expiry by `b % 4`.
pub const EXPIRES: [u32; 4] = [3600, 60, 0, 7200];
/// What a call dials, by `b % 8`, in the factory default: an employee, the group, the
/// entry point, the other employees, a number that does not exist, voicemail, an extension
/// nobody has.
pub const TARGETS: [&str; 8] = ["102", "100", "200", "103", "101", "999", "800", "104"];
/// Response statuses by `b % 16`.
pub const STATUSES: [u16; 16] = [
    180, 200, 183, 486, 487, 100, 603, 480, 408, 500, 181, 302, 404, 600, 202, 699,
];
/// Which request an ANSWER answers, by `a % 4`.
pub const ANSWER_TO: [&str; 4] = ["INVITE", "CANCEL", "BYE", ""];
/// In-dialog methods by `a % 4`.
pub const IN_DIALOG_METHODS: [&str; 4] = ["BYE", "INVITE", "INFO", "OPTIONS"];

/// Flag in `b`: a CALL without SDP; an ANSWER flips whether it carries SDP.
pub const NO_SDP: u8 = 0x10;
/// Flag in `b` of an ANSWER: flip whether it carries SDP.
pub const FLIP_SDP: u8 = 0x10;
/// Flag in `b`: hold (`sendonly` offers, `recvonly` answers).
pub const HOLD: u8 = 0x20;
/// Flag in `b` of a CALL: offer no codec we support.
pub const NO_CODEC: u8 = 0x40;
/// Flag in `b` of an ANSWER or CALLEE_REQUEST: the other To tag.
pub const OTHER_TAG: u8 = 0x40;
/// Flag in `b` of an ANSWER: answer PCMU.
pub const PCMU: u8 = 0x80;

/// The bytes of a generated record.
pub fn command(kind: u8, a: u8, b: u8) -> Vec<u8> {
    vec![kind, a, b]
}
