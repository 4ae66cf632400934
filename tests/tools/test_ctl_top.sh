#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# safemapctl top: --once and plain frames (not a terminal: no escape codes),
# then in a real terminal (a private tmux server): the map the test fills
# climbs to 100%, the writes refused with E2BIG and the illegal writes show
# per second (--audit), a narrow terminal and a resize cut every line to
# the width without wrapping, and q and Ctrl-C each quit with the terminal
# restored (main screen back, echo and line mode back).
# usage: test_ctl_top.sh PATH/TO/safemapctl
source "$(dirname "$0")/lib.sh"
ctl=$1
t_require_root
command -v tmux >/dev/null || t_fail "tmux missing (Debian package tmux)"

t_hash_map top_$$ 16
pin=$T_PIN
id=$(t_map_id "$pin")
for k in $(seq 1 12); do t_put "$pin" "$k"; done
row="^ +$id +top_$$ +hash "

# --once, not a terminal
"$ctl" top --once --pin "$pin" --interval 0.2 >"$T_TMP/once.txt" || t_fail "top --once exited $?"
echo "--- top --once:"; cat "$T_TMP/once.txt"
t_expect "$T_TMP/once.txt" "^safemapctl top - 1 map, every 0.2 s, [0-9:]{8}$" "--once header"
t_expect "$T_TMP/once.txt" "$row+\[#{15}\.{5}\]  75\.0% +12/16 +-$" "--once row: bar, 75%, 12/16"
grep -q $'\033' "$T_TMP/once.txt" && t_fail "escape codes in --once output"
t_ok "no escape codes when not a terminal"
"$ctl" top --once --interval 0.1 >"$T_TMP/all.txt" || t_fail "top --once (all maps) exited $?"
t_expect "$T_TMP/all.txt" "$row" "all maps: ours among them"

# plain frames, continuous, until SIGINT
: >"$T_TMP/plain.txt"
"$ctl" top --pin "$pin" --interval 0.2 >"$T_TMP/plain.txt" 2>&1 &
p=$!
T_PIDS+=("$p")
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c '^safemapctl top' "$T_TMP/plain.txt")" -ge 3 ] && break
	sleep 0.1
done
kill -INT "$p"
rc=0; wait "$p" || rc=$?
[ "$rc" -eq 0 ] || t_fail "top (plain) exited $rc after SIGINT"
frames=$(grep -c '^safemapctl top' "$T_TMP/plain.txt")
[ "$frames" -ge 3 ] || t_fail "$frames plain frames"
[ "$(grep -c '^$' "$T_TMP/plain.txt")" -ge $((frames - 1)) ] || t_fail "frames not one blank line apart"
grep -q $'\033' "$T_TMP/plain.txt" && t_fail "escape codes in plain frames"
t_ok "$frames plain frames, blank-line separated, SIGINT exits 0"

# a real terminal: a private tmux server, 120x24
sock=safemap_top_$$
tm() { tmux -L "$sock" "$@"; }

trap 'tm kill-server 2>/dev/null || true; t_cleanup' EXIT
# the pane runs top, then records the terminal's state after it
pane_cmd() {
	echo "stty -a >$T_TMP/stty.before; $ctl top --pin $pin --audit --interval 1; echo \"rc=\$?\" >$T_TMP/rc.$1; stty -a >$T_TMP/stty.after.$1; exec sleep 600"
}
tm -f /dev/null new-session -d -s top -x 120 -y 24 "$(pane_cmd q)" || t_fail "tmux new-session"
# -J joins wrapped lines: a line the terminal had to wrap shows whole
cap() { tm capture-pane -p -J -t top >"$T_TMP/pane.txt"; }
wait_pane() { # REGEX SECONDS WHAT
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		cap
		grep -Eq -- "$1" "$T_TMP/pane.txt" && return 0
		sleep 0.1
	done
	echo "--- pane:" >&2; cat "$T_TMP/pane.txt" >&2
	t_fail "$3: waited $2 s for /$1/"
}
wait_pane "$row" 20 "top in tmux"
[ "$(tm display -p -t top '#{alternate_on}')" = 1 ] || t_fail "top does not use the alternate screen"
t_expect "$T_TMP/pane.txt" "^audit: 1 map guarded, " "audit header in the terminal"
t_expect "$T_TMP/pane.txt" "$row+\[#+\.+\]  75\.0% +12/16 +0\.0 +0\.0$" "75% at first, no writes"
# fill it from another process: 4 to the brim, then 6 refused with E2BIG
for k in $(seq 13 16); do t_put_bg "$pin" "$k"; wait $!; done
for k in $(seq 17 22); do
	bpftool map update pinned "$pin" key "$k" 0 0 0 value 1 0 0 0 0 0 0 0 >/dev/null 2>&1 &&
		t_fail "update $k of a full map succeeded"
done
wait_pane "$row+\[#+\] 100\.0% +16/16 +[1-9][0-9.]* +[1-9][0-9.]*$" 10 "100%, E2BIG/s and illegal/s > 0"
t_ok "the filled map: 100%, 16/16, E2BIG/s and illegal writes/s above 0"
cp "$T_TMP/pane.txt" "$T_TMP/full.txt"
t_expect "$T_TMP/full.txt" "illegal writes [0-9.]+/s \(total 10\)" "10 illegal writes in total"
# narrow: every line cut at 50 columns, none wrapped
tm resize-window -t top -x 50 -y 12 || t_fail "tmux resize-window"
wait_pane "^ +$id +top_$$" 5 "redraw after the resize"
sleep 1.2 # one more refresh at the new size
cap
awk 'length($0) > 50 { bad = 1 } END { exit bad }' "$T_TMP/pane.txt" ||
	{ cat "$T_TMP/pane.txt" >&2; t_fail "a line longer than 50 columns"; }
[ "$(grep -c '^safemapctl top' "$T_TMP/pane.txt")" -eq 1 ] || t_fail "not one header after the resize"
grep -Eq "^ +$id +top_$$ +hash +\[" "$T_TMP/pane.txt" || { cat "$T_TMP/pane.txt" >&2; t_fail "the row, cut"; }
t_ok "resized to 50x12: lines cut at 50 columns, no wrapping"
tm resize-window -t top -x 120 -y 24
# q quits and restores the terminal
tm send-keys -t top q
for ((i = 0; i < 100; i++)); do [ -s "$T_TMP/stty.after.q" ] && break; sleep 0.1; done
[ -s "$T_TMP/stty.after.q" ] || { cap; cat "$T_TMP/pane.txt" >&2; t_fail "q did not quit"; }
grep -qx "rc=0" "$T_TMP/rc.q" || t_fail "q: $(cat "$T_TMP/rc.q")"
[ "$(tm display -p -t top '#{alternate_on}')" = 0 ] || t_fail "q: still on the alternate screen"
[ "$(grep -o -- '-\?icanon\|-\?echo ' "$T_TMP/stty.after.q")" = "$(grep -o -- '-\?icanon\|-\?echo ' "$T_TMP/stty.before")" ] ||
	t_fail "q: terminal modes not restored: $(grep -o -- '-\?icanon\|-\?echo ' "$T_TMP/stty.after.q" | tr '\n' ' ')"
cap
grep -q "^safemapctl top" "$T_TMP/pane.txt" && t_fail "q: the frame is left on the main screen"
t_ok "q: exit 0, main screen back, icanon and echo restored"
# Ctrl-C quits and restores the terminal
tm kill-session -t top
tm -f /dev/null new-session -d -s top -x 80 -y 24 "$(pane_cmd c)" || t_fail "tmux new-session (2)"
wait_pane "$row" 20 "top in tmux (2)"
tm send-keys -t top C-c
for ((i = 0; i < 100; i++)); do [ -s "$T_TMP/stty.after.c" ] && break; sleep 0.1; done
[ -s "$T_TMP/stty.after.c" ] || t_fail "Ctrl-C did not quit"
grep -qx "rc=0" "$T_TMP/rc.c" || t_fail "Ctrl-C: $(cat "$T_TMP/rc.c")"
[ "$(tm display -p -t top '#{alternate_on}')" = 0 ] || t_fail "Ctrl-C: still on the alternate screen"
grep -q -- '-icanon\|-echo ' "$T_TMP/stty.after.c" && t_fail "Ctrl-C: terminal left in raw mode"
t_ok "Ctrl-C: exit 0, main screen back, terminal modes restored"
echo "--- the filled map in the terminal (120 columns):"
grep -v '^$' "$T_TMP/full.txt"
echo "1 passed, 0 failed"
