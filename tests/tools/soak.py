#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The soak (issue 14, part 5): `safemapctl metrics --listen --audit` under a
steady load for a long run, sampled for leaks, every illegal write counted.

usage: soak.py SAFEMAPCTL RAW_WRITER PIN_PREFIX SECONDS

The process under test guards and exports two pinned maps: GUARD (written
illegally, all run long, by a stream of short-lived raw_writer processes,
updates and deletes in turn, about 100 keys live in a map of 64, so
updates also fail with E2BIG and deletes with ENOENT; every 20 s one
writer makes 30,000 writes at full speed, more than the probe's ring
buffer holds, so reports may be lost too) and CHURN (replaced every 0.5 s
by a new map renamed over its pin: every scrape finds another map). A scraper checks a scrape every
250 ms. Once a second the process's RSS, open fds, and the BPF programs,
maps and links among its fds (/proc/PID/fdinfo) are sampled.

Expectations: after the warm-up (the first 20% of the run, at least 10 s)
RSS grows by at most 1 MiB and the fd and BPF object counts do not move;
every scrape is correct; at the end the reports printed, the counters
scraped and the totals safemapctl prints at SIGTERM all say reports + lost
== the writes the writers made. Prints the samples (every 10th, and the
last) and "measured:" lines; exits 1 at the first broken expectation."""
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

CTL, WRITER, PREFIX, SECONDS = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
GUARD, CHURN = PREFIX + "_guard", PREFIX + "_churn"
WARMUP = max(10.0, SECONDS * 0.2)
WRITERS = 2            # writer processes at any time
WRITES_PER_PROC = 400  # then it exits and another starts
INTERVAL_US = 5000     # ~200 writes/s per writer (less: syscalls and scheduling)
BURST_EVERY = 20       # s: then one writer makes BURST_WRITES writes at full speed,
BURST_WRITES = 30000   # more than the probe's ring buffer holds: reports get lost
RSS_BOUND_KIB = 1024


SRV = None  # the process under test: killed on the way out


def fail(msg):
    print(f"FAIL: soak: {msg}", file=sys.stderr, flush=True)
    if SRV and SRV.poll() is None:
        SRV.kill()
    os._exit(1)  # from any thread


def on_signal(sig, frame):
    fail(f"signal {sig}")


def bpftool(*args):
    subprocess.run(["bpftool", *args], check=True, stdout=subprocess.DEVNULL)


def map_id(pin):
    out = subprocess.run(["bpftool", "-j", "map", "show", "pinned", pin], check=True,
                         capture_output=True, text=True).stdout
    return int(re.search(r'"id":\s*(\d+)', out).group(1))


def tcp_states():
    """inode -> TCP state (hex, "0A" = LISTEN) of every TCP socket."""
    states = {}
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            for line in open(f).readlines()[1:]:
                cols = line.split()
                states[cols[9]] = cols[3]
        except OSError:
            pass
    return states


def connections(pid):
    """Open TCP connections (not the listening socket) among the fds."""
    states, n = tcp_states(), 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", target)
        if m and states.get(m.group(1), "0A") != "0A":
            n += 1
    return n


def quiet_sample(pid, lock):
    """A sample with no scrape in flight: the scraper paused (its lock), and
    the last scrape's connection gone (closing takes MHD a moment)."""
    with lock:
        for _ in range(100):
            if connections(pid) == 0:
                break
            time.sleep(0.01)
        return sample(pid)


def sample(pid):
    """RSS (KiB), open fds, and BPF programs/maps/links among them (ids)."""
    rss = 0
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    fds = progs = maps = links = 0
    ids = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        fds += 1
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            info = open(f"/proc/{pid}/fdinfo/{fd}").read()
        except OSError:
            continue  # closed meanwhile
        if target == "anon_inode:bpf-prog":
            progs += 1
            ids.add("prog " + re.search(r"prog_id:\s*(\d+)", info).group(1))
        elif target == "anon_inode:bpf-map":
            maps += 1
            ids.add("map " + re.search(r"map_id:\s*(\d+)", info).group(1))
        elif target in ("anon_inode:bpf_link", "anon_inode:bpf-link"):
            links += 1
            ids.add("link " + re.search(r"link_id:\s*(\d+)", info).group(1))
    return rss, fds, progs, maps, links, frozenset(ids)


class Writers(threading.Thread):
    """WRITERS raw_writer processes at a time, each WRITES_PER_PROC writes."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = False
        self.writes = self.ok = self.failed = self.procs = self.bursts = 0
        self.lock = threading.Lock()

    def one(self, burst=False):
        while not self.stop:
            if burst:  # every BURST_EVERY s, writes as fast as they go
                end = time.monotonic() + BURST_EVERY
                while not self.stop and time.monotonic() < end:
                    time.sleep(0.2)
                if self.stop:
                    return
            out = subprocess.run([WRITER, GUARD, "soak-burst" if burst else "soak-writer",
                                  str(BURST_WRITES if burst else WRITES_PER_PROC),
                                  "0" if burst else str(INTERVAL_US), "200", "ud"],
                                 capture_output=True, text=True)
            m = re.match(r"pid \d+ writes (\d+) ok (\d+) failed (\d+)", out.stdout)
            if out.returncode or not m:
                fail(f"raw_writer: exit {out.returncode}: {out.stdout} {out.stderr}")
            with self.lock:
                self.writes += int(m.group(1))
                self.ok += int(m.group(2))
                self.failed += int(m.group(3))
                self.procs += 1
                self.bursts += burst

    def run(self):
        ts = [threading.Thread(target=self.one, daemon=True) for _ in range(WRITERS)]
        ts.append(threading.Thread(target=self.one, args=(True,), daemon=True))
        for t in ts:
            t.start()
        for t in ts:
            t.join()


class Churn(threading.Thread):
    """A new map renamed over CHURN's pin every 0.5 s."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = False
        self.n = 0
        self.ids = set()

    def run(self):
        while not self.stop:
            tmp = f"{CHURN}_new"
            bpftool("map", "create", tmp, "type", "hash", "key", "4", "value", "8",
                    "entries", "32", "name", "soak_churn")
            self.ids.add(map_id(tmp))
            os.rename(tmp, CHURN)
            self.n += 1
            time.sleep(0.5)


class Scraper(threading.Thread):
    def __init__(self, url, guard_id):
        super().__init__(daemon=True)
        self.url, self.guard_id = url, guard_id
        self.lock = threading.Lock()  # held while a scrape is in flight
        self.stop = False
        self.ok = self.bad = 0
        self.churn_ids = set()
        self.last = ""
        self.errors = []

    def run(self):
        want = f'safemap_bpf_map_max_entries{{map="soak_guard",id="{self.guard_id}"}} 64\n'
        while not self.stop:
            try:
                with self.lock:
                    body = urllib.request.urlopen(self.url, timeout=10).read().decode()
                m = re.search(r'safemap_bpf_map_info\{map="soak_churn",id="(\d+)"', body)
                if want in body and m and body.endswith("\n"):
                    self.ok += 1
                    self.churn_ids.add(int(m.group(1)))
                    self.last = body
                else:
                    self.bad += 1
                    self.errors.append(body[-200:])
            except OSError as e:
                self.bad += 1
                self.errors.append(repr(e))
            time.sleep(0.25)


def counters(body):
    rep = re.search(r"^safemap_audit_reports_total (\d+)$", body, re.M)
    lost = re.search(r"^safemap_audit_lost_total (\d+)$", body, re.M)
    return int(rep.group(1)), int(lost.group(1))


def main():
    bpftool("map", "create", GUARD, "type", "hash", "key", "4", "value", "8", "entries", "64",
            "name", "soak_guard")
    bpftool("map", "create", CHURN, "type", "hash", "key", "4", "value", "8", "entries", "32",
            "name", "soak_churn")
    guard_id = map_id(GUARD)
    global SRV
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    srv = SRV = subprocess.Popen([CTL, "metrics", "--listen", "127.0.0.1:0", "--audit", "--pin",
                                  GUARD, "--pin", CHURN], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, errors="replace")
    first = srv.stdout.readline()
    m = re.match(r"serving (http://127\.0\.0\.1:\d+/metrics)", first)
    if not m:
        fail(f"no serving line: {first!r} {srv.stderr.read()}")
    url = m.group(1)
    printed = {"reports": 0, "lost": 0, "stopped": None}

    def read_out():
        for line in srv.stdout:
            if " reason=not_allowed " in line:
                printed["reports"] += 1
            elif " reason=lost " in line:
                n = re.search(r"^audit report .* (\d+) audit reports lost", line)
                printed["lost"] += int(n.group(1)) if n else 0
            elif line.startswith("stopped:"):
                printed["stopped"] = line.strip()
    reader = threading.Thread(target=read_out, daemon=True)
    reader.start()

    writers, churn, scraper = Writers(), Churn(), Scraper(url, guard_id)
    t0 = time.monotonic()
    for t in (writers, churn, scraper):
        t.start()
    samples = []
    while time.monotonic() - t0 < SECONDS:
        time.sleep(1.0)
        if srv.poll() is not None:
            fail(f"safemapctl exited {srv.returncode}: {srv.stderr.read()}")
        samples.append((time.monotonic() - t0, *quiet_sample(srv.pid, scraper.lock)))
    for t in (writers, churn):
        t.stop = True
    writers.join(30)
    churn.join(10)
    # every write made: wait until the exporter accounted for all of them
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        srep, slost = counters(urllib.request.urlopen(url, timeout=10).read().decode())
        if srep + slost >= writers.writes:
            break
        time.sleep(0.2)
    scraper.stop = True
    scraper.join(15)
    samples.append((time.monotonic() - t0, *quiet_sample(srv.pid, scraper.lock)))
    srv.send_signal(signal.SIGTERM)
    rc = srv.wait(30)
    reader.join(10)
    err = srv.stderr.read()

    print(f"{'t/s':>6} {'RSS/KiB':>8} {'fds':>4} {'progs':>5} {'maps':>4} {'links':>5}")
    for i, s in enumerate(samples):
        if i % 10 == 0 or i == len(samples) - 1:
            print(f"{s[0]:6.0f} {s[1]:8d} {s[2]:4d} {s[3]:5d} {s[4]:4d} {s[5]:5d}")
    warm = [s for s in samples if s[0] >= WARMUP]
    if len(warm) < 3:
        fail("too few samples after the warm-up")
    rss0, rss_max = warm[0][1], max(s[1] for s in warm)
    grown = rss_max - rss0
    counts = {(s[2], s[3], s[4], s[5]) for s in warm}
    objs = {s[6] for s in warm}
    wps = writers.writes / SECONDS
    print(f"measured: {SECONDS:.0f} s: {writers.writes} illegal writes ({wps:.0f}/s; "
          f"{writers.ok} ok, {writers.failed} failed in the kernel) by {writers.procs} "
          f"processes ({writers.bursts} bursts of {BURST_WRITES}); {churn.n} map replacements ({len(scraper.churn_ids)} different churn "
          f"maps seen by scrapes); {scraper.ok} correct scrapes, {scraper.bad} not", flush=True)
    print(f"measured: after the {WARMUP:.0f} s warm-up: RSS {rss0} -> max {rss_max} KiB "
          f"(+{grown} KiB, bound {RSS_BOUND_KIB}); fds/progs/maps/links "
          f"{sorted(counts)}; {len(objs)} distinct set(s) of BPF object ids", flush=True)
    print(f"measured: printed {printed['reports']} reports + {printed['lost']} lost; "
          f"scraped {srep} + {slost}; safemapctl: {printed['stopped']}; exit {rc}", flush=True)
    if rc != 0:
        fail(f"safemapctl exited {rc} after SIGTERM: {err}")
    if scraper.bad or scraper.ok < SECONDS:
        fail(f"scrapes: {scraper.ok} correct, {scraper.bad} not: {scraper.errors[:3]}")
    if len(scraper.churn_ids) < 2:
        fail("the scrapes never saw the churn map change")
    if grown > RSS_BOUND_KIB:
        fail(f"RSS grew by {grown} KiB after the warm-up")
    if len(counts) != 1 or len(objs) != 1:
        fail(f"fd or BPF object counts moved after the warm-up: {sorted(counts)}")
    m = re.match(r"stopped: (\d+) audit reports, (\d+) lost$", printed["stopped"] or "")
    if not m:
        fail(f"no stopped line: {printed['stopped']!r} {err}")
    rep, lost = int(m.group(1)), int(m.group(2))
    if rep + lost != writers.writes:
        fail(f"reports {rep} + lost {lost} = {rep + lost}, writes {writers.writes}")
    if printed["reports"] != rep:
        fail(f"{printed['reports']} reports printed, {rep} counted")
    if srep != rep or slost != lost:
        fail(f"scraped counters {srep} + {slost}, printed totals {rep} + {lost}")
    print(f"ok: soak {SECONDS:.0f} s: reports {rep} + lost {lost} == writes {writers.writes}; "
          f"RSS +{grown} KiB after warm-up; fds and BPF objects constant", flush=True)


main()
