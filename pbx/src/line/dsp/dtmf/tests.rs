use super::*;
use crate::line::dsp::testutil::{add_noise, ms, music, silence, sines, sox, speech, to_i16, Rng};
use crate::line::dsp::FRAME_SAMPLES;

const KEYS_ALL: &str = "123A456B789C*0#D";

/// Runs a detector over `x` in 20 ms frames.
fn decode(x: &[i16]) -> Vec<DtmfEvent> {
    let mut det = DtmfDetector::default();
    let mut events = Vec::new();
    for frame in x.chunks(FRAME_SAMPLES) {
        det.process(frame, |e| events.push(e));
    }
    // Flush: a second of silence lets the last pause qualify.
    let quiet = [0i16; FRAME_SAMPLES];
    for _ in 0..50 {
        det.process(&quiet, |e| events.push(e));
    }
    events
}

/// The digits reported, checking every `Started` has its `Ended` right after.
fn digits(events: &[DtmfEvent]) -> String {
    let mut out = String::new();
    let mut open: Option<char> = None;
    for e in events {
        match *e {
            DtmfEvent::Started { digit, .. } => {
                assert_eq!(open, None, "{events:?}");
                open = Some(digit);
                out.push(digit);
            }
            DtmfEvent::Ended { digit, .. } => {
                assert_eq!(open.take(), Some(digit), "{events:?}");
            }
        }
    }
    assert_eq!(open, None, "unterminated digit in {events:?}");
    out
}

/// One key press inside silence: (signal, first sample of the tone).
struct Press {
    key: char,
    tone_ms: f32,
    dev: (f32, f32),
    db: (f32, f32),
}

impl Press {
    fn new(key: char) -> Press {
        Press {
            key,
            tone_ms: 60.0,
            dev: (0.0, 0.0),
            db: (-10.0, -8.0),
        }
    }

    fn append(&self, x: &mut Vec<f32>, rng: &mut Rng) -> usize {
        let (low, high) = key_freqs(self.key).expect("a key");
        let start = x.len();
        sines(
            x,
            &[
                (low * (1.0 + self.dev.0), self.db.0),
                (high * (1.0 + self.dev.1), self.db.1),
            ],
            ms(self.tone_ms),
            rng,
        );
        start
    }

    /// Random lead-in (so the tone falls anywhere in a block), the tone, trailing silence.
    fn signal(&self, rng: &mut Rng) -> (Vec<i16>, usize) {
        let mut x = Vec::new();
        silence(&mut x, ms(40.0) + (rng.uniform() * 160.0) as usize);
        let start = self.append(&mut x, rng);
        silence(&mut x, ms(100.0));
        (to_i16(&x), start)
    }
}

#[test]
fn every_key_is_detected_with_sample_accurate_edges() {
    let mut rng = Rng::new(1);
    for key in KEYS_ALL.chars() {
        for _ in 0..4 {
            let press = Press::new(key);
            let (x, start) = press.signal(&mut rng);
            let events = decode(&x);
            assert_eq!(digits(&events), key.to_string(), "{events:?}");
            let DtmfEvent::Started { at, .. } = events[0] else {
                panic!("{events:?}")
            };
            assert!(
                at.abs_diff(start as u64) <= 12,
                "{key}: start {at} vs {start}"
            );
            let DtmfEvent::Ended {
                duration, at: end, ..
            } = events[1]
            else {
                panic!("{events:?}")
            };
            let len = ms(press.tone_ms) as u64;
            assert!(duration.abs_diff(len) <= 16, "{key}: {duration} vs {len}");
            assert!(end.abs_diff(start as u64 + len) <= 12, "{key}: end {end}");
        }
    }
}

#[test]
fn frequency_deviation_of_1_5_percent_is_accepted_in_every_direction() {
    let mut rng = Rng::new(2);
    for key in KEYS_ALL.chars() {
        for dl in [-0.015, 0.0, 0.015] {
            for dh in [-0.015, 0.0, 0.015] {
                let press = Press {
                    dev: (dl, dh),
                    ..Press::new(key)
                };
                let (x, _) = press.signal(&mut rng);
                assert_eq!(digits(&decode(&x)), key.to_string(), "{key} {dl} {dh}");
            }
        }
    }
}

#[test]
fn frequency_deviation_of_3_5_percent_or_more_is_rejected() {
    let mut rng = Rng::new(3);
    for key in KEYS_ALL.chars() {
        for d in [-0.05, -0.035, 0.035, 0.05] {
            for dev in [(d, 0.0), (0.0, d), (d, d), (d, -d)] {
                let press = Press {
                    dev,
                    ..Press::new(key)
                };
                let (x, _) = press.signal(&mut rng);
                assert_eq!(digits(&decode(&x)), "", "{key} {dev:?}");
            }
        }
    }
}

#[test]
fn twist_limits_are_4_db_high_over_low_and_8_db_low_over_high() {
    let mut rng = Rng::new(4);
    let cases = [
        ((-12.0, -9.0), true),  // high +3 dB
        ((-12.0, -7.0), false), // high +5 dB
        ((-8.0, -15.0), true),  // low +7 dB
        ((-8.0, -17.0), false), // low +9 dB
    ];
    for key in KEYS_ALL.chars() {
        for (db, accept) in cases {
            let press = Press {
                db,
                ..Press::new(key)
            };
            let (x, _) = press.signal(&mut rng);
            let want = if accept {
                key.to_string()
            } else {
                String::new()
            };
            assert_eq!(digits(&decode(&x)), want, "{key} {db:?}");
        }
    }
}

#[test]
fn weak_tones_are_rejected_below_the_minimum_level() {
    let mut rng = Rng::new(5);
    for key in KEYS_ALL.chars() {
        for (db, accept) in [(-30.0, true), (-34.0, true), (-40.0, false), (-50.0, false)] {
            let press = Press {
                db: (db, db),
                ..Press::new(key)
            };
            let (x, _) = press.signal(&mut rng);
            let want = if accept {
                key.to_string()
            } else {
                String::new()
            };
            assert_eq!(digits(&decode(&x)), want, "{key} at {db} dBm0");
        }
    }
}

#[test]
fn tones_of_40_ms_and_more_count_and_35_ms_and_less_do_not() {
    let mut rng = Rng::new(6);
    for key in KEYS_ALL.chars() {
        for (tone_ms, accept) in [(45.0, true), (40.0, true), (35.0, false), (23.0, false)] {
            for _ in 0..8 {
                let press = Press {
                    tone_ms,
                    ..Press::new(key)
                };
                let (x, _) = press.signal(&mut rng);
                let want = if accept {
                    key.to_string()
                } else {
                    String::new()
                };
                assert_eq!(digits(&decode(&x)), want, "{key} for {tone_ms} ms");
            }
        }
    }
}

/// A key pressed twice with a gap of `gap_ms`.
fn twice(key: char, gap_ms: f32, rng: &mut Rng) -> Vec<i16> {
    let mut x = Vec::new();
    silence(&mut x, ms(40.0) + (rng.uniform() * 160.0) as usize);
    Press::new(key).append(&mut x, rng);
    silence(&mut x, ms(gap_ms));
    Press::new(key).append(&mut x, rng);
    silence(&mut x, ms(100.0));
    to_i16(&x)
}

#[test]
fn a_pause_of_45_ms_separates_digits_and_shorter_breaks_do_not() {
    let mut rng = Rng::new(7);
    for key in KEYS_ALL.chars() {
        assert_eq!(
            digits(&decode(&twice(key, 45.0, &mut rng))),
            format!("{key}{key}")
        );
        for gap in [30.0, 10.0, 5.0] {
            let events = decode(&twice(key, gap, &mut rng));
            assert_eq!(digits(&events), key.to_string(), "{key}, gap {gap} ms");
            // One digit spanning both tones and the break.
            let DtmfEvent::Ended { duration, .. } = events[1] else {
                panic!("{events:?}")
            };
            let expected = ms(120.0 + gap) as u64;
            assert!(
                duration.abs_diff(expected) <= 16,
                "{duration} vs {expected}"
            );
        }
    }
}

#[test]
fn a_dialled_string_comes_back_in_order() {
    let mut gen = DtmfGenerator::default();
    gen.dial("0123456789*#ABCD").expect("valid digits");
    let mut x = vec![0i16; 16 * 1280 + 800];
    gen.fill(&mut x);
    assert!(gen.is_idle());
    assert_eq!(digits(&decode(&x)), "0123456789*#ABCD");
    // Fast dialling: 40 ms tones, 40 ms pauses, at a low level.
    let mut gen = DtmfGenerator::new(DialParams {
        tone_ms: 45,
        pause_ms: 45,
        low_dbm0: -25.0,
        high_dbm0: -23.0,
    });
    gen.dial("9876543210").expect("valid digits");
    let mut x = vec![0i16; 10 * 720 + 800];
    gen.fill(&mut x);
    assert_eq!(digits(&decode(&x)), "9876543210");
}

#[test]
fn the_generator_refuses_what_is_not_a_key_and_too_much() {
    let mut gen = DtmfGenerator::default();
    assert_eq!(gen.dial("12x"), Err(DialError::NotAKey('x')));
    assert!(gen.is_idle(), "nothing queued on error");
    gen.dial(&"1".repeat(MAX_DIAL)).expect("fits");
    assert_eq!(gen.dial("1"), Err(DialError::TooLong));
    gen.cancel();
    assert!(gen.is_idle());
    gen.dial("a#").expect("lower case letters are keys");
    assert_eq!(gen.pending(), 2);
}

#[test]
fn the_generator_sends_the_right_pair_at_the_right_level_and_timing() {
    use crate::line::dsp::goertzel::tone_power;
    use crate::line::dsp::power_to_dbm0;
    let mut gen = DtmfGenerator::default();
    gen.dial("5").expect("a key");
    let mut x = vec![0i16; 1280 + 160];
    gen.fill(&mut x);
    let tone = &x[8..632]; // inside the 80 ms, clear of the ramps
    assert!((power_to_dbm0(tone_power(tone, 770.0)) + 10.0).abs() < 0.3);
    assert!((power_to_dbm0(tone_power(tone, 1336.0)) + 8.0).abs() < 0.3);
    assert!(tone_power(tone, 697.0) < tone_power(tone, 770.0) * 0.01);
    assert!(
        x[640..].iter().all(|&s| s == 0),
        "pause and idle are silent"
    );
    assert!(x[..640].iter().any(|&s| s != 0));
}

/// Decoding of keys made by sox, an encoder that is not ours.
#[test]
fn keys_synthesised_by_sox_are_decoded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut x = Vec::new();
    for key in KEYS_ALL.chars() {
        let (low, high) = key_freqs(key).expect("a key");
        let (low, high) = (low.to_string(), high.to_string());
        let args = ["-n"];
        let effects = [
            "synth", "0.07", "sine", &low, "synth", "0.07", "sine", "mix", &high, "gain", "-n",
            "-8", "pad", "0", "0.07",
        ];
        let Some(samples) = sox(&args, dir.path(), &effects) else {
            return;
        };
        x.extend(samples);
    }
    assert_eq!(digits(&decode(&x)), KEYS_ALL);
}

/// Detection rate per SNR (white noise over the 4 kHz band against the pair's total power).
fn detection_rate(snr_db: f32, presses: usize, rng: &mut Rng) -> (usize, usize) {
    let keys: Vec<char> = KEYS_ALL.chars().collect();
    let mut x = Vec::new();
    let mut sent = String::new();
    silence(&mut x, ms(50.0));
    for _ in 0..presses {
        let key = keys[(rng.uniform() * keys.len() as f32) as usize % keys.len()];
        sent.push(key);
        Press::new(key).append(&mut x, rng);
        silence(&mut x, ms(60.0));
    }
    let signal = dbm0_to_power(-10.0) + dbm0_to_power(-8.0);
    let noise = signal / 10f32.powf(snr_db / 10.0);
    add_noise(&mut x, noise, rng);
    let got = digits(&decode(&to_i16(&x)));
    // Keys found in order; anything else is a false or wrong digit.
    let mut rest = sent.chars();
    let found = got.chars().filter(|&d| rest.any(|e| e == d)).count();
    (found, got.len() - found)
}

#[test]
fn snr_sweep_with_white_noise() {
    let mut rng = Rng::new(8);
    let presses = 200;
    println!("DTMF detection in white noise ({presses} keys of 60 ms, -10/-8 dBm0):");
    for snr in [30.0, 20.0, 15.0, 12.0, 10.0, 8.0, 6.0] {
        let (found, extra) = detection_rate(snr, presses, &mut rng);
        println!(
            "  SNR {snr:>4} dB: {:5.1} % detected, {extra} false",
            100.0 * found as f32 / presses as f32
        );
        assert_eq!(extra, 0, "false or misordered digits at {snr} dB");
        if snr >= 12.0 {
            assert_eq!(found, presses, "missed digits at {snr} dB");
        }
    }
}

#[test]
fn noise_alone_gives_no_digits() {
    let mut rng = Rng::new(9);
    let mut x = vec![0.0f32; ms(20_000.0)];
    add_noise(&mut x, dbm0_to_power(-10.0), &mut rng);
    assert_eq!(digits(&decode(&to_i16(&x))), "");
}

#[test]
fn no_talk_off_on_music() {
    let mut rng = Rng::new(10);
    let x = music(60.0, &mut rng);
    assert_eq!(digits(&decode(&x)), "");
}

const TEXT_EN: &str = "Good morning, you have reached the office of Centrala. All our lines \
    are busy at the moment. Please hold, or call again later. Seven, eight, nine, zero. \
    The quick brown fox jumps over the lazy dog while she sells sea shells by the sea shore.";
const TEXT_PL: &str = "Dzień dobry, tu biuro. Wszystkie linie są zajęte, proszę czekać. \
    Stół z powyłamywanymi nogami. Chrząszcz brzmi w trzcinie w Szczebrzeszynie. \
    Jeden, dwa, trzy, cztery, pięć, sześć, siedem, osiem, dziewięć.";
const TEXT_DE: &str = "Guten Tag, hier ist das Büro. Alle Leitungen sind besetzt. Bitte \
    warten Sie. Fischers Fritz fischt frische Fische. Eins, zwei, drei, vier, fünf.";

#[test]
fn no_talk_off_on_speech() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut total = 0usize;
    for (text, voice) in [
        (TEXT_EN, "en"),
        (TEXT_EN, "en-us+f3"),
        (TEXT_PL, "pl"),
        (TEXT_DE, "de+m3"),
    ] {
        let Some(x) = speech(text, voice, dir.path()) else {
            return;
        };
        total += x.len();
        assert_eq!(digits(&decode(&x)), "", "talk-off on voice {voice}");
        // Louder (clipping) and quieter speech too.
        let loud: Vec<i16> = x.iter().map(|&s| s.saturating_mul(3)).collect();
        assert_eq!(digits(&decode(&loud)), "", "talk-off on loud voice {voice}");
        let quiet: Vec<i16> = x.iter().map(|&s| s / 8).collect();
        assert_eq!(
            digits(&decode(&quiet)),
            "",
            "talk-off on quiet voice {voice}"
        );
    }
    println!(
        "talk-off: {:.1} s of speech, no digits",
        total as f32 / 8000.0
    );
}

#[test]
fn digits_are_found_over_speech_free_gaps_but_not_in_it() {
    // A key press right after speech and right before it: the speech must not hide it.
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(talk) = speech("Please enter your number now", "en", dir.path()) else {
        return;
    };
    let mut rng = Rng::new(11);
    let mut x: Vec<f32> = talk.iter().map(|&s| f32::from(s)).collect();
    silence(&mut x, ms(50.0));
    Press::new('7').append(&mut x, &mut rng);
    silence(&mut x, ms(60.0));
    x.extend(talk.iter().map(|&s| f32::from(s)));
    assert_eq!(digits(&decode(&to_i16(&x))), "7");
}

#[test]
fn frames_of_any_length_give_the_same_events() {
    let mut gen = DtmfGenerator::default();
    gen.dial("147*").expect("keys");
    let mut x = vec![0i16; 4 * 1280 + 400];
    gen.fill(&mut x);
    let whole = decode(&x);
    let mut det = DtmfDetector::default();
    let mut odd = Vec::new();
    for chunk in x.chunks(37) {
        det.process(chunk, |e| odd.push(e));
    }
    det.process(&[0; 8000], |e| odd.push(e));
    assert_eq!(whole, odd);
    assert_eq!(det.position(), (x.len() + 8000) as u64 / 40 * 40);
}

#[test]
fn no_talk_off_on_a_gliding_harmonic_voice() {
    // A voice-like buzz: fundamental gliding 80-160 Hz, eight harmonics, some noise.
    let mut rng = Rng::new(12);
    let x: Vec<f32> = (0..ms(60_000.0))
        .map(|n| {
            let t = n as f32 / 8000.0;
            let f0 = 120.0 + 40.0 * (TAU * 0.3 * t).sin();
            let voice: f32 = (1..=8)
                .map(|h| (TAU * f0 * h as f32 * t).sin() / h as f32)
                .sum();
            3000.0 * voice + 800.0 * (rng.uniform() - 0.5)
        })
        .collect();
    let events = decode(&to_i16(&x));
    assert_eq!(digits(&events), "", "{events:?}");
}
