#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Bad clients against `safemapctl metrics --listen` (issue 14, part 4).

usage: http_bad_clients.py PID PORT SERIES

PID is the server's process (its fds and RSS are sampled from /proc), PORT
its loopback port, SERIES a line every correct scrape holds. While a
scraper process checks a scrape every 100 ms (status 200, SERIES present,
the body ends with a newline), the clients here send oversized request
lines and headers (4xx, memory bounded), open 1,000 connections at once
(the server's fds stay bounded, scrapes still answered), send requests
into a flood of new idle connections (each request answered: the server
sheds the idle ones, not the asking ones), trickle a request one byte a
second (the server hangs up at its deadline), use other methods (405) and
other paths (404). Every phase is bounded in time. Prints what it
measured, one "measured:" line per phase, and exits 1 at the first broken
expectation."""
import multiprocessing
import os
import resource
import select
import socket
import sys
import threading
import time

PID, PORT, SERIES = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
ADDR = ("127.0.0.1", PORT)
MAX_CONNECTIONS = 128  # tools/safemapctl/http.h
SOFT_CONNECTIONS = 64
REQUEST_SECONDS = 5


def fail(msg):
    print(f"FAIL: http_bad_clients: {msg}", file=sys.stderr, flush=True)
    os._exit(1)


def fds():
    return len(os.listdir(f"/proc/{PID}/fd"))


def rss_kib():
    for line in open(f"/proc/{PID}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    fail("no VmRSS")


def request(data, timeout=10.0):
    """Send data (ignoring a reset: the server may answer and close before
    it read everything), read until EOF; return (status line, headers, body)."""
    s = socket.create_connection(ADDR, timeout=timeout)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        out = read_answer(s, f"no answer within {timeout} s to {data[:60]!r}")
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    return lines[0], lines[1:], body


def get(path=b"/metrics", method=b"GET", extra=b""):
    return request(method + b" " + path + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" +
                   extra + b"\r\n")


def status_of(line):
    parts = line.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def correct(status_line, body):
    """A correct scrape's answer: 200, SERIES in it, ending with a newline."""
    return status_of(status_line) == 200 and SERIES in body and body.endswith(b"\n")


def scrape():
    """One scrape: None if correct, else what was wrong."""
    st, _, body = get()
    if correct(st, body):
        return None
    return f"{st[:40]!r}, {len(body)} body bytes"


def good_scrape():
    return scrape() is None


class Scraper:
    """A correct scrape every 100 ms, for the whole run, from a child process
    (a thread would share the GIL with the floods: connected, a scrape could
    wait milliseconds to send its request, as idle as a flood's connection)."""

    def __init__(self):
        mp = multiprocessing.get_context("fork")  # the child shares this module's state
        self.phase = mp.Array("c", 64)  # what the main process does
        self.halt = mp.Event()
        self.rx, self.tx = mp.Pipe(duplex=False)
        self.proc = mp.Process(target=self.run, args=(os.getpid(),), daemon=True)

    def start(self):
        self.proc.start()

    def set_phase(self, name):
        self.phase.value = name.encode()

    def run(self, parent):
        ok = bad = 0
        worst = 0.0
        errors = []
        while not self.halt.is_set() and os.getppid() == parent:
            t = time.monotonic()
            try:
                err = scrape()
            except OSError as e:
                err = repr(e)
            worst = max(worst, time.monotonic() - t)
            if err is None:
                ok += 1
            else:
                bad += 1
                errors.append(f"during {self.phase.value.decode()}: {err}")
            self.halt.wait(0.1)
        self.tx.send((ok, bad, worst, errors))

    def finish(self, seconds):
        """Stop it; (correct scrapes, others, the slowest in s, errors)."""
        self.halt.set()
        if not self.rx.poll(seconds):
            fail(f"the scraper did not report within {seconds} s")
        res = self.rx.recv()
        self.proc.join(seconds)
        return res


class FdSampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = False

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, fds())
            time.sleep(0.02)


def wait_fds_at_least(n, seconds):
    end = time.monotonic() + seconds
    while fds() < n and time.monotonic() < end:
        time.sleep(0.002)
    return fds()


def idle_connection():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex(ADDR)
    return s


def read_answer(s, timeout_fails=None):
    """Read until EOF or a reset; on a timeout, fail with timeout_fails if
    given, else return what came."""
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except ConnectionResetError:
        pass
    except socket.timeout:
        if timeout_fails:
            fail(timeout_fails)
    return out


def requests_into_flood(base, rounds, asking, flood):
    """Each round: `asking` connections, then idle ones up to just under the
    soft limit, all accepted; the asking ones send a whole request at once,
    then `flood` new idle connections come in a tight loop. Above the soft
    limit each new connection sheds one: shedding the oldest unanswered
    would shed requests (the asking ones are the oldest, and the server may
    accept several of the flood's connections before it reads them); an
    idle one must go instead. Returns (requests answered correctly, rounds with a miss)."""
    idle_n = SOFT_CONNECTIONS - 1 - asking  # one left for the Scraper's
    req = b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    good = missed = 0
    for _ in range(rounds):
        asks = [socket.create_connection(ADDR, timeout=10) for _ in range(asking)]
        idle = [idle_connection() for _ in range(idle_n)]
        wait_fds_at_least(base + asking + idle_n, 5)
        for s in asks:
            try:
                s.sendall(req)
            except OSError:  # shut already: counted below
                pass
        idle += [idle_connection() for _ in range(flood)]
        n = 0
        for s in asks:
            out = read_answer(s)
            head, _, body = out.partition(b"\r\n\r\n")
            n += correct(head.split(b"\r\n")[0], body)
        good += n
        missed += n < asking
        for s in asks + idle:
            s.close()
        wait_fds_at_most(base, REQUEST_SECONDS + 3)
    return good, missed


def wait_fds_at_most(n, seconds):
    end = time.monotonic() + seconds
    while fds() > n and time.monotonic() < end:
        time.sleep(0.05)
    return fds()


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    if not good_scrape():
        fail("the first scrape is not correct")
    base_fds = fds()
    for _ in range(10):  # the server may close the first scrape's socket after its answer
        time.sleep(0.01)
        base_fds = min(base_fds, fds())
    base_rss = rss_kib()
    scraper = Scraper()
    scraper.start()

    # 1. oversized request line and headers: 4xx, memory bounded
    scraper.set_phase("oversized requests")
    codes = {}
    for name, data in [
        ("request line 100 KiB", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: t\r\n\r\n"),
        ("request line 1 MiB", b"GET /" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: t\r\n\r\n"),
        ("1,000 headers", b"GET /metrics HTTP/1.1\r\nHost: t\r\n" +
         b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(1000)) + b"\r\n"),
        ("one 1 MiB header", b"GET /metrics HTTP/1.1\r\nHost: t\r\nX-Big: " + b"v" * 1_000_000 +
         b"\r\n\r\n"),
    ]:
        st, _, _ = request(data)
        codes[name] = status_of(st)
        if not 400 <= codes[name] < 500:
            fail(f"{name}: answered {st!r}, not 4xx")
    # 64 at once, each with 1 MiB of headers
    def big():
        request(b"GET /metrics HTTP/1.1\r\nHost: t\r\nX-Big: " + b"v" * 1_000_000 + b"\r\n\r\n")
    ts = [threading.Thread(target=big) for _ in range(64)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    rss_after = rss_kib()
    grown = rss_after - base_rss
    print(f"measured: oversized: {codes}; 64 concurrent 1 MiB headers; server RSS "
          f"{base_rss} -> {rss_after} KiB (+{grown} KiB)", flush=True)
    if grown > 4096:
        fail(f"RSS grew by {grown} KiB on oversized requests (bound: 4 MiB)")
    if not good_scrape():
        fail("scrape after the oversized requests")

    # 2. 1,000 concurrent connections, idle
    scraper.set_phase("1,000 connections")
    sampler = FdSampler()
    sampler.start()
    socks = []
    t0 = time.monotonic()
    for _ in range(1000):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(ADDR)
        socks.append(s)
    # let them all be connected (or refused) within 5 s
    pending = list(socks)
    end = time.monotonic() + 5
    while pending and time.monotonic() < end:
        _, w, _ = select.select([], pending[:500], [], 0.2)
        pending = [s for s in pending if s not in w]
    # a scrape in the middle of the flood
    t = time.monotonic()
    mid_ok = good_scrape()
    mid_time = time.monotonic() - t
    time.sleep(1.0)
    during_fds = fds()
    peak_fds = sampler.peak
    closed_by_server = 0
    for s in socks:
        try:
            if s.recv(1) == b"":
                closed_by_server += 1
        except (BlockingIOError, ConnectionResetError, OSError):
            pass
        s.close()
    after_fds = wait_fds_at_most(base_fds, REQUEST_SECONDS + 3)
    sampler.stop = True
    print(f"measured: 1000 concurrent connections: server fds {base_fds} before, peak "
          f"{peak_fds}, {during_fds} during, {after_fds} after; {closed_by_server} shut by "
          f"the server while open; scrape during the flood "
          f"{'answered' if mid_ok else 'FAILED'} in {mid_time:.3f} s", flush=True)
    if not mid_ok:
        fail("the scrape during the flood was not answered correctly")
    if peak_fds > base_fds + MAX_CONNECTIONS + 8:
        fail(f"server fds peaked at {peak_fds}: the connection limit does not hold")
    if after_fds > base_fds:
        fail(f"server fds {after_fds} after the flood, {base_fds} before")
    if not good_scrape():
        fail("scrape after the flood")

    # 3. requests sent into a flood of new idle connections: all answered
    scraper.set_phase("requests into a flood")
    rounds, asking, flood = 50, 20, 100
    t = time.monotonic()
    good, missed = requests_into_flood(base_fds, rounds, asking, flood)
    print(f"measured: requests into a flood: {rounds} rounds of {asking} requests sent at "
          f"once to {SOFT_CONNECTIONS - 1} open connections, then {flood} new idle ones: "
          f"{good} of {rounds * asking} answered correctly, {missed} rounds with a miss, "
          f"{time.monotonic() - t:.1f} s", flush=True)
    if good != rounds * asking:
        fail(f"requests into a flood: {rounds * asking - good} of {rounds * asking} not "
             f"answered correctly (the server shed connections that had sent their request)")
    if not good_scrape():
        fail("scrape after the requests into a flood")

    # 4. one byte a second: the deadline frees it
    scraper.set_phase("one byte a second")
    s = socket.create_connection(ADDR)
    t = time.monotonic()
    sent = 0
    closed_at = None
    for c in b"GET /metrics HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"s" * 100:
        try:
            s.send(bytes([c]))
            sent += 1
        except (BrokenPipeError, ConnectionResetError):
            closed_at = time.monotonic() - t
            break
        r, _, _ = select.select([s], [], [], 1.0)
        if r:
            try:
                d = s.recv(4096)
            except ConnectionResetError:
                d = b""
            if d == b"":
                closed_at = time.monotonic() - t
                break
            fail(f"slow client: an answer before its request was whole: {d[:40]!r}")
        if time.monotonic() - t > REQUEST_SECONDS + 10:
            break
    s.close()
    print(f"measured: one byte a second: the server hung up after {sent} bytes, "
          f"{closed_at if closed_at is None else round(closed_at, 2)} s", flush=True)
    if closed_at is None or closed_at > REQUEST_SECONDS + 3:
        fail(f"slow client not freed within {REQUEST_SECONDS + 3} s")

    # 5. other methods: 405 with Allow, before any body is read
    scraper.set_phase("other methods")
    for m in [b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"TRACE", b"BREW"]:
        st, hdrs, _ = get(method=m)
        allow = [h for h in hdrs if h.lower().startswith(b"allow:")]
        if status_of(st) != 405 or not allow or b"GET" not in allow[0]:
            fail(f"{m.decode()}: {st!r} {allow}, not 405 with Allow: GET")
    t = time.monotonic()
    st, _, _ = request(b"POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 104857600\r\n\r\n" +
                       b"x" * 1_000_000)
    post_time = time.monotonic() - t
    if status_of(st) != 405:
        fail(f"POST with a 100 MiB body: {st!r}, not 405")
    st, _, body = get(method=b"HEAD")
    if status_of(st) != 200 or body:
        fail(f"HEAD: {st!r} with {len(body)} body bytes")
    print(f"measured: 7 other methods 405 (Allow: GET, HEAD); POST announcing 100 MiB "
          f"answered 405 in {post_time:.3f} s; HEAD 200 without a body", flush=True)

    # 6. other paths: 404
    scraper.set_phase("other paths")
    for p in [b"/", b"/metricsx", b"/metrics/", b"/favicon.ico", b"/%2e%2e/etc/passwd",
              b"/metrics/../metrics", b"//metrics", b"/METRICS"]:
        st, _, _ = get(path=p)
        if status_of(st) != 404:
            fail(f"GET {p.decode()}: {st!r}, not 404")
    print("measured: 8 unknown paths 404", flush=True)

    scraper.set_phase("the end")
    ok, bad, worst, errors = scraper.finish(15)
    end_fds, end_rss = wait_fds_at_most(base_fds, REQUEST_SECONDS + 3), rss_kib()
    print(f"measured: scrapes throughout: {ok} correct, {bad} not, slowest {worst:.3f} s; "
          f"server fds {base_fds} -> {end_fds}, RSS {base_rss} -> {end_rss} KiB", flush=True)
    if bad or ok < 20:
        fail(f"scrapes: {ok} correct, {bad} not: {errors[:3]}")
    if end_fds > base_fds:
        fail(f"server fds {end_fds} at the end, {base_fds} at the start")
    print("ok: bad clients: 4xx, bounded fds and memory, deadline, 405, 404; scrapes correct "
          "throughout", flush=True)


main()
