#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The pre-commit hook (.pre-commit-hooks.yaml, scripts/safemap-precommit)
# through the real pre-commit framework, offline: a throwaway hook repository
# holds this checkout's hook files as they are in the work tree (committed
# or not), a throwaway project uses it (repo: PATH, language: script, so
# nothing is downloaded) and installs it as its git pre-commit hook. A clean
# BPF source commits; one with a hole in a hash key is refused with the
# finding printed; so is one that breaks the project's .safemap-policy. The
# hook's compile flags are those of cmake/bpf_object.cmake.
# usage: test_precommit.sh SOURCE_DIR SAFEMAPCTL CMAKE_BPF_FLAGS...
source "$(dirname "$0")/lib.sh"
root=$1 ctl=$2
shift 2
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY
command -v pre-commit >/dev/null || t_fail "pre-commit is not installed (scripts/lib.sh SAFEMAP_TEST_DEPS)"

# the flags of cmake/bpf_object.cmake (passed by CMake) are the hook's
[ "$("$root/scripts/safemap-precommit" --print-cflags)" = "$(printf '%s\n' "$@")" ] ||
	t_fail "scripts/safemap-precommit --print-cflags: '$("$root/scripts/safemap-precommit" --print-cflags | tr '\n' ' ')', cmake/bpf_object.cmake: '$*'"
t_ok "the hook compiles with the flags of cmake/bpf_object.cmake"

git_q() { git -c init.defaultBranch=main -c user.name=test -c user.email=test@example.invalid "$@"; }

hooks=$T_TMP/hookrepo
mkdir -p "$hooks/scripts"
cp "$root/.pre-commit-hooks.yaml" "$hooks/"
cp "$root/scripts/safemap-precommit" "$hooks/scripts/"
git_q -C "$hooks" init -q
git_q -C "$hooks" add -A
git_q -C "$hooks" commit -qm "libsafemap's hook files"
rev=$(git -C "$hooks" rev-parse HEAD)

work=$T_TMP/project
mkdir -p "$work"
git_q -C "$work" init -q
cat >"$work/.pre-commit-config.yaml" <<YAML
repos:
- repo: $hooks
  rev: $rev
  hooks:
  - id: safemap-check-bpf
    verbose: true
YAML
printf '# maps of this project\nflows type=hash min_max_entries=1024\n' >"$work/.safemap-policy"
export PRE_COMMIT_HOME=$T_TMP/pre-commit-cache SAFEMAPCTL=$ctl
(cd "$work" && pre-commit install >/dev/null) || t_fail "pre-commit install"
git_q -C "$work" add .pre-commit-config.yaml .safemap-policy
git_q -C "$work" commit -qm "pre-commit config" >"$T_TMP/c0.txt" 2>&1 ||
	{ cat "$T_TMP/c0.txt" >&2; t_fail "committing the config alone"; }

map() { # map KEYTYPE MAX_ENTRIES
	cat <<C
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include "key.h"
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, $2);
	__type(key, $1);
	__type(value, __u64);
} flows SEC(".maps");
char LICENSE[] SEC("license") = "Dual BSD/GPL";
C
}
mkdir -p "$work/bpf"
cat >"$work/bpf/key.h" <<'C'
struct flow_key { __u32 saddr, daddr; __u16 sport, dport; __u8 proto; __u8 pad[3]; __u32 ifindex; };
struct holey_key { __u32 saddr, daddr; __u16 sport, dport; __u8 proto; __u32 ifindex; };
C

commit() { # commit NAME: stage bpf/NAME.bpf.c and commit; output in $T_TMP/NAME.txt
	git_q -C "$work" add "bpf/$1.bpf.c" bpf/key.h
	git_q -C "$work" commit -m "$1" >"$T_TMP/$1.txt" 2>&1
}

map "struct flow_key" 4096 >"$work/bpf/clean.bpf.c"
commit clean || { cat "$T_TMP/clean.txt" >&2; t_fail "the clean BPF source was refused"; }
t_expect "$T_TMP/clean.txt" "^safemapctl check \(BPF maps of the changed \*\.bpf\.c\)\.+Passed" "clean source: hook passed"
t_expect "$T_TMP/clean.txt" "^bpf/clean\.bpf\.c: 0 findings" "clean source: checked, committed"
[ "$(git -C "$work" rev-list --count HEAD)" = 2 ] || t_fail "the clean commit is not there"

map "struct holey_key" 4096 >"$work/bpf/holey.bpf.c"
if commit holey; then
	cat "$T_TMP/holey.txt" >&2
	t_fail "the source with a hole in its hash key was committed"
fi
t_expect "$T_TMP/holey.txt" "finding key_padding: map 'flows' key 'struct holey_key': padding hole at bytes 13\.\.15 \(3 bytes\)" \
	"hole in a hash key: commit refused, finding printed"
cat "$T_TMP/holey.txt"
[ "$(git -C "$work" rev-list --count HEAD)" = 2 ] || t_fail "the refused commit is there"
git -C "$work" reset -q

map "struct flow_key" 16 >"$work/bpf/small.bpf.c"
commit small && { cat "$T_TMP/small.txt" >&2; t_fail "a map below the project's policy was committed"; }
t_expect "$T_TMP/small.txt" "finding max_entries: map 'flows': max_entries 16 is below the policy's minimum 1024" \
	"the repository's .safemap-policy applies"
git -C "$work" reset -q

printf 'int broken(void) { return missing; }\n' >"$work/bpf/broken.bpf.c"
commit broken && t_fail "a source that does not compile was committed"
t_expect "$T_TMP/broken.txt" "safemap-precommit: bpf/broken.bpf.c: does not compile for BPF" "compile error refuses"
echo "1 passed, 0 failed"
