/work/wt-fuzzbench/bench/rtp-sink/target/release/deps/rtp_sink-54c8226edd2d12bc.d: src/main.rs

/work/wt-fuzzbench/bench/rtp-sink/target/release/deps/rtp_sink-54c8226edd2d12bc: src/main.rs

src/main.rs:
