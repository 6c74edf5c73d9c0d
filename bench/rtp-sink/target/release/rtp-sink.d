/work/wt-bench2/bench/rtp-sink/target/release/rtp-sink: /work/wt-bench2/bench/rtp-sink/src/main.rs
