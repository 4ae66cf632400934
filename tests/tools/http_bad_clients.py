#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Bad clients against `safemapctl metrics --listen` (issue 14, part 4).

usage: http_bad_clients.py PID PORT SERIES

PID is the server's process (its fds and RSS are sampled from /proc), PORT
its loopback port, SERIES a line every correct scrape holds. While a
scraper thread checks a scrape every 100 ms (status 200, SERIES present,
the body ends with a newline), the clients here send oversized request
lines and headers (4xx, memory bounded), open 1,000 connections at once
(the server's fds stay bounded, scrapes still answered), trickle a request
one byte a second (the server hangs up at its deadline), use other methods
(405) and other paths (404). Every phase is bounded in time. Prints what it
measured, one "measured:" line per phase, and exits 1 at the first broken
expectation."""
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
        fail(f"no answer within {timeout} s to {data[:60]!r}")
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


def good_scrape():
    st, _, body = get()
    return status_of(st) == 200 and SERIES in body and body.endswith(b"\n")


class Scraper(threading.Thread):
    """A correct scrape every 100 ms, for the whole run."""

    def __init__(self):
        super().__init__(daemon=True)
        self.ok = self.bad = 0
        self.worst = 0.0
        self.stop = False
        self.errors = []

    def run(self):
        while not self.stop:
            t = time.monotonic()
            try:
                good = good_scrape()
            except OSError as e:
                good = False
                self.errors.append(repr(e))
            dt = time.monotonic() - t
            self.worst = max(self.worst, dt)
            if good:
                self.ok += 1
            else:
                self.bad += 1
            time.sleep(0.1)


class FdSampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = False

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, fds())
            time.sleep(0.02)


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
    base_fds, base_rss = fds(), rss_kib()
    scraper = Scraper()
    scraper.start()

    # 1. oversized request line and headers: 4xx, memory bounded
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

    # 3. one byte a second: the deadline frees it
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

    # 4. other methods: 405 with Allow, before any body is read
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

    # 5. other paths: 404
    for p in [b"/", b"/metricsx", b"/metrics/", b"/favicon.ico", b"/%2e%2e/etc/passwd",
              b"/metrics/../metrics", b"//metrics", b"/METRICS"]:
        st, _, _ = get(path=p)
        if status_of(st) != 404:
            fail(f"GET {p.decode()}: {st!r}, not 404")
    print("measured: 8 unknown paths 404", flush=True)

    scraper.stop = True
    scraper.join(15)
    end_fds, end_rss = wait_fds_at_most(base_fds, REQUEST_SECONDS + 3), rss_kib()
    print(f"measured: scrapes throughout: {scraper.ok} correct, {scraper.bad} not, slowest "
          f"{scraper.worst:.3f} s; server fds {base_fds} -> {end_fds}, RSS {base_rss} -> "
          f"{end_rss} KiB", flush=True)
    if scraper.bad or scraper.ok < 20:
        fail(f"scrapes: {scraper.ok} correct, {scraper.bad} not: {scraper.errors[:3]}")
    if end_fds > base_fds:
        fail(f"server fds {end_fds} at the end, {base_fds} at the start")
    print("ok: bad clients: 4xx, bounded fds and memory, deadline, 405, 404; scrapes correct "
          "throughout", flush=True)


main()
