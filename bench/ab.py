#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A/B runs of bench_maps builds, interleaved: for ROUNDS rounds, run every
build once (1 rep each) on the same workloads, then print per build the
median Mops/s of libsafemap and of each listed peer, and the median of the
per-round ratios build/first-build (same round, so load noise cancels).

usage: bench/ab.py [--rounds N] [--ops N] [--threads 1,2] [--workloads a,b]
                   [--peers "TBB chm,libcuckoo"] [--clock cpu|wall]
                   [--presize no|yes] BUILD_DIR...
(--clock cpu, the default here: per-thread CPU time, see bench_maps --help;
--presize no, the default here: one mode per A/B, no memory measurement)
"""
import argparse, statistics, subprocess, sys, re

ap = argparse.ArgumentParser()
ap.add_argument('--rounds', type=int, default=5)
ap.add_argument('--ops', default='1000000')
ap.add_argument('--threads', default='1,2')
ap.add_argument('--workloads', default='read-heavy,exchange,rapid-grow,read-heavy-small,exchange-small,rapid-grow-small')
ap.add_argument('--peers', default='')
ap.add_argument('--clock', default='cpu')
ap.add_argument('--presize', default='no', choices=['no', 'yes'])
ap.add_argument('builds', nargs='+')
a = ap.parse_args()

def new_flags(build):
    """--presize/--memory if this build's bench_maps has them (older ones: neither,
    and they ran every map as create(key space), which only liburcu's honoured)"""
    usage = subprocess.run([build + '/bench/bench_maps', '--help'], capture_output=True, text=True).stderr
    return ['--presize', a.presize, '--memory', 'no'] if '--presize' in usage else []

def run(build, maps):
    cmd = [build + '/bench/bench_maps', '--reps', '1', '--ops', a.ops, '--threads', a.threads,
           '--workloads', a.workloads, '--maps', ','.join(maps), '--clock', a.clock] + new_flags(build)
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        sys.exit('bench_maps failed: ' + out.stderr[-2000:])
    lines = out.stdout.split('\n')
    i = next(k for k, l in enumerate(lines) if l.startswith('| workload'))
    hdr = [c.strip() for c in lines[i].strip('|').split('|')]
    res = {}
    for l in lines[i + 2:]:
        if not l.startswith('|'):
            break
        c = [x.strip() for x in l.strip('|').split('|')]
        for name, val in zip(hdr[2:], c[2:]):
            if val not in ('–', '-', ''):
                res[(c[0], c[1], name)] = float(val)
    return res

peers = [p for p in a.peers.split(',') if p]
data = {b: [] for b in a.builds}
for r in range(a.rounds):
    for b in (a.builds if r % 2 == 0 else list(reversed(a.builds))):
        maps = ['libsafemap'] + (peers if b == a.builds[0] else [])
        data[b].append(run(b, maps))
    print(f'round {r + 1}/{a.rounds} done', file=sys.stderr)

def label(b):
    parts = [p for p in b.rstrip('/').split('/') if p not in ('build', '')]
    return parts[-1] if parts else b

keys = sorted({(k[0], k[1]) for k in data[a.builds[0]][0]},
              key=lambda k: (a.workloads.split(',').index(k[0]), k[1]))
base = a.builds[0]
print('| workload | T | ' + ' | '.join(label(b) for b in a.builds) + ' | ' +
      ' | '.join(peers) + ' | ' + ' | '.join(f'{label(b)}/{label(base)}' for b in a.builds[1:]) + ' |')
for w, t in keys:
    row = [w, t]
    for b in a.builds:
        row.append('%.2f' % statistics.median(d[(w, t, 'libsafemap')] for d in data[b]))
    for p in peers:
        vals = [d.get((w, t, p)) for d in data[base]]
        vals = [v for v in vals if v is not None]
        row.append('%.2f' % statistics.median(vals) if vals else '–')
    for b in a.builds[1:]:
        row.append('%.2f' % statistics.median(data[b][i][(w, t, 'libsafemap')] /
                                              data[base][i][(w, t, 'libsafemap')]
                                              for i in range(a.rounds)))
    print('| ' + ' | '.join(row) + ' |')
