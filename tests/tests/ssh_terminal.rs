//! The plumbing the console's end-to-end tests stand on: a private sshd on loopback, a key
//! with a forced command (how the appliance's admin account opens the console), and tmux as
//! the terminal at 80×24. These check the harness itself with plain commands, so a console
//! test that fails points at the console, not at the harness.
//!
//! Needs `sshd`, `ssh` and `tmux` (`scripts/setup.sh` installs openssh-server and tmux).

use centrala_e2e::ssh::SshServer;
use centrala_e2e::tmux::Terminal;

#[test]
fn a_forced_command_key_runs_its_command_whatever_the_client_asks() {
    let (server, keys) = SshServer::start(&[Some("echo forced-$((6*7)); sleep 20")]);
    // The client asks for something else; the server runs the forced command instead.
    let command = server.ssh_command(&keys[0], Some("echo not-this"));
    let terminal = Terminal::start(&command, 80, 24);
    let screen = terminal.wait_for(&["forced-42"]);
    assert!(!screen.contains("not-this"), "{screen}\n{}", server.log());
}

#[test]
fn a_plain_key_gets_a_terminal_of_the_tmux_size() {
    let (server, keys) = SshServer::start(&[None]);
    let command = server.ssh_command(&keys[0], Some("stty size; sleep 20"));
    let terminal = Terminal::start(&command, 80, 24);
    terminal.wait_for(&["24 80"]);
    drop(server);
}
