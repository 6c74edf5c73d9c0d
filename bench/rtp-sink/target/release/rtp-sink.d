/work/main/bench/rtp-sink/target/release/rtp-sink: /work/main/bench/rtp-sink/src/main.rs
