/work/wt-fuzzbench/bench/rtp-sink/target/release/deps/rtp_sink-c3d8f9888526be9d.d: src/main.rs Cargo.toml

/work/wt-fuzzbench/bench/rtp-sink/target/release/deps/librtp_sink-c3d8f9888526be9d.rmeta: src/main.rs Cargo.toml

src/main.rs:
Cargo.toml:

# env-dep:CLIPPY_ARGS=
# env-dep:CLIPPY_CONF_DIR
