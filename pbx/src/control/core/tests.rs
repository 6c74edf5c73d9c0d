use super::*;
use firmware_config::employee::Presence;
use firmware_config::group::{Distribution, QueueGroup};
use firmware_config::number::Extension;
use firmware_config::schedule::{Forced, NightSwitch};
use firmware_config::time::Instant;

fn demo() -> Config {
    match firmware_config::default::factory_default() {
        Ok((config, _)) => config,
        Err(e) => panic!("no randomness: {e:?}"),
    }
}

fn ext(s: &str) -> Extension {
    Extension::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn office(config: &Config) -> QueueGroup {
    match config.group("office") {
        Some(g) => g.clone(),
        None => panic!("the demo has an office group"),
    }
}

/// The office group in round robin with 104 added, and 104 as an employee of `config`.
fn with_member_104(config: &mut Config) -> QueueGroup {
    let mut e = config.employees[0].clone();
    e.extension = ext("104");
    e.devices = Default::default();
    assert!(config.employees.push(e).is_ok());
    let mut g = office(config);
    g.distribution = Distribution::Evenly;
    assert!(g.members.push(ext("104")).is_ok());
    g
}

fn replace_group(base: Revision, g: QueueGroup) -> Request {
    Request::Replace {
        base,
        item: Item::Group(Box::new(g)),
    }
}

fn save(core: &mut Core, request: &Request, revision: Revision) -> Saved {
    match core.handle(request) {
        Decision::Save { .. } => {}
        other => panic!("expected a save, got {other:?}"),
    }
    match core.saved(revision, "ala") {
        Some(s) => s,
        None => panic!("no pending save"),
    }
}

#[test]
fn a_valid_replacement_is_saved_then_confirmed() {
    let config = demo();
    let mut core = Core::new(3, Arc::new(config.clone()));
    let mut g = office(&config);
    g.distribution = Distribution::InOrder;
    g.ring_time_secs = 25;
    let request = replace_group(3, g.clone());
    let Decision::Save {
        config: new,
        changed,
    } = core.handle(&request)
    else {
        panic!("not saved");
    };
    assert_eq!(changed, vec!["group 'office'".to_owned()]);
    assert_eq!(new.group("office"), Some(&g));
    // Nothing is current until the shell confirms.
    assert_eq!(core.revision(), 3);
    let saved = core.saved(4, "ala").unwrap_or_else(|| panic!("pending"));
    assert_eq!(saved.reply, Reply::Saved { revision: 4 });
    assert_eq!(
        saved.event,
        Event::ConfigChanged {
            revision: 4,
            by: "ala".into(),
            changed: vec!["group 'office'".into()],
        }
    );
    assert_eq!(core.revision(), 4);
    assert_eq!(core.config().group("office"), Some(&g));
    assert_eq!(*saved.before, config);
    assert!(
        core.saved(5, "ala").is_none(),
        "only one confirmation per save"
    );
}

#[test]
fn a_change_on_an_old_revision_is_a_conflict_naming_what_changed() {
    let config = demo();
    let mut core = Core::new(1, Arc::new(config.clone()));
    let mut g = office(&config);
    g.ring_time_secs = 40;
    save(&mut core, &replace_group(1, g.clone()), 2);
    let mut other = office(&config);
    other.distribution = Distribution::Simultaneously;
    let reply = core.handle(&replace_group(1, other));
    assert_eq!(
        reply,
        Decision::Reply(Reply::Conflict {
            current: 2,
            changed: vec!["group 'office'".into()],
        })
    );
    assert_eq!(
        core.config().group("office"),
        Some(&g),
        "nothing overwritten"
    );
}

#[test]
fn a_base_no_longer_remembered_names_the_whole_configuration() {
    let config = demo();
    let mut core = Core::new(1, Arc::new(config.clone()));
    let mut g = office(&config);
    for n in 0..(HISTORY as u16 + 2) {
        g.ring_time_secs = 10 + n;
        let revision = core.revision();
        save(&mut core, &replace_group(revision, g.clone()), revision + 1);
    }
    let now = core.revision();
    let reply = core.handle(&replace_group(1, office(&config)));
    assert_eq!(
        reply,
        Decision::Reply(Reply::Conflict {
            current: now,
            changed: vec![format!("the configuration (revision {now})")],
        })
    );
    // A base from the future is no better.
    let reply = core.handle(&replace_group(now + 5, office(&config)));
    assert!(matches!(reply, Decision::Reply(Reply::Conflict { .. })));
}

#[test]
fn an_invalid_change_names_each_field_and_saves_nothing() {
    let config = demo();
    let mut core = Core::new(1, Arc::new(config.clone()));
    let mut g = office(&config);
    g.ring_time_secs = 0;
    assert!(g.members.push(ext("555")).is_ok());
    let Decision::Reply(Reply::Invalid { problems }) = core.handle(&replace_group(1, g)) else {
        panic!("accepted an invalid group");
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("group 'office', field 'members")),
        "{problems:?}"
    );
    assert!(
        paths.contains(&"group 'office', field 'ring_time_secs'"),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.message.contains("555")),
        "{problems:?}"
    );
    assert!(core.saved(2, "ala").is_none(), "nothing pending");
    assert_eq!(**core.config(), config);
}

#[test]
fn replace_adds_a_new_item_and_remove_takes_it_away() {
    let config = demo();
    let mut core = Core::new(1, Arc::new(config.clone()));
    let mut sales = office(&config);
    sales.name = "sales".try_into().unwrap_or_else(|_| panic!("fits"));
    sales.number = ext("300");
    let saved = save(&mut core, &replace_group(1, sales), 2);
    assert_eq!(saved.event_changed(), vec!["group 'sales'"]);
    assert_eq!(core.config().groups.len(), 2);
    let remove = Request::Remove {
        base: 2,
        key: ItemKey::Group("sales".into()),
    };
    let saved = save(&mut core, &remove, 3);
    assert_eq!(saved.event_changed(), vec!["group 'sales'"]);
    assert!(core.config().group("sales").is_none());
}

#[test]
fn removing_an_unknown_item_is_an_error() {
    let mut core = Core::new(1, Arc::new(demo()));
    let remove = Request::Remove {
        base: 1,
        key: ItemKey::Schedule("night".into()),
    };
    let Decision::Reply(Reply::Error { message }) = core.handle(&remove) else {
        panic!("removed a schedule that is not there");
    };
    assert!(message.contains("schedule 'night'"), "{message}");
}

#[test]
fn removing_a_referenced_employee_is_invalid() {
    let mut core = Core::new(1, Arc::new(demo()));
    let remove = Request::Remove {
        base: 1,
        key: ItemKey::Employee(ext("101")),
    };
    assert!(matches!(
        core.handle(&remove),
        Decision::Reply(Reply::Invalid { .. })
    ));
}

#[test]
fn presence_and_night_switch_are_changes_too() {
    let mut core = Core::new(7, Arc::new(demo()));
    let presence = Request::SetPresence {
        base: 7,
        employee: ext("102"),
        presence: Presence::OnBreak,
    };
    assert_eq!(
        save(&mut core, &presence, 8).event_changed(),
        ["employee 102"]
    );
    let e = core.config().employee(&ext("102")).map(|e| e.presence);
    assert_eq!(e, Some(Presence::OnBreak));
    let night = Request::SetNightSwitch {
        base: 8,
        schedule: "office-hours".into(),
        night_switch: Some(NightSwitch {
            state: Forced::Closed,
            until: Instant(1_900_000_000),
        }),
    };
    assert_eq!(
        save(&mut core, &night, 9).event_changed(),
        ["schedule 'office-hours'"]
    );
    let unknown = Request::SetPresence {
        base: 9,
        employee: ext("999"),
        presence: Presence::Off,
    };
    assert!(matches!(
        core.handle(&unknown),
        Decision::Reply(Reply::Error { .. })
    ));
}

#[test]
fn a_change_that_changes_nothing_is_not_stored() {
    let config = demo();
    let mut core = Core::new(5, Arc::new(config.clone()));
    let same = replace_group(5, office(&config));
    assert_eq!(
        core.handle(&same),
        Decision::Reply(Reply::Saved { revision: 5 })
    );
    assert!(core.saved(6, "ala").is_none());
}

#[test]
fn a_failed_save_leaves_the_configuration_and_allows_the_next_change() {
    let config = demo();
    let mut core = Core::new(1, Arc::new(config.clone()));
    let mut g = office(&config);
    g.ring_time_secs = 33;
    let request = replace_group(1, g);
    assert!(matches!(core.handle(&request), Decision::Save { .. }));
    assert!(matches!(
        core.handle(&request),
        Decision::Reply(Reply::Error { .. })
    ));
    core.save_failed();
    assert_eq!(**core.config(), config);
    assert!(matches!(core.handle(&request), Decision::Save { .. }));
}

#[test]
fn hello_and_get_config_are_answered_from_the_current_configuration() {
    let config = demo();
    let mut core = Core::new(4, Arc::new(config.clone()));
    let hello = Request::Hello {
        client: "test".into(),
        user: "ala".into(),
    };
    assert_eq!(
        core.handle(&hello),
        Decision::Reply(Reply::Hello {
            version: VERSION,
            office: config.system.name.to_string(),
        })
    );
    assert_eq!(
        core.handle(&Request::GetConfig),
        Decision::Reply(Reply::Config {
            revision: 4,
            config: Box::new(config),
        })
    );
}

#[test]
fn changes_name_every_kind_of_item() {
    let old = demo();
    let mut new = old.clone();
    assert!(changes(&old, &new).is_empty());
    new.system.name = "Other office".try_into().unwrap_or_else(|_| panic!("fits"));
    new.outbound.max_concurrent += 1;
    new.webhook = Some(firmware_config::system::Webhook {
        url: "https://crm.example/hook"
            .try_into()
            .unwrap_or_else(|_| panic!("fits")),
        secret: None,
        timeout_ms: 1000,
    });
    let g = with_member_104(&mut new);
    new.groups.as_mut_slice()[0] = g;
    new.schedules.as_mut_slice()[0].holidays = Default::default();
    new.schedules.as_mut_slice()[0].time_zone =
        "Europe/Paris".try_into().unwrap_or_else(|_| panic!("fits"));
    new.entry_points.as_mut_slice()[0].schedule = None;
    new.employees.as_mut_slice()[1].presence = Presence::Off;
    assert_eq!(
        changes(&old, &new),
        [
            "system settings",
            "webhook",
            "outside-call limits",
            "employee 102",
            "employee 104",
            "group 'office'",
            "schedule 'office-hours'",
            "entry point 'reception'",
        ]
    );
    let items = item_changes(&old, &new);
    let added = items.iter().find(|c| c.item == "employee 104");
    assert!(added.is_some_and(|c| c.before.is_none() && c.after.is_some()));
    let removed = item_changes(&new, &old);
    let gone = removed.iter().find(|c| c.item == "employee 104");
    assert!(gone.is_some_and(|c| c.before.is_some() && c.after.is_none()));
}

impl Saved {
    fn event_changed(&self) -> Vec<String> {
        match &self.event {
            Event::ConfigChanged { changed, .. } => changed.clone(),
            other => panic!("{other:?}"),
        }
    }
}
