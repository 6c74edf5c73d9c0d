use super::*;
use crate::line::dsp::goertzel::tone_power;
use crate::line::dsp::testutil::{add_noise, ms as samples, music, sox, speech, Rng};
use crate::line::dsp::FRAME_SAMPLES;

const COUNTRIES: [ToneCountry; 4] = [
    ToneCountry::PL,
    ToneCountry::DE,
    ToneCountry::GB,
    ToneCountry::US,
];

fn detect(country: ToneCountry, x: &[i16]) -> Vec<ToneEvent> {
    let mut det = ToneDetector::new(country);
    let mut events = Vec::new();
    for frame in x.chunks(FRAME_SAMPLES) {
        det.process(frame, |e| events.push(e));
    }
    events
}

/// `lead_ms` of silence, then `seconds` of a country's tone, with white noise `snr_db`
/// below the tone's level (none if `None`).
fn tone_signal(
    country: ToneCountry,
    kind: ToneKind,
    lead_ms: f32,
    seconds: f32,
    snr_db: Option<f32>,
    rng: &mut Rng,
) -> Vec<i16> {
    let spec = plan(country).spec(kind);
    let mut x = vec![0i16; samples(lead_ms) + samples(seconds * 1000.0)];
    let lead = samples(lead_ms);
    ToneGenerator::new(spec).fill(&mut x[lead..]);
    let Some(snr) = snr_db else {
        return x;
    };
    let tone_power = spec.freqs.len() as f32 * dbm0_to_power(spec.level_dbm0);
    let mut f: Vec<f32> = x.iter().map(|&s| f32::from(s)).collect();
    add_noise(&mut f, tone_power / 10f32.powf(snr / 10.0), rng);
    f.iter()
        .map(|v| v.round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

fn detected(events: &[ToneEvent]) -> Vec<(ToneKind, u64)> {
    events
        .iter()
        .filter_map(|e| match *e {
            ToneEvent::Detected { tone, at } => Some((tone, at)),
            ToneEvent::Ended { .. } => None,
        })
        .collect()
}

/// What each tone is reported as (Poland's reorder is its busy tone).
fn expected(country: ToneCountry, kind: ToneKind) -> ToneKind {
    if country == ToneCountry::PL && kind == ToneKind::Reorder {
        ToneKind::Busy
    } else {
        kind
    }
}

#[test]
fn every_tone_of_every_plan_is_recognised_and_nothing_else() {
    let mut rng = Rng::new(20);
    for country in COUNTRIES {
        for kind in ToneKind::ALL {
            for snr in [None, Some(20.0), Some(10.0)] {
                let lead = 200.0 + rng.uniform() * 20.0;
                let x = tone_signal(country, kind, lead, 14.0, snr, &mut rng);
                let events = detect(country, &x);
                let found = detected(&events);
                let want = expected(country, kind);
                assert!(!found.is_empty(), "{country:?} {kind:?} {snr:?}: nothing");
                assert!(
                    found.iter().all(|(k, _)| *k == want),
                    "{country:?} {kind:?} {snr:?}: {events:?}"
                );
                // Reported once, from the first burst, and never ended while it plays.
                assert_eq!(found.len(), 1, "{country:?} {kind:?} {snr:?}: {events:?}");
                let at = found[0].1 as f32;
                assert!(
                    (at - samples(lead) as f32).abs() <= 160.0,
                    "{country:?} {kind:?}: starts at {at}, not {lead} ms"
                );
                assert!(
                    !events.iter().any(|e| matches!(e, ToneEvent::Ended { .. })),
                    "{country:?} {kind:?} {snr:?}: {events:?}"
                );
            }
        }
    }
}

/// How long until a tone is reported, per plan: printed, and bounded.
#[test]
fn busy_is_recognised_within_two_and_a_half_seconds() {
    let mut rng = Rng::new(21);
    for country in COUNTRIES {
        for kind in [ToneKind::Busy, ToneKind::Reorder] {
            let x = tone_signal(country, kind, 0.0, 6.0, Some(20.0), &mut rng);
            let mut det = ToneDetector::new(country);
            let mut when = None;
            for (i, frame) in x.chunks(FRAME_SAMPLES).enumerate() {
                det.process(frame, |e| {
                    if when.is_none() && matches!(e, ToneEvent::Detected { .. }) {
                        when = Some((i + 1) * 20);
                    }
                });
            }
            let when = when.expect("detected");
            println!("{country:?} {kind:?}: reported after {when} ms");
            assert!(when <= 2500, "{country:?} {kind:?} took {when} ms");
        }
    }
}

#[test]
fn a_tone_that_stops_is_ended() {
    let mut rng = Rng::new(22);
    for country in COUNTRIES {
        let mut x = tone_signal(country, ToneKind::Busy, 100.0, 4.0, None, &mut rng);
        let stop = x.len();
        x.resize(stop + samples(3000.0), 0);
        let events = detect(country, &x);
        let Some(ToneEvent::Ended { tone, at }) = events.last().copied() else {
            panic!("{country:?}: {events:?}")
        };
        assert_eq!(tone, ToneKind::Busy, "{country:?}: {events:?}");
        assert!(
            at <= stop as u64 + 160,
            "{country:?}: ended at {at}, stop {stop}"
        );
    }
}

#[test]
fn dial_tone_then_silence_when_dialling_starts() {
    for country in COUNTRIES {
        let mut x = vec![0i16; samples(3000.0)];
        ToneGenerator::for_tone(country, ToneKind::Dial).fill(&mut x);
        x.resize(x.len() + samples(500.0), 0);
        let events = detect(country, &x);
        // Edges to within one 10 ms block.
        let [ToneEvent::Detected {
            tone: ToneKind::Dial,
            at: on,
        }, ToneEvent::Ended {
            tone: ToneKind::Dial,
            at: off,
        }] = events[..]
        else {
            panic!("{country:?}: {events:?}")
        };
        assert!(on <= 80, "{country:?}: {on}");
        assert!(
            off.abs_diff(samples(3000.0) as u64) <= 80,
            "{country:?}: {off}"
        );
    }
}

#[test]
fn off_frequency_and_weak_tones() {
    // Exchanges drift: 2 % off and −30 dBm0 is still busy; −50 dBm0 is nothing.
    for country in COUNTRIES {
        let spec = plan(country).busy;
        let shifted: Vec<f32> = spec.freqs.iter().map(|f| f * 1.02).collect();
        let leaked: &'static [f32] = Vec::leak(shifted);
        for (level, want) in [(-30.0, true), (-50.0, false)] {
            let mut x = vec![0i16; samples(6000.0)];
            ToneGenerator::new(&ToneSpec {
                freqs: leaked,
                level_dbm0: level,
                ..spec
            })
            .fill(&mut x);
            let found = detected(&detect(country, &x));
            let got = found.first().map(|f| f.0);
            assert_eq!(got, want.then_some(ToneKind::Busy), "{country:?} {level}");
        }
    }
}

#[test]
fn no_tones_in_speech_music_or_noise() {
    let mut rng = Rng::new(23);
    let mut signals = vec![music(60.0, &mut rng)];
    let mut noise = vec![0.0f32; samples(20_000.0)];
    add_noise(&mut noise, dbm0_to_power(-20.0), &mut rng);
    signals.push(noise.iter().map(|&v| v as i16).collect());
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(talk) = speech(
        "Hello, this is the office. Nobody can take your call right now. Please \
         leave a message after the tone, or call again on Monday between nine and five.",
        "en",
        dir.path(),
    ) {
        signals.push(talk);
    }
    for country in COUNTRIES {
        for x in &signals {
            assert_eq!(detect(country, x), vec![], "{country:?}");
        }
    }
}

/// A busy tone made by sox (not our generator): the Polish and US ones.
#[test]
fn busy_tones_synthesised_by_sox_are_recognised() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: [(ToneCountry, &[&str]); 2] = [
        (
            ToneCountry::PL,
            &[
                "synth", "0.5", "sine", "425", "gain", "-12", "pad", "0", "0.5", "repeat", "5",
            ],
        ),
        (
            ToneCountry::US,
            &[
                "synth", "0.5", "sine", "480", "synth", "0.5", "sine", "mix", "620", "gain", "-20",
                "pad", "0", "0.5", "repeat", "5",
            ],
        ),
    ];
    for (country, effects) in cases {
        let Some(x) = sox(&["-n"], dir.path(), effects) else {
            return;
        };
        let found = detected(&detect(country, &x));
        assert_eq!(
            found.first().map(|f| f.0),
            Some(ToneKind::Busy),
            "{country:?}"
        );
    }
}

#[test]
fn the_generator_plays_the_cadence_at_the_frequencies() {
    for country in COUNTRIES {
        for kind in ToneKind::ALL {
            let spec = plan(country).spec(kind);
            let period: u32 = match spec.cadence.iter().map(|(a, b)| a + b).sum() {
                0 => 1000,
                p => p,
            };
            let mut x = vec![0i16; samples(period as f32)];
            ToneGenerator::new(spec).fill(&mut x);
            // On/off per 10 ms against the plan: a block is on if any of it is.
            let mut on = Vec::new();
            if spec.is_continuous() {
                on.resize(x.len(), true);
            }
            for &(a, b) in spec.cadence {
                on.extend(std::iter::repeat_n(true, samples(a as f32)));
                on.extend(std::iter::repeat_n(false, samples(b as f32)));
            }
            let want: Vec<bool> = on.chunks(80).map(|c| c.iter().any(|&v| v)).collect();
            let got: Vec<bool> = x
                .chunks(80)
                .map(|c| c.iter().any(|&s| s.unsigned_abs() > 100))
                .collect();
            assert_eq!(got, want, "{country:?} {kind:?}");
            let burst = &x[80..400];
            for f in spec.freqs {
                let level = crate::line::dsp::power_to_dbm0(tone_power(burst, *f));
                assert!(
                    (level - spec.level_dbm0).abs() < 0.5,
                    "{country:?} {kind:?} {f}"
                );
            }
        }
    }
}
