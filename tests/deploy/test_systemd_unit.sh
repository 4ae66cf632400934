#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# deploy/systemd/safemap-exporter.service: `systemd-analyze verify` finds
# nothing to say (any output fails; a broken copy must be reported, so the
# check can fail), the hardening directives are there and `systemd-analyze
# security --offline` rates it OK (exposure <= 3.0). Then, as root, its
# ExecStart runs the way systemd would start it: as a transient unprivileged
# uid with exactly the unit's capabilities (setpriv: bounding, ambient and
# inheritable sets, no_new_privs, noroot securebits) serving the map and
# the audit probe; with no capability it is refused. Skipped (77) only
# where systemd-analyze is missing.
# usage: test_systemd_unit.sh PATH/TO/safemapctl PATH/TO/safemap-exporter.service.in
source "$(dirname "$0")/../tools/lib.sh"
source "$(dirname "$0")/prom_lib.sh"
ctl=$1
unit_in=$2
if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP: $T_NAME: systemd-analyze missing (Debian package systemd)" >&2
	exit 77
fi

unit=$T_TMP/safemap-exporter.service
sed -e "s|@SAFEMAP_BINDIR@|$(dirname "$ctl")|" -e "s|@SAFEMAP_DATADIR@|/usr/share|" "$unit_in" >"$unit"
# man:safemapctl(1) is checked by test_man_lint, not installed here
systemd-analyze verify --man=no "$unit" >"$T_TMP/verify.out" 2>&1 || { cat "$T_TMP/verify.out" >&2; t_fail "systemd-analyze verify exited $?"; }
[ ! -s "$T_TMP/verify.out" ] || { cat "$T_TMP/verify.out" >&2; t_fail "systemd-analyze verify complained"; }
t_ok "systemd-analyze verify: nothing to say"
mkdir -p "$T_TMP/broken"
sed 's/^ProtectSystem=strict/ProtectSystem=stricter/' "$unit" >"$T_TMP/broken/safemap-exporter.service"
systemd-analyze verify --man=no "$T_TMP/broken/safemap-exporter.service" >"$T_TMP/broken.out" 2>&1 || true
grep -q "ProtectSystem\|protect system" "$T_TMP/broken.out" || t_fail "a broken unit went unreported"
t_ok "a broken copy is reported"
for d in DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	PrivateDevices=yes ProtectKernelTunables=yes ProtectKernelModules=yes ProtectControlGroups=yes \
	RestrictAddressFamilies= SystemCallFilter= CapabilityBoundingSet= AmbientCapabilities=; do
	grep -q "^$d" "$unit" || t_fail "the unit lacks $d"
done
t_ok "hardening directives present"
systemd-analyze security --offline=true --no-pager "$unit" >"$T_TMP/security.out" 2>&1 || true
level=$(sed -nE 's/.*Overall exposure level for [^:]*: ([0-9.]+).*/\1/p' "$T_TMP/security.out")
[ -n "$level" ] || { tail -5 "$T_TMP/security.out" >&2; t_fail "no exposure level from systemd-analyze security"; }
awk -v l="$level" 'BEGIN { exit !(l <= 3.0) }' || t_fail "exposure level $level > 3.0"
t_ok "systemd-analyze security --offline: exposure $level"

if [ "$(id -u)" -ne 0 ]; then
	[ "${SAFEMAP_REQUIRE_BPF:-}" = 1 ] && t_fail "the capability run needs root and SAFEMAP_REQUIRE_BPF=1"
	echo "note: not root: the run with the unit's capabilities was left out"
	echo "1 passed, 0 failed"
	exit 0
fi
command -v setpriv >/dev/null || t_fail "setpriv missing (Debian package util-linux)"
caps=$(sed -nE 's/^CapabilityBoundingSet=(.*)/\1/p' "$unit")
ambient=$(sed -nE 's/^AmbientCapabilities=(.*)/\1/p' "$unit")
[ "$caps" = "$ambient" ] || t_fail "bounding set '$caps' and ambient set '$ambient' differ"
set_of() { # "CAP_A CAP_B" -> "+a,+b"
	local c out=
	for c in $1; do out+=",+$(tr 'A-Z' 'a-z' <<<"${c#CAP_}")"; done
	echo "${out#,}"
}
uid=$((61184 + $$ % 4000)) # systemd's DynamicUser range
run_as_unit() { # run_as_unit CAPSET: ExecStart, as systemd would start it
	# (exec: run it in a subshell; the server then keeps the subshell's pid,
	# so that t_stop and the exit trap stop the server itself, not a shell
	# whose child would outlive the test)
	local c=$1 exec_start
	exec_start=$(sed -nE 's/^ExecStart=(.*)/\1/p' "$unit")
	exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SAFEMAP_EXPORTER_LISTEN=127.0.0.1:0 \
		SAFEMAP_EXPORTER_ARGS="--map $id --audit" \
		setpriv --reuid="$uid" --regid="$uid" --clear-groups --no-new-privs \
		--securebits=+noroot,+noroot_locked \
		--bounding-set="-all${c:+,$c}" --inh-caps="-all${c:+,$c}" --ambient-caps="-all${c:+,$c}" \
		bash -c "exec $exec_start"
}

t_hash_map unit_$$ 16
pin=$T_PIN
id=$(t_map_id "$pin")
t_put "$pin" 1
out=$T_TMP/unit.out
run_as_unit "$(set_of "$caps")" >"$out" 2>&1 &
srv=$!
T_PIDS+=("$srv")
t_wait_line "$out" "^serving http://127\.0\.0\.1:[0-9]+/metrics" 15
url=$(sed -nE 's|^serving (http://[^ ]+) .*|\1|p' "$out")
curl -fsS --max-time 5 "$url" >"$T_TMP/scrape.prom" || t_fail "curl $url"
t_expect "$T_TMP/scrape.prom" "^safemap_bpf_map_entries\{map=\"unit_$$\",id=\"$id\"\} 1$" "the map, served by uid $uid with $caps"
t_expect "$T_TMP/scrape.prom" '^safemap_audit_guarded_maps 1$' "the audit probe loaded with $caps"

t_stop "$srv"
rc=0
(run_as_unit "") >"$T_TMP/nocaps.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || { cat "$T_TMP/nocaps.out" >&2; t_fail "without capabilities: exit $rc, not 2"; }
t_expect "$T_TMP/nocaps.out" "CAP_SYS_ADMIN" "without capabilities: refused, naming CAP_SYS_ADMIN"
echo "1 passed, 0 failed"
