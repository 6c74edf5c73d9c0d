#!/usr/bin/env python3
"""Daemon-side cost of event subscriptions on the control socket.

    bench/subscribe.py [BIN_DIR]        (default target/release; build it first)

Starts the daemon on the factory-default office (loopback port, socket and data in a temp
dir), then, once with no subscriber and once with SUBSCRIBERS (default 30; the daemon takes
at most 32 control connections) connected clients
that subscribed and read every event, makes CHANGES (default 200) presence changes over the
socket, one after the other (each is stored, audited and pushed to every subscriber as a
`config_changed` event, and changes the status). The daemon's CPU time (user + system, from
/proc) over each run is printed; the difference divided by changes × subscribers is the cost
of delivering one event to one subscriber. Each run is repeated RUNS (default 3) times and the
median is used.
"""

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release"
SUBSCRIBERS = int(os.environ.get("SUBSCRIBERS", "30"))
CHANGES = int(os.environ.get("CHANGES", "200"))
RUNS = int(os.environ.get("RUNS", "3"))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Client:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.file = self.sock.makefile("rw")
        self.next = 0

    def close(self):
        # The file made by makefile() holds the socket open too.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.file.close()
        self.sock.close()

    def ask(self, request):
        self.next += 1
        request.update({"v": 1, "id": self.next})
        self.file.write(json.dumps(request) + "\n")
        self.file.flush()
        while True:
            message = json.loads(self.file.readline())
            if message.get("type") == "reply" and message.get("id") == self.next:
                return message["reply"]


def drain(client, counts, i, stop):
    while not stop.is_set():
        try:
            line = client.file.readline()
        except (OSError, ValueError):
            return
        if not line:
            return
        counts[i] += 1


def run(path, pid, subscribers):
    stop = threading.Event()
    counts = [0] * subscribers
    threads = []
    for i in range(subscribers):
        c = Client(path)
        c.ask({"request": "hello", "client": "bench", "user": "bench"})
        c.ask({"request": "subscribe"})
        t = threading.Thread(target=drain, args=(c, counts, i, stop), daemon=True)
        t.start()
        threads.append((c, t))
    editor = Client(path)
    editor.ask({"request": "hello", "client": "bench", "user": "bench"})
    revision = editor.ask({"request": "get_config"})["revision"]
    time.sleep(0.5)
    before = cpu_seconds(pid)
    for n in range(CHANGES):
        presence = "on_break" if n % 2 == 0 else "available"
        reply = editor.ask({"request": "set_presence", "base": revision,
                            "employee": "101", "presence": presence})
        if reply.get("reply") != "saved":
            sys.exit(f"change refused: {reply}")
        revision = reply["revision"]
    time.sleep(1.0)  # let the last events go out
    used = cpu_seconds(pid) - before
    stop.set()
    for c, _ in threads:
        c.close()
    editor.close()
    time.sleep(0.5)  # the daemon notices the closed connections
    return used, sum(counts)


def main():
    work = tempfile.mkdtemp()
    store = f"{work}/store"
    centrala = f"{BIN}/centrala"
    export = subprocess.run([centrala, "--config-dir", store, "config", "export"],
                            capture_output=True, text=True, check=True).stdout
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    text = re.sub(r'address = "[^"]*"', f'address = "127.0.0.1:{port}"', export)
    text = re.sub(r'control_socket = "[^"]*"', f'control_socket = "{work}/control.sock"', text)
    text = re.sub(r'data_dir = "[^"]*"', f'data_dir = "{work}/data"', text)
    with open(f"{work}/bench.toml", "w") as f:
        f.write(text)
    subprocess.run([centrala, "--config-dir", store, "config", "import", f"{work}/bench.toml"],
                   capture_output=True, check=True)
    daemon = subprocess.Popen([centrala, "--config-dir", store],
                              env={**os.environ, "RUST_LOG": "warn"},
                              stderr=subprocess.DEVNULL)
    try:
        path = f"{work}/control.sock"
        for _ in range(200):
            if os.path.exists(path):
                break
            time.sleep(0.05)
        results = {}
        for subs in (0, SUBSCRIBERS):
            runs = [run(path, daemon.pid, subs) for _ in range(RUNS)]
            used = statistics.median(r[0] for r in runs)
            events = statistics.median(r[1] for r in runs)
            results[subs] = used
            print(f"{subs:3d} subscribers: daemon CPU {used * 1000:.0f} ms for {CHANGES} changes"
                  f" ({events:.0f} event lines delivered)")
        extra = results[SUBSCRIBERS] - results[0]
        per = extra / (CHANGES * SUBSCRIBERS) * 1e6 if SUBSCRIBERS else 0.0
        print(f"cost of one event to one subscriber: {per:.1f} µs of daemon CPU"
              f" (clock tick {1000 / TICK:.0f} ms; {RUNS} runs, median)")
    finally:
        daemon.terminate()
        daemon.wait()


if __name__ == "__main__":
    main()
