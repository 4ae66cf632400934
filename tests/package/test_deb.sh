#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian packages, for real: a build of the library and the tool with
# Debian's build flags (dpkg-buildflags, hardening=+all) and prefix /usr,
# `cpack -G DEB` -> libsafemap0, libsafemap-dev, safemapctl; their fields
# and contents; lintian (no error; warnings printed); then, as root,
# `dpkg -i` of the three, tests/downstream built against /usr with plain
# `pkg-config safemap` and with find_package(safemap), `safemapctl --help`
# from PATH, and `dpkg -r` of the three, also when a step fails.
# It installs into /usr system-wide: ctest runs it alone (RUN_SERIAL), and a
# lock (/tmp/safemap-deb-install.lock) keeps two worktrees' runs apart; a
# run killed before its cleanup is cleaned up by the next one.
# usage: test_deb.sh SOURCE_DIR WORK_DIR
source "$(dirname "$0")/../tools/lib.sh"
src=$1
work=$2
pkgs=(safemapctl libsafemap-dev libsafemap0) # removal order
t_require_root
for p in cpack dpkg-buildflags dpkg-deb lintian; do
	command -v "$p" >/dev/null || t_fail "$p missing (Debian packages cmake, dpkg-dev, lintian)"
done

exec 9>/tmp/safemap-deb-install.lock
flock -w 900 9 || t_fail "another run held /tmp/safemap-deb-install.lock for 15 minutes"

# build with Debian's flags, package
build=$work/deb-build
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cflags="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)
cmake -S "$src" -B "$build" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DSAFEMAP_BUILD_TESTS=OFF -DSAFEMAP_BUILD_EXAMPLES=OFF -DSAFEMAP_BUILD_BENCH=OFF \
	-DSAFEMAP_INSTALL_RPATH=OFF \
	-DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
	-DCMAKE_SHARED_LINKER_FLAGS="$ldflags" >"$T_TMP/configure.log" 2>&1 ||
	{ cat "$T_TMP/configure.log" >&2; t_fail "configure"; }
cmake --build "$build" -j2 >"$T_TMP/build.log" 2>&1 || { tail -30 "$T_TMP/build.log" >&2; t_fail "build"; }
rm -f "$build"/*.deb
(cd "$build" && cpack -G DEB) >"$T_TMP/cpack.log" 2>&1 || { cat "$T_TMP/cpack.log" >&2; t_fail "cpack -G DEB"; }
ver=$(sed -nE 's/^CPACK_PACKAGE_VERSION:STRING=(.*)/\1/p' "$build/CMakeCache.txt")
ver=${ver:-$(sed -nE 's/^CMAKE_PROJECT_VERSION:STATIC=(.*)/\1/p' "$build/CMakeCache.txt")}
arch=$(dpkg --print-architecture)
debs=()
for p in libsafemap0 libsafemap-dev safemapctl; do
	f=$build/${p}_${ver}-1_$arch.deb
	[ -f "$f" ] || { ls "$build"/*.deb >&2 || true; t_fail "no $f"; }
	debs+=("$f")
done
t_ok "cpack -G DEB: $(cd "$build" && ls ./*.deb | tr '\n' ' ') (${SECONDS} s)"

# fields and contents
field() { dpkg-deb -f "$1" "$2"; }
# (into files: grep -q in a pipe under pipefail would fail its writer)
for i in 0 1 2; do dpkg-deb -c "${debs[$i]}" | awk '{print $6}' | sed 's|^\./|/|' >"$T_TMP/contents.$i"; done
has() { grep -qx -- "$2" "$T_TMP/contents.$1"; }
multi=$(gcc -print-multiarch)
[ "$(field "${debs[0]}" Section)" = libs ] || t_fail "libsafemap0: Section is not libs"
grep -q 'libbpf1' <<<"$(field "${debs[0]}" Depends)" || t_fail "libsafemap0: no libbpf1 in Depends (shlibdeps)"
grep -q 'libc6' <<<"$(field "${debs[0]}" Depends)" || t_fail "libsafemap0: no libc6 in Depends (shlibdeps)"
dpkg-deb --ctrl-tarfile "${debs[0]}" | tar -xO ./shlibs >"$T_TMP/shlibs"
grep -q "^libsafemap 0 libsafemap0 " "$T_TMP/shlibs" ||
	t_fail "libsafemap0: no shlibs entry"
has 0 "/usr/lib/$multi/libsafemap.so.0" || t_fail "libsafemap0: no libsafemap.so.0"
grep -q '\.so$\|/include/\|\.a$' "$T_TMP/contents.0" && t_fail "libsafemap0 holds development files"
for f in /usr/include/safemap/safemap.h "/usr/lib/$multi/libsafemap.a" "/usr/lib/$multi/libsafemap.so" \
	"/usr/lib/$multi/pkgconfig/safemap.pc" "/usr/lib/$multi/cmake/safemap/safemapConfig.cmake"; do
	has 1 "$f" || t_fail "libsafemap-dev lacks $f"
done
grep -q "libsafemap0 (= $ver-1)" <<<"$(field "${debs[1]}" Depends)" || t_fail "libsafemap-dev does not depend on libsafemap0 (= $ver-1)"
for d in libsafemap0 libbpf1 libmicrohttpd; do
	grep -q "$d" <<<"$(field "${debs[2]}" Depends)" || t_fail "safemapctl: no $d in Depends"
done
for f in /usr/bin/safemapctl /usr/share/man/man1/safemapctl.1.gz \
	/usr/share/safemap/prometheus/safemap.rules.yml /usr/share/safemap/systemd/safemap-exporter.service; do
	has 2 "$f" || t_fail "safemapctl lacks $f"
done
for i in 0 1 2; do
	p=$(field "${debs[$i]}" Package)
	has "$i" "/usr/share/doc/$p/copyright" || t_fail "$p: no copyright file"
done
# every file `cmake --install` installs is in one of the packages (an
# install() without the right COMPONENT would be left out)
DESTDIR=$T_TMP/destdir cmake --install "$build" >/dev/null || t_fail "cmake --install"
(cd "$T_TMP/destdir" && find . ! -type d | sed 's|^\.||' | sort) >"$T_TMP/installed.txt"
sort -u "$T_TMP"/contents.[012] >"$T_TMP/packaged.txt"
missing=$(comm -23 "$T_TMP/installed.txt" "$T_TMP/packaged.txt")
[ -z "$missing" ] || t_fail "installed but in no package: $missing"
t_ok "fields (Depends from dpkg-shlibdeps, shlibs) and contents of the three packages (${SECONDS} s)"

# lintian: no error
lintian --tag-display-limit 0 "${debs[@]}" >"$T_TMP/lintian.out" 2>&1 || true
grep -v 'running with root privileges' "$T_TMP/lintian.out" | sed 's/^/lintian: /'
grep -q '^E: ' "$T_TMP/lintian.out" && t_fail "lintian reports errors"
t_ok "lintian: no errors ($(grep -c '^W: ' "$T_TMP/lintian.out" || true) warnings) (${SECONDS} s)"

# install, use, remove
dpkg_locked() { flock -w 300 /tmp/apt.lock dpkg "$@"; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
known() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -qv 'not-installed'; }
remove_all() { # dpkg -r, then -P: nothing of ours left, not even dpkg's record
	local p
	for p in "${pkgs[@]}"; do
		if installed "$p"; then dpkg_locked -r "$p" >/dev/null || echo "dpkg -r $p failed" >&2; fi
	done
	for p in "${pkgs[@]}"; do
		if known "$p"; then dpkg_locked -P "$p" >/dev/null || echo "dpkg -P $p failed" >&2; fi
	done
}
for p in "${pkgs[@]}"; do
	known "$p" && { echo "note: $p left by an earlier run: removing it" >&2; remove_all; break; }
done
trap 'remove_all; t_cleanup' EXIT
trap 'exit 130' INT TERM
dpkg_locked -i "${debs[@]}" >"$T_TMP/dpkg.log" 2>&1 || { cat "$T_TMP/dpkg.log" >&2; t_fail "dpkg -i"; }
t_ok "dpkg -i: $(dpkg-query -W -f='${Package} ${Version}, ' "${pkgs[@]}") (${SECONDS} s)"

[ "$(command -v safemapctl)" = /usr/bin/safemapctl ] || t_fail "safemapctl is not /usr/bin/safemapctl on PATH"
env -i PATH=/usr/bin:/bin safemapctl --help >"$T_TMP/help.out" || t_fail "safemapctl --help from PATH exited $?"
t_expect "$T_TMP/help.out" '^usage: safemapctl COMMAND' "safemapctl --help from PATH"
ldd /usr/bin/safemapctl >"$T_TMP/ldd.out" 2>&1 || true
grep -Eq "libsafemap.so.0 => (/usr)?/lib/$multi/libsafemap.so.0" "$T_TMP/ldd.out" ||
	{ cat "$T_TMP/ldd.out" >&2; t_fail "/usr/bin/safemapctl does not load /usr/lib/$multi/libsafemap.so.0"; }
t_ok "safemapctl loads the installed libsafemap.so.0 (${SECONDS} s)"

ds=$T_TMP/downstream
mkdir -p "$ds"
# plain pkg-config: no PKG_CONFIG_PATH, no -L, nothing but /usr
env -u PKG_CONFIG_PATH pkg-config --exists safemap || t_fail "pkg-config safemap: not found in /usr"
[ "$(env -u PKG_CONFIG_PATH pkg-config --modversion safemap)" = "$ver" ] || t_fail "pkg-config --modversion"
# shellcheck disable=SC2046
cc -Wall -Werror -o "$ds/via-pkgconfig" "$src/examples/threads.c" \
	$(env -u PKG_CONFIG_PATH pkg-config --cflags --libs safemap) -lpthread || t_fail "cc with pkg-config safemap"
"$ds/via-pkgconfig" >/dev/null || t_fail "the pkg-config build failed to run"
ldd "$ds/via-pkgconfig" >"$ds/ldd.out" 2>&1 || true
grep -Eq " (/usr)?/lib/$multi/libsafemap.so.0" "$ds/ldd.out" || { cat "$ds/ldd.out" >&2; t_fail "the pkg-config build does not use /usr's library"; }
t_ok "pkg-config safemap against /usr: built and ran (${SECONDS} s)"
env -u CMAKE_PREFIX_PATH cmake -S "$src/tests/downstream" -B "$ds/cmake" \
	-DSAFEMAP_EXAMPLE="$src/examples/threads.c" >"$ds/cmake.log" 2>&1 || { cat "$ds/cmake.log" >&2; t_fail "cmake find_package(safemap)"; }
grep -q "^safemap_DIR:PATH=/usr/lib/$multi/cmake/safemap$" "$ds/cmake/CMakeCache.txt" ||
	{ grep safemap_DIR "$ds/cmake/CMakeCache.txt" >&2; t_fail "find_package found safemap elsewhere than /usr"; }
cmake --build "$ds/cmake" >"$ds/build.log" 2>&1 || { cat "$ds/build.log" >&2; t_fail "downstream build"; }
"$ds/cmake/downstream_shared" >/dev/null || t_fail "downstream_shared"
"$ds/cmake/downstream_static" >/dev/null || t_fail "downstream_static"
t_ok "find_package(safemap) against /usr: shared and static built and ran (${SECONDS} s)"

remove_all
for p in "${pkgs[@]}"; do known "$p" && t_fail "$p still known to dpkg after dpkg -r and -P"; done
[ ! -e /usr/include/safemap ] || t_fail "/usr/include/safemap left after dpkg -r"
[ ! -e /usr/bin/safemapctl ] || t_fail "/usr/bin/safemapctl left after dpkg -r"
t_ok "dpkg -r (and -P): the three packages are gone (${SECONDS} s)"
echo "1 passed, 0 failed"
