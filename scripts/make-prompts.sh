#!/bin/sh
# Regenerates the built-in voicemail prompts in pbx/assets/prompts/.
#
# Each prompt is spoken by espeak-ng (English, 22.05 kHz WAV), then sox trims the silence at
# both ends, normalises it to -3 dBFS peak, resamples it to 8 kHz mono and stores it as raw
# G.711 µ-law (one byte per sample, no header): the form the media engine plays, compact
# enough to commit (about 8 KB a second). pbx/src/media/prompts.rs compiles these files in
# with include_bytes!, so building Centrala needs neither espeak-ng nor sox; only this script
# does (Debian/Ubuntu: apt-get install espeak-ng sox).
#
# The beep is not here: it is synthesised in prompts.rs.
#
# Usage: scripts/make-prompts.sh   (from anywhere; rewrites the .ulaw files, prints sizes)
# After changing a text, also update the prompt's text in the doc comment of
# `media::Prompt` (pbx/src/media/mod.rs), and run `cargo test -p pbx prompts`.
set -eu

cd "$(dirname "$0")/../pbx/assets/prompts"

for tool in espeak-ng sox; do
    command -v "$tool" >/dev/null || { echo "make-prompts: $tool is needed" >&2; exit 1; }
done

# Voice and speed: a clear British English voice, a little slower than espeak's default.
VOICE=en-gb
SPEED=150

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() {
    name=$1
    text=$2
    espeak-ng -v "$VOICE" -s "$SPEED" -w "$tmp/$name.wav" "$text"
    sox "$tmp/$name.wav" -r 8000 -c 1 -e u-law -t raw "$name.ulaw" \
        silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse norm -3
}

say greeting "Hello. Nobody can take your call right now. Please leave a message after the tone."
say new-messages "You have new messages."
say no-messages "You have no messages."
say menu "Press 1 for the next message, 2 to hear it again, 7 to delete it."
say deleted "Message deleted."
say end-of-messages "End of messages."
say goodbye "Thank you. Goodbye."

ls -l ./*.ulaw
du -cb ./*.ulaw | tail -n 1
