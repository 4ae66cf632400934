#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pins_check.sh SAFEMAPCTL BPFTOOL OLD.bpf.o MOVED.bpf.o GROWN.bpf.o: the
# check before deploy. The old object's maps are pinned with
# `bpftool prog loadall OLD DIR/progs pinmaps DIR/maps` (DIR unique per pid
# under /sys/fs/bpf, removed at exit, also on failure); then
#   safemapctl check OLD --pins DIR/maps    exit 0 (reusable, layouts match)
#   safemapctl check MOVED --pins DIR/maps  exit 1, the moved fields named
#   safemapctl check GROWN --pins DIR/maps  exit 1, max_entries named
# and the same in --json. Needs root: exit 77 without (a failure when
# SAFEMAP_REQUIRE_BPF=1).
ctl=$1 bpftool=$2 old=$3 moved=$4 grown=$5
if [ "$(id -u)" -ne 0 ]; then
	if [ "${SAFEMAP_REQUIRE_BPF:-0}" = 1 ]; then
		echo "FAIL: pinning maps needs root and SAFEMAP_REQUIRE_BPF=1" >&2
		exit 1
	fi
	echo "SKIP: pinning maps needs root"
	exit 77
fi
if ! [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; then
	mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf || {
		echo "FAIL: no bpffs on /sys/fs/bpf" >&2
		exit 1
	}
fi
dir=/sys/fs/bpf/safemap_pins_test_$$
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM
mkdir -p "$dir/progs" "$dir/maps" || exit 1
"$bpftool" prog loadall "$old" "$dir/progs" pinmaps "$dir/maps" || {
	echo "FAIL: bpftool prog loadall $old could not pin its maps" >&2
	exit 1
}
ls "$dir/maps"

fails=0
# expect RC REGEX... -- COMMAND...
expect() {
	want=$1
	shift
	n=0
	while [ "$1" != "--" ]; do
		n=$((n + 1))
		eval "re_$n=\$1"
		shift
	done
	shift
	out=$("$@" 2>&1)
	rc=$?
	echo "\$ $*"
	printf '%s\n' "$out"
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: exit status $rc, expected $want" >&2
		fails=$((fails + 1))
		return
	fi
	i=1
	while [ "$i" -le "$n" ]; do
		eval "re=\$re_$i"
		if ! printf '%s\n' "$out" | grep -Eq -- "$re"; then
			echo "FAIL: output does not match: $re" >&2
			fails=$((fails + 1))
		fi
		i=$((i + 1))
	done
}

maps=$dir/maps
expect 0 "pinned pins_stats +$maps/pins_stats: id [0-9]+, reusable: sizes, flags and key/value layouts match" \
	"pinned pins_totals +$maps/pins_totals: id [0-9]+, reusable" \
	"pins_v1.bpf.o: 0 findings" \
	-- "$ctl" check "$old" --pins "$maps"
expect 1 "finding pin_layout: map 'pins_stats' against the map pinned at $maps/pins_stats \(id [0-9]+\): value: field 'calls' at offset 0 in the kernel, 16 here" \
	"finding pin_layout: map 'pins_stats' .*value: field 'comm' at offset 8 in the kernel, 0 here" \
	"pinned pins_totals .*reusable" \
	"pins_moved.bpf.o: 2 findings" \
	-- "$ctl" check "$moved" --pins "$maps"
expect 1 "finding pin_reuse: map 'pins_stats' against the map pinned at $maps/pins_stats \(id [0-9]+\): max_entries 1024 in the kernel, 4096 here: libbpf cannot reuse it" \
	"pins_grown.bpf.o: 1 finding$" \
	-- "$ctl" check "$grown" --pins "$maps"
expect 1 '"pins":\[.*\{"map":"pins_stats","path":"[^"]*/pins_stats","id":[0-9]+,"btf":true,"findings":2\}' \
	'\{"kind":"pin_layout","map":"pins_stats",.*"message":"[^"]*value: field .calls. at offset 0 in the kernel, 16 here"' \
	'"findings":2\}$' \
	-- "$ctl" check --json "$moved" --pins "$maps"
expect 2 "pins directory '$dir/none': No such file or directory" \
	-- "$ctl" check "$old" --pins "$dir/none"
if [ "$fails" -ne 0 ]; then
	echo "FAIL: $fails check(s) failed" >&2
	exit 1
fi
echo "PASS: pinned maps compared (reusable, moved fields, grown bound)"
