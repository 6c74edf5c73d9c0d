use super::*;

fn body(id: u64, note: &str) -> Vec<u8> {
    format!("{{\"id\":{id},\"note\":\"{note}\"}}").into_bytes()
}

fn open(dir: &Path, limits: Limits) -> Outbox {
    Outbox::open(dir, limits).unwrap_or_else(|e| panic!("{e}"))
}

fn push(outbox: &mut Outbox, note: &str) -> Pushed {
    outbox
        .push(|id| Ok(body(id, note)))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    names.sort();
    names
}

#[test]
fn events_survive_a_reopen_in_order_with_their_bodies() {
    let dir = temp();
    let mut outbox = open(dir.path(), Limits::default());
    let ids: Vec<u64> = ["a", "b", "c"].map(|n| push(&mut outbox, n).id).into();
    let f = ids[0];
    assert_eq!(ids, [f, f + 1, f + 2]);
    drop(outbox);
    let mut outbox = open(dir.path(), Limits::default());
    assert_eq!(outbox.ids().collect::<Vec<_>>(), ids);
    assert_eq!(outbox.next_id(), f + 3);
    let read = outbox.read(f + 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read, body(f + 1, "b"));
    let sizes: usize = ids
        .iter()
        .zip(["a", "b", "c"])
        .map(|(id, n)| body(*id, n).len())
        .sum();
    assert_eq!(outbox.bytes(), sizes as u64);
}

#[test]
fn a_new_outbox_starts_at_the_clock_so_a_wiped_one_does_not_repeat_ids() {
    let dir = temp();
    let before = clock_floor();
    let mut outbox = open(dir.path(), Limits::default());
    let first = push(&mut outbox, "a").id;
    assert!(first >= before && first <= clock_floor(), "{first}");
    outbox.delivered(first).unwrap_or_else(|e| panic!("{e}"));
    drop(outbox);
    fs::remove_dir_all(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(std::time::Duration::from_millis(2));
    let mut outbox = open(dir.path(), Limits::default());
    assert!(push(&mut outbox, "b").id > first);
}

#[test]
fn files_are_named_so_they_sort_like_ids() {
    assert_eq!(file_name(42), "00000000000000000042.json");
    assert_eq!(file_name(u64::MAX), "18446744073709551615.json");
    assert!(file_name(9) < file_name(10));
}

#[test]
fn ids_are_never_reused_after_every_event_was_delivered() {
    let dir = temp();
    let mut outbox = open(dir.path(), Limits::default());
    let ids: Vec<u64> = ["a", "b", "c"].map(|n| push(&mut outbox, n).id).into();
    for id in &ids {
        outbox.delivered(*id).unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(outbox.is_empty());
    assert_eq!(names(dir.path()), ["next-id"]);
    drop(outbox);
    let mut outbox = open(dir.path(), Limits::default());
    assert_eq!(push(&mut outbox, "d").id, ids[2] + 1);
}

#[test]
fn a_counter_behind_the_files_is_overtaken() {
    let dir = temp();
    let mut outbox = open(dir.path(), Limits::default());
    let f = push(&mut outbox, "a").id;
    push(&mut outbox, "b");
    outbox.refused(f + 1).unwrap_or_else(|e| panic!("{e}"));
    drop(outbox);
    fs::write(dir.path().join("next-id"), "1\n").unwrap_or_else(|e| panic!("{e}"));
    let outbox = open(dir.path(), Limits::default());
    assert_eq!(outbox.next_id(), f + 2);
}

#[test]
fn without_a_readable_counter_numbering_continues_after_every_file_and_the_clock() {
    let dir = temp();
    // Ids far above the clock, as if the clock had been set back since.
    let high = clock_floor() * 2;
    fs::write(dir.path().join("next-id"), format!("{high}\n")).unwrap_or_else(|e| panic!("{e}"));
    let mut outbox = open(dir.path(), Limits::default());
    let ids: Vec<u64> = ["a", "b", "c"].map(|n| push(&mut outbox, n).id).into();
    assert_eq!(ids, [high, high + 1, high + 2]);
    outbox.refused(high + 2).unwrap_or_else(|e| panic!("{e}"));
    drop(outbox);
    fs::write(dir.path().join("next-id"), "garbage").unwrap_or_else(|e| panic!("{e}"));
    let mut outbox = open(dir.path(), Limits::default());
    assert!(dir.path().join("next-id.bad").exists());
    assert_eq!(outbox.ids().collect::<Vec<_>>(), [high, high + 1]);
    assert_eq!(push(&mut outbox, "d").id, high + 3);
    drop(outbox);
    let outbox = open(dir.path(), Limits::default());
    assert_eq!(outbox.next_id(), high + 4);
}

#[test]
fn a_corrupt_file_found_at_start_is_moved_aside_and_its_id_not_reused() {
    let dir = temp();
    let high = clock_floor() * 2;
    fs::write(dir.path().join("next-id"), format!("{high}\n")).unwrap_or_else(|e| panic!("{e}"));
    let mut outbox = open(dir.path(), Limits::default());
    let ids: Vec<u64> = ["a", "b", "c"].map(|n| push(&mut outbox, n).id).into();
    drop(outbox);
    let path = |id| dir.path().join(file_name(id));
    fs::write(path(ids[2]), format!("{{\"id\":{},", ids[2])).unwrap_or_else(|e| panic!("{e}"));
    fs::write(path(ids[1]), body(7, "wrong id")).unwrap_or_else(|e| panic!("{e}"));
    fs::remove_file(dir.path().join("next-id")).unwrap_or_else(|e| panic!("{e}"));
    let mut outbox = open(dir.path(), Limits::default());
    assert_eq!(outbox.ids().collect::<Vec<_>>(), [ids[0]]);
    assert_eq!(
        names(dir.path()),
        [
            file_name(ids[0]),
            format!("{}.bad", file_name(ids[1])),
            format!("{}.bad", file_name(ids[2])),
        ]
    );
    assert_eq!(push(&mut outbox, "d").id, ids[2] + 1);
}

#[test]
fn a_file_that_turns_bad_before_sending_is_moved_aside() {
    let dir = temp();
    let mut outbox = open(dir.path(), Limits::default());
    let f = push(&mut outbox, "a").id;
    push(&mut outbox, "b");
    fs::write(dir.path().join(file_name(f)), [0xff, 0x00]).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(outbox.read(f), Err(OutboxError::Corrupt { id, .. }) if id == f));
    assert!(dir.path().join(format!("{}.bad", file_name(f))).exists());
    assert_eq!(outbox.ids().collect::<Vec<_>>(), [f + 1]);
    assert!(matches!(outbox.read(f), Err(OutboxError::NotPending(id)) if id == f));
}

#[test]
fn a_vanished_file_is_an_error_not_a_panic() {
    let dir = temp();
    let mut outbox = open(dir.path(), Limits::default());
    let f = push(&mut outbox, "a").id;
    fs::remove_file(dir.path().join(file_name(f))).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(outbox.read(f), Err(OutboxError::Io { .. })));
    assert!(outbox.is_empty());
}

#[test]
fn a_refused_event_is_kept_aside() {
    let dir = temp();
    let mut outbox = open(dir.path(), Limits::default());
    let f = push(&mut outbox, "a").id;
    push(&mut outbox, "b");
    outbox.refused(f).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outbox.ids().collect::<Vec<_>>(), [f + 1]);
    let aside = dir.path().join(format!("{}.refused", file_name(f)));
    assert_eq!(
        fs::read(aside).unwrap_or_else(|e| panic!("{e}")),
        body(f, "a")
    );
    assert!(matches!(outbox.refused(f), Err(OutboxError::NotPending(_))));
}

#[test]
fn writes_cut_short_are_removed_at_start() {
    let dir = temp();
    let mut outbox = open(dir.path(), Limits::default());
    let f = push(&mut outbox, "a").id;
    drop(outbox);
    let half = dir.path().join(format!("{}.tmp", file_name(f + 1)));
    fs::write(&half, "{\"id\":2").unwrap_or_else(|e| panic!("{e}"));
    fs::write(dir.path().join("next-id.tmp"), "3").unwrap_or_else(|e| panic!("{e}"));
    let outbox = open(dir.path(), Limits::default());
    assert_eq!(outbox.ids().collect::<Vec<_>>(), [f]);
    assert_eq!(names(dir.path()), [file_name(f), "next-id".to_owned()]);
}

#[test]
fn over_the_event_limit_the_oldest_are_dropped() {
    let dir = temp();
    let limits = Limits {
        max_events: 3,
        max_bytes: u64::MAX,
    };
    let mut outbox = open(dir.path(), limits);
    let f = outbox.next_id();
    for note in ["a", "b", "c"] {
        assert!(push(&mut outbox, note).dropped.is_empty());
    }
    assert_eq!(push(&mut outbox, "d").dropped, [f]);
    assert_eq!(push(&mut outbox, "e").dropped, [f + 1]);
    assert_eq!(outbox.ids().collect::<Vec<_>>(), [f + 2, f + 3, f + 4]);
    assert!(!dir.path().join(file_name(f)).exists());
    drop(outbox);
    let smaller = Limits {
        max_events: 1,
        max_bytes: u64::MAX,
    };
    let outbox = open(dir.path(), smaller);
    assert_eq!(outbox.ids().collect::<Vec<_>>(), [f + 4]);
    assert_eq!(names(dir.path()), [file_name(f + 4), "next-id".to_owned()]);
}

#[test]
fn over_the_byte_limit_the_oldest_are_dropped() {
    let dir = temp();
    // Every id here has the same number of digits (the clock's milliseconds).
    let size = body(clock_floor(), "a").len() as u64;
    let limits = Limits {
        max_events: 100,
        max_bytes: 2 * size + 1,
    };
    let mut outbox = open(dir.path(), limits);
    let f = push(&mut outbox, "a").id;
    push(&mut outbox, "b");
    assert_eq!(push(&mut outbox, "c").dropped, [f]);
    assert_eq!(outbox.bytes(), 2 * size);
    // One event larger than the whole limit is not kept either.
    let pushed = outbox
        .push(|id| Ok(body(id, &"x".repeat(64))))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pushed.dropped, [f + 1, f + 2, f + 3]);
    assert!(outbox.is_empty() && outbox.bytes() == 0);
}

#[test]
fn an_unwritable_directory_is_an_error() {
    let dir = temp();
    let file = dir.path().join("not-a-dir");
    fs::write(&file, "x").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        Outbox::open(&file.join("outbox"), Limits::default()),
        Err(OutboxError::Io { .. })
    ));
}

#[test]
fn a_lower_byte_limit_drops_the_oldest_undelivered_events_at_the_next_push() {
    let dir = temp();
    let mut outbox = open(dir.path(), Limits::default());
    let ids: Vec<u64> = (0..10)
        .map(|n| push(&mut outbox, &format!("n{n}")).id)
        .collect();
    let each = outbox.bytes() / 10;
    outbox.set_max_bytes(each * 4 + 5);
    let pushed = push(&mut outbox, "new");
    assert_eq!(pushed.dropped, ids[..7], "the oldest go first");
    assert_eq!(outbox.len(), 4);
    assert!(outbox.bytes() <= each * 4 + 5, "{}", outbox.bytes());
    let left: Vec<u64> = outbox.ids().collect();
    assert_eq!(left, [ids[7], ids[8], ids[9], pushed.id]);
    assert_eq!(
        names(dir.path()).len(),
        4 + 1,
        "dropped files removed; the counter stays"
    );
}
