#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Overwrite names in the .BTF string section of a BPF object file.

usage: btf_patch_names.py IN.bpf.o OUT.bpf.o OLD=NEWHEX...

Each OLD (an ASCII name in the string section) is replaced in place by the
bytes NEWHEX (hex), padded with 'x' to OLD's length, so no offset moves.
Only .BTF's string section is touched (DWARF keeps the old names): libbpf,
and so the object checker, reads the names from there. Exit 1 when a name
is not found there or NEW is longer than OLD."""
import struct
import sys


def sections(data):
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit("not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    stroff = hdrs[shstrndx][4]
    for h in hdrs:
        end = data.index(b"\0", stroff + h[0])
        yield data[stroff + h[0]:end].decode(), h[4], h[5]


def main():
    src, dst, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
    data = bytearray(open(src, "rb").read())
    btf = [(off, size) for name, off, size in sections(data) if name == ".BTF"]
    if not btf:
        sys.exit("no .BTF section")
    off, size = btf[0]
    magic, _ver, _flags, hdr_len, _toff, _tlen, str_off, str_len = struct.unpack_from(
        "<HBBIIIII", data, off)
    if magic != 0xEB9F:
        sys.exit("bad BTF magic")
    s0 = off + hdr_len + str_off
    strings = bytes(data[s0:s0 + str_len])
    for pair in pairs:
        old, new = pair.split("=", 1)
        old_b, new_b = old.encode(), bytes.fromhex(new)
        if len(new_b) > len(old_b):
            sys.exit(f"{old}: the new name is longer")
        at = strings.find(b"\0" + old_b + b"\0")
        if at < 0:
            sys.exit(f"{old}: not in the BTF string section")
        new_b = new_b + b"x" * (len(old_b) - len(new_b))
        data[s0 + at + 1:s0 + at + 1 + len(old_b)] = new_b
    open(dst, "wb").write(data)


main()
