//! The daemon shell: loads the configuration, says what it serves, serves SIP on the configured
//! addresses, and runs until SIGTERM; tells systemd when it is ready, pings its watchdog while
//! the SIP loop answers, and says when it stops ([`crate::watchdog`]).

use std::path::Path;
use std::sync::Arc;

use firmware_config::persist::{ConfigStore, Startup};
use firmware_config::store::{SlotReport, SlotState};
use firmware_config::Config;
use tracing::{error, info, warn};

use std::net::{IpAddr, SocketAddr};

use firmware_config::system::Transport;

use crate::control::protocol::Revision;
use crate::control::server::{ControlServer, Setup, SwitchLink};
use crate::line::board::{LineAlert, LineBoard};
use crate::media;
use crate::notify::{self, Notifier};
use crate::routing::Router;
use crate::sip::b2bua::Local;
use crate::sip::endpoint::{DigestChoice, Endpoint, Input, Options};
use crate::sip::transport::{transport_name, BindError, Listeners};
use crate::sip::trunk::resolve::resolve_hosts;
use crate::storage::live::Live;
use crate::switch::Switch;
use crate::watchdog::Systemd;

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// Reading or creating the configuration failed.
    #[error(transparent)]
    Startup(#[from] firmware_config::persist::StartupError),
    /// The async runtime or the signal handlers could not be set up.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// A configured SIP address could not be bound.
    #[error(transparent)]
    Listen(#[from] BindError),
    /// The system's random source failed (needed for the digest nonce key).
    #[error("no randomness for the nonce key: {0}")]
    Random(getrandom::Error),
    /// The group given for console users does not exist.
    #[error("there is no group '{0}' for console users (--control-group)")]
    UnknownGroup(String),
}

/// Loads the configuration from `dir` (or creates the default), logs it, serves SIP on the
/// configured addresses, and runs until SIGTERM or SIGINT. An address that cannot be bound is
/// an error naming it: a PBX that silently does not listen is worse than one that does not
/// start.
///
/// With `control_group`, members of that group may open the control socket too (0660).
pub fn run(
    dir: &Path,
    digest: crate::cli::Digest,
    control_group: Option<&str>,
) -> Result<(), DaemonError> {
    let control_group = match control_group {
        Some(name) => {
            let groups = std::fs::read_to_string(crate::control::access::GROUP).unwrap_or_default();
            let gid = crate::control::access::group_id(&groups, name);
            Some(gid.ok_or_else(|| DaemonError::UnknownGroup(name.to_owned()))?)
        }
        None => None,
    };
    let mut store = ConfigStore::new(dir);
    let startup = store.startup()?;
    report_startup(&startup);
    let revision = revision_of(&startup, &store);
    let config = startup.into_config();
    log_services(&config);
    // The key of digest nonces and To tags: new at every start, so nonces from before a
    // restart are refused and phones are simply challenged again.
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(DaemonError::Random)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(DaemonError::Runtime)?;
    let digest = match digest {
        crate::cli::Digest::Md5 => DigestChoice::Md5,
        crate::cli::Digest::Sha256 => DigestChoice::Sha256,
        crate::cli::Digest::Both => DigestChoice::Both,
    };
    let options = Options {
        digest,
        ..Options::default()
    };
    let config = Arc::new(config);
    let control = Setup {
        socket: config.system.control_socket.as_str().into(),
        data_dir: config.system.data_dir.as_str().into(),
        store,
        revision,
        config: Arc::clone(&config),
        group: control_group,
        live: None,
        alerter: None,
        lines: None,
        line_alerts: None,
    };
    runtime.block_on(serve(config, secret, options, control))?;
    info!("shutting down");
    Ok(())
}

/// Binds the SIP addresses, says `ready`, and serves until a signal; then ends every call.
async fn serve(
    config: Arc<Config>,
    secret: [u8; 32],
    options: Options,
    mut control: Setup,
) -> Result<(), DaemonError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Runtime)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Runtime)?;
    let mut listeners = Listeners::bind(&config.system.sip_listen)?;
    // The storage limits every writer follows; the control server sets them on each change.
    let live = Arc::clone(
        control
            .live
            .get_or_insert_with(|| Live::new(&config.storage)),
    );
    if let Some(notifier) = start_notifier(&config) {
        notifier.bound_by(Arc::clone(&live));
        control.alerter = Some(notifier.alerter());
        listeners.notify_to(notifier);
    }
    let data_dir = Path::new(config.system.data_dir.as_str());
    listeners.voicemail_in(data_dir, Arc::clone(&config), Arc::clone(&live));
    listeners.history_in(data_dir, live);
    // The lines' diagnostics and health alerts, read by the control server.
    let board = LineBoard::new(config.lines.iter().map(|l| l.name.as_str()));
    let (alerts, alerts_rx) = tokio::sync::mpsc::unbounded_channel();
    control.lines = Some(Arc::clone(&board));
    control.line_alerts = Some(alerts_rx);
    let systemd = Systemd::from_env();
    let (_control, link) = start_control(control);
    if let Some(link) = systemd.supervise(link) {
        listeners.control_by(link);
    }
    for (transport, address) in listeners.local_addrs() {
        info!("SIP listening on {} {address}", transport_name(transport));
    }
    let local = advertised(&listeners.local_addrs());
    info!(media_ip = %local.media_ip, "media and SIP contact address");
    let mut endpoint = Endpoint::with_options(Arc::clone(&config), secret, options);
    endpoint.set_local(local);
    let now = chrono::Utc::now();
    // The CRM as its stored changes left it, so leads outlive a restart.
    let crm = crate::control::journal::load_crm(Path::new(config.system.data_dir.as_str()));
    let router = Router::new(Arc::clone(&config), crm, now);
    let mut switch = Switch::new(endpoint, router);
    // Trunk providers' host names, resolved once at start; their registrations start now.
    let prefer_v6 = local.udp.is_some_and(|a| a.is_ipv6());
    for resolved in resolve_hosts(&config, prefer_v6).await {
        switch.handle_input(chrono::Utc::now(), Input::TrunkResolved(resolved));
    }
    let _lines = start_lines(&config, local, &mut listeners, board, alerts);
    let (media_events, media_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine =
        media::engine::Engine::new(media_bind_ip(&config, local.media_ip), media_events);
    let stop = async {
        tokio::select! {
            _ = term.recv() => info!("SIGTERM received"),
            _ = int.recv() => info!("SIGINT received"),
        }
        systemd.stopping();
    };
    info!("ready");
    systemd.ready();
    listeners
        .run(switch, |command| engine.apply(command), media_rx, stop)
        .await;
    Ok(())
}

/// Starts a gateway for every configured analog line, on the media address, speaking SIP to
/// our own UDP address. A line that cannot start is logged and left out; the others and
/// every SIP call go on. Lines added or removed later take effect at the next start.
fn start_lines(
    config: &Config,
    local: Local,
    listeners: &mut Listeners,
    board: Arc<LineBoard>,
    alerts: tokio::sync::mpsc::UnboundedSender<LineAlert>,
) -> Vec<crate::line::gateway::LineGateway> {
    use crate::line::gateway::{LineGateway, Links};
    if config.lines.is_empty() {
        return Vec::new();
    }
    let Some(pbx) = local.udp else {
        error!("analog lines need a UDP SIP listen address; no line is started");
        return Vec::new();
    };
    let (notices, rx) = tokio::sync::mpsc::unbounded_channel();
    listeners.lines_from(rx);
    let runtime = tokio::runtime::Handle::current();
    let mut started = Vec::new();
    for line in config.lines.iter() {
        let links = Links {
            notices: notices.clone(),
            board: Arc::clone(&board),
            alerts: alerts.clone(),
        };
        match LineGateway::start(line, local.media_ip, pbx, links, &runtime) {
            Ok(g) => {
                info!(line = %line.name, sip = %g.sip(), "analog line gateway started");
                started.push(g);
            }
            Err(e) => error!(error = %e, "ANALOG LINE NOT STARTED"),
        }
    }
    started
}

/// The revision of the configuration the daemon starts on: the stored generation (0 when
/// running on a fallback that is not stored).
fn revision_of(startup: &Startup, store: &ConfigStore) -> Revision {
    match startup {
        Startup::Loaded { generation, .. } => *generation,
        Startup::Created { .. } => store
            .load()
            .ok()
            .and_then(|l| l.value.map(|(_, generation, _, _)| generation))
            .unwrap_or(0),
        Startup::Fallback { .. } => 0,
    }
}

/// Opens the control socket; returns it with the link the SIP loop must serve. Calls are
/// served without it, so a failure is logged loudly, not fatal.
fn start_control(setup: Setup) -> (Option<ControlServer>, Option<SwitchLink>) {
    let revision = setup.revision;
    match ControlServer::start(setup) {
        Ok((server, link)) => {
            info!(path = %server.socket().display(), revision, "control socket listening");
            (Some(server), Some(link))
        }
        Err(e) => {
            error!(error = %e, "NO CONTROL SOCKET: the console cannot connect");
            (None, None)
        }
    }
}

/// Starts the webhook worker on `<data_dir>/outbox`. Without it calls are still served, so a
/// failure is only logged (an error when a webhook is configured).
fn start_notifier(config: &Config) -> Option<Notifier> {
    let dir = Path::new(config.system.data_dir.as_str()).join(notify::OUTBOX_DIR);
    let webhook = config.webhook.clone();
    let configured = webhook.is_some();
    match Notifier::start(&dir, webhook, notify::Settings::default()) {
        Ok(notifier) => Some(notifier),
        Err(e) if configured => {
            error!(error = %e, "webhook outbox unusable: missed-call events will NOT reach the webhook");
            None
        }
        Err(e) => {
            warn!(error = %e, "webhook outbox unusable (no webhook is configured)");
            None
        }
    }
}

/// Our addresses as phones reach them: the bound ones, with a wildcard IP replaced by the
/// address this host uses towards the outside (found with an unsent UDP `connect`), or
/// loopback when there is no route.
fn advertised(bound: &[(Transport, SocketAddr)]) -> Local {
    let fix = |a: SocketAddr| {
        if !a.ip().is_unspecified() {
            return a;
        }
        SocketAddr::new(primary_ip(a.ip().is_ipv6()), a.port())
    };
    let pick = |t: Transport| bound.iter().find(|(x, _)| *x == t).map(|(_, a)| fix(*a));
    let udp = pick(Transport::Udp);
    let tcp = pick(Transport::Tcp);
    let media_ip = udp
        .or(tcp)
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    Local { udp, tcp, media_ip }
}

/// Where the RTP sockets bind: the SIP listen address's IP when it names one, else every
/// address (while SDP advertises `advertised`).
fn media_bind_ip(config: &Config, advertised: IpAddr) -> IpAddr {
    let listen = config.system.sip_listen.iter().map(|l| l.address.ip());
    match listen.clone().find(|ip| !ip.is_unspecified()) {
        Some(ip) => ip,
        None if advertised.is_ipv6() => IpAddr::from([0u16; 8]),
        None => IpAddr::from([0, 0, 0, 0]),
    }
}

/// The source address the kernel would pick towards a public address.
fn primary_ip(v6: bool) -> IpAddr {
    let (bind, probe): (SocketAddr, SocketAddr) = if v6 {
        (
            "[::]:0".parse().unwrap_or(SocketAddr::from(([0u16; 8], 0))),
            SocketAddr::from(([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 9)),
        )
    } else {
        (
            SocketAddr::from(([0, 0, 0, 0], 0)),
            SocketAddr::from(([192, 0, 2, 1], 9)),
        )
    };
    std::net::UdpSocket::bind(bind)
        .and_then(|s| {
            s.connect(probe)?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// Logs how the configuration was obtained; loudly when running on the factory default
/// because the stored slots could not be used.
pub fn report_startup(startup: &Startup) {
    match startup {
        Startup::Loaded {
            slot,
            generation,
            migrated_from,
            reports,
            ..
        } => {
            info!(%slot, generation, "configuration loaded");
            if let Some(v) = migrated_from {
                warn!(
                    from = v,
                    to = firmware_config::persist::SCHEMA_VERSION,
                    "configuration migrated from an older schema; it is rewritten at the next save"
                );
            }
            log_reports(reports);
        }
        Startup::Created { passwords, .. } => {
            warn!("no stored configuration: created the factory default (demo office)");
            for p in passwords {
                warn!(user = %p.username, password = %p.password, "SIP password generated; shown only this once");
            }
        }
        Startup::Fallback {
            passwords, reports, ..
        } => {
            error!("NO USABLE CONFIGURATION: every stored slot was refused; running on the FACTORY DEFAULT");
            error!("the refused slot files are left untouched for inspection; import a backup with `centrala config import`");
            log_reports(reports);
            for p in passwords {
                warn!(user = %p.username, password = %p.password, "SIP password generated for this run only; shown only this once");
            }
        }
    }
}

fn log_reports(reports: &[SlotReport; 2]) {
    for r in reports {
        match &r.state {
            SlotState::Rejected { reason, .. } => error!(slot = %r.slot, %reason, "slot refused"),
            SlotState::NewerSchema {
                generation,
                version,
            } => {
                warn!(slot = %r.slot, generation, version, "slot written by a newer Centrala; kept but not used")
            }
            _ => {}
        }
    }
}

/// Logs what the daemon serves with this configuration.
pub fn log_services(config: &Config) {
    let s = &config.system;
    info!(office = %s.name, country = %s.default_country_code, "serving");
    for l in s.sip_listen.iter() {
        info!(transport = ?l.transport, address = %l.address, "SIP listen address configured");
    }
    for e in config.employees.iter() {
        info!(extension = %e.extension, name = %e.name, devices = e.devices.len(), presence = ?e.presence, "employee");
    }
    for g in config.groups.iter() {
        info!(group = %g.name, number = %g.number, members = g.members.len(), distribution = ?g.distribution, "queue group");
    }
    for e in config.entry_points.iter() {
        info!(entry = %e.name, source = ?e.source, destination = ?e.destination, schedule = ?e.schedule.as_deref(), "entry point");
    }
    for t in config.trunks.iter() {
        info!(trunk = %t.name, host = %t.host, "SIP trunk");
    }
    for l in config.lines.iter() {
        info!(line = %l.name, capture = %l.capture_device, playback = %l.playback_device, "analog line");
    }
}
