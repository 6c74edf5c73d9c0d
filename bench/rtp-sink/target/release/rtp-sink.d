/work/wt-fuzzbench/bench/rtp-sink/target/release/rtp-sink: /work/wt-fuzzbench/bench/rtp-sink/src/main.rs
