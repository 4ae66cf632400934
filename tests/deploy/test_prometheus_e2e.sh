#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The alert rules on a real Prometheus (Debian's prometheus): a server on a
# free loopback port with a temporary config and storage dir (1 s scrape and
# evaluation) scrapes `safemapctl metrics --listen --audit` guarding a map;
# a child (bpftool) writes the map, which its policy does not allow; the
# test polls Prometheus's alerts API until SafemapIllegalBpfMapWrite fires
# (bounded), checks that its description names the map, that nothing fired
# before the write, then stops everything it started.
# usage: test_prometheus_e2e.sh PATH/TO/safemapctl PATH/TO/safemap.rules.yml
source "$(dirname "$0")/../tools/lib.sh"
source "$(dirname "$0")/prom_lib.sh"
ctl=$1
rules=$2
t_require_root
command -v prometheus >/dev/null || t_fail "prometheus missing (Debian package prometheus)"

t_hash_map e2e_$$ 64
pin=$T_PIN
id=$(t_map_id "$pin")

# the exporter, guarding the map
out=$T_TMP/exporter.out
"$ctl" metrics --listen 127.0.0.1:0 --pin "$pin" --audit >"$out" 2>&1 &
exporter=$!
T_PIDS+=("$exporter")
t_wait_line "$out" "^serving http://127\.0\.0\.1:[0-9]+/metrics" 15
target=$(sed -nE 's|^serving http://([^/]+)/metrics.*|\1|p' "$out")

# Prometheus, scraping it every second
cat >"$T_TMP/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: safemap
    static_configs:
      - targets: ['$target']
CONF
promtool check config "$T_TMP/prometheus.yml" >/dev/null || t_fail "promtool check config"
t_start_listener prometheus "$T_TMP/prometheus.log" prometheus \
	--config.file="$T_TMP/prometheus.yml" --storage.tsdb.path="$T_TMP/data" \
	--web.listen-address=127.0.0.1:0 --log.level=info
prom=$T_LAST_PID
api=http://127.0.0.1:$T_PORT
t_ok "prometheus (pid $prom) on $api scraping $target"

# wait until Prometheus has the counter at 0 (so the write is an increase)
# and the rules are loaded
for ((i = 0; i < 300; i++)); do
	r=$(t_prom_query "$api" 'safemap_audit_reports_total{job="safemap"}' 2>/dev/null || true)
	[ "$(jq -r '.[0].value[1] // empty' <<<"$r" 2>/dev/null)" = 0 ] && break
	sleep 0.1
done
[ "$i" -lt 300 ] || { tail -20 "$T_TMP/prometheus.log" >&2; t_fail "no safemap_audit_reports_total 0 in 30 s"; }
groups=$(curl -fsS "$api/api/v1/rules" | jq '[.data.groups[].rules[]] | length')
[ "$groups" -eq 16 ] || t_fail "prometheus loaded $groups rules, not 16"
sleep 2 # two more scrapes and evaluations at 0
firing=$(curl -fsS "$api/api/v1/alerts" | jq '[.data.alerts[] | select(.labels.alertname == "SafemapIllegalBpfMapWrite")] | length')
[ "$firing" -eq 0 ] || t_fail "SafemapIllegalBpfMapWrite active before any write"
t_ok "16 rules loaded, counter at 0, no illegal-write alert"

# the illegal write, by a child of this shell
t0=$(date +%s.%N)
t_put_bg "$pin" 9
writer=$!
wait "$writer"
t_wait_line "$out" "reason=not_allowed .*pid=$writer " 10

# poll the alerts API until the alert fires (bounded: 60 s)
for ((i = 0; i < 600; i++)); do
	curl -fsS --max-time 5 "$api/api/v1/alerts" >"$T_TMP/alerts.json" 2>/dev/null || true
	state=$(jq -r '[.data.alerts[] | select(.labels.alertname == "SafemapIllegalBpfMapWrite")][0].state // empty' \
		"$T_TMP/alerts.json" 2>/dev/null || true)
	[ "$state" = firing ] && break
	sleep 0.1
done
[ "$state" = firing ] || { cat "$T_TMP/alerts.json" >&2; t_fail "SafemapIllegalBpfMapWrite not firing after 60 s (state '$state')"; }
alert=$(jq -c '[.data.alerts[] | select(.labels.alertname == "SafemapIllegalBpfMapWrite")][0]' "$T_TMP/alerts.json")
echo "firing alert, as Prometheus returned it:"
jq . <<<"$alert"
jq -e --arg t "$target" '.labels.severity == "critical" and .labels.instance == $t and .labels.job == "safemap"' \
	<<<"$alert" >/dev/null || t_fail "alert labels"
jq -e --arg m "e2e_$$ (id $id)" '.annotations.description | contains($m)' <<<"$alert" >/dev/null ||
	t_fail "the description does not name the map 'e2e_$$ (id $id)'"
jq -e '.value | tonumber >= 1' <<<"$alert" >/dev/null || t_fail "alert value < 1"
t_ok "SafemapIllegalBpfMapWrite firing $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the write, naming map e2e_$$ (id $id)"
others=$(jq -r '[.data.alerts[] | select(.labels.alertname != "SafemapIllegalBpfMapWrite") | .labels.alertname] | join(",")' \
	"$T_TMP/alerts.json")
[ -z "$others" ] || t_fail "other alerts active: $others"
t_ok "no other alert (lost reports, fill, E2BIG)"

t_stop "$prom"
t_stop "$exporter"
t_expect "$out" "^stopped: 1 audit reports, 0 lost$" "exporter stopped cleanly"
echo "1 passed, 0 failed"
