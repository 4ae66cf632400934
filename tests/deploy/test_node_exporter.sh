#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# node_exporter's textfile collector, for real (Debian's
# prometheus-node-exporter, every other collector off, on a free loopback
# port): `safemapctl metrics --textfile DIR/safemap.prom --interval 1`
# keeps the file fresh; scrapes of node_exporter carry the safemap
# families with the map's values (following the map as it fills) and
# node_textfile_scrape_error 0.
# usage: test_node_exporter.sh PATH/TO/safemapctl
source "$(dirname "$0")/../tools/lib.sh"
source "$(dirname "$0")/prom_lib.sh"
ctl=$1
t_require_root
ne=$(command -v prometheus-node-exporter || command -v node_exporter || true)
[ -n "$ne" ] || t_fail "node_exporter missing (Debian package prometheus-node-exporter)"

t_hash_map ne_$$ 32
pin=$T_PIN
id=$(t_map_id "$pin")
for k in 1 2 3; do t_put "$pin" "$k"; done
series="id=\"$id\",map=\"ne_$$\"" # node_exporter sorts labels

dir=$T_TMP/textfile
mkdir -p "$dir"
"$ctl" metrics --textfile "$dir/safemap.prom" --interval 1 --pin "$pin" >"$T_TMP/writer.out" 2>&1 &
writer=$!
T_PIDS+=("$writer")
t_wait_line "$T_TMP/writer.out" "^writing " 10
for ((i = 0; i < 100; i++)); do [ -e "$dir/safemap.prom" ] && break; sleep 0.1; done
[ -e "$dir/safemap.prom" ] || t_fail "no $dir/safemap.prom after 10 s"

t_start_listener node_exporter "$T_TMP/ne.log" "$ne" --web.listen-address=127.0.0.1:0 \
	--collector.disable-defaults --collector.textfile --collector.textfile.directory="$dir"
ne_pid=$T_LAST_PID
url=http://127.0.0.1:$T_PORT/metrics
t_ok "node_exporter (pid $ne_pid) on $url"

scrape() { curl -fsS --max-time 5 "$url" >"$1" || t_fail "curl $url"; }
scrape "$T_TMP/s1.prom"
promtool check metrics <"$T_TMP/s1.prom" >/dev/null 2>"$T_TMP/lint" ||
	{ cat "$T_TMP/lint" >&2; t_fail "promtool check metrics (node_exporter)"; }
t_expect "$T_TMP/s1.prom" '^node_textfile_scrape_error 0$' "node_textfile_scrape_error 0"
t_expect "$T_TMP/s1.prom" "^node_textfile_mtime_seconds\{file=\"$dir/safemap.prom\"\} " "mtime of safemap.prom"
t_expect "$T_TMP/s1.prom" "^# TYPE safemap_bpf_map_capacity_violations_total counter$" "counter family via node_exporter"
t_expect "$T_TMP/s1.prom" "^safemap_bpf_map_entries\{$series\} 3$" "entries via node_exporter"
t_expect "$T_TMP/s1.prom" "^safemap_bpf_map_max_entries\{$series\} 32$" "max_entries via node_exporter"
t_expect "$T_TMP/s1.prom" "^safemap_bpf_map_info\{.*map=\"ne_$$\".*\} 1$" "info via node_exporter"
if grep -E '^node_(cpu|meminfo|filesystem)_' "$T_TMP/s1.prom" >/dev/null; then
	t_fail "other collectors are on"
fi

# the writer rewrites every second: the scrape follows the map
for k in 4 5 6 7; do t_put "$pin" "$k"; done
for ((i = 0; i < 100; i++)); do
	scrape "$T_TMP/s2.prom"
	grep -Eq "^safemap_bpf_map_entries\{$series\} 7$" "$T_TMP/s2.prom" && break
	sleep 0.1
done
t_expect "$T_TMP/s2.prom" "^safemap_bpf_map_entries\{$series\} 7$" "entries follow the map (rewritten each second)"
t_expect "$T_TMP/s2.prom" '^node_textfile_scrape_error 0$' "still no textfile scrape error"

t_stop "$ne_pid"
t_stop "$writer"
ls "$dir" | grep -q tmp && t_fail "temporary file left: $(ls "$dir")"
echo "1 passed, 0 failed"
