/* SPDX-License-Identifier: BSD-2-Clause */
/* Validation of a BPF object image before libbpf parses it: Debian's
 * libbpf 1.1 does not validate BTF (upstream does since 1.3) and follows
 * out-of-range type ids and modifier cycles into a crash or a hang. */
#ifndef SAFEMAP_LIB_BPF_OBJ_VALIDATE_H
#define SAFEMAP_LIB_BPF_OBJ_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "bpf_internal.h"

struct btf_type;

/* A validated raw .BTF section: pointers into the caller's bytes. */
struct safemap__btf_raw {
	const char *strs;
	uint32_t str_len;
	uint32_t ntypes;    /* type ids 1..ntypes; 0 is void */
	const struct btf_type **types; /* [ntypes + 1], [0] NULL; free with safemap__btf_raw_free() */
};

/* btf_validate.c: check @p data (@p size bytes, a .BTF section, native byte
 * order) as BTF that libbpf 1.1 and our own walks can use safely: header
 * and section bounds, every type's length, kind and info bits, every name
 * offset inside the string section, every referenced type id in range and of
 * a kind that may be referenced there, sane sizes (ints, enums, floats,
 * datasec entries), and no cycle through typedefs, modifiers, pointers,
 * arrays or vars. Returns 0 and fills @p out, or -EINVAL with a detail
 * message prefixed with @p name ("'x.bpf.o': .BTF: type [7] ..."). */
SAFEMAP_HIDDEN int safemap__btf_validate(const void *data, size_t size, const char *name,
					 struct safemap__btf_raw *out);
SAFEMAP_HIDDEN void safemap__btf_raw_free(struct safemap__btf_raw *b);

/* btf_validate.c: check a .BTF.ext section against validated BTF @p b:
 * header, the func_info / line_info / core_relo subsections in bounds,
 * record sizes, section name and string offsets inside the strings, type
 * ids in range (func_info: a FUNC; core_relo: any type), CO-RE relocation
 * kinds known. Returns 0 or -EINVAL with a detail message. */
SAFEMAP_HIDDEN int safemap__btf_ext_validate(const void *data, size_t size, const char *name,
					     const struct safemap__btf_raw *b);

/* btf_validate.c: the DATASEC called @p sec_name in @p b, or 0. */
SAFEMAP_HIDDEN uint32_t safemap__btf_raw_find_datasec(const struct safemap__btf_raw *b,
						      const char *sec_name);

/* btf_validate.c: check the ".maps" DATASEC @p id of @p b against the
 * ".maps" ELF section of @p sec_size bytes: every entry a named VAR of a
 * struct (typedefs and modifiers skipped), inside the section, and every
 * member of each definition named. (The members' shapes, __uint, __type,
 * __array, libbpf 1.1 checks itself once the ids are sound.) Returns 0 or
 * -EINVAL with a message. */
SAFEMAP_HIDDEN int safemap__btf_maps_validate(const struct safemap__btf_raw *b, uint32_t id,
					      uint64_t sec_size, const char *name);

/* elf_validate.c: check the ELF image @p data of @p size bytes with libelf:
 * a relocatable ELF64 object for the BPF machine in host byte order,
 * section headers and names, section data inside the file, one symbol
 * table whose names and ranges are inside their sections, relocations
 * pointing at existing symbols and inside their target sections, each
 * DATASEC without a size backed by an ELF section and each of its global
 * variables by a symbol (libbpf fixes them up from those), and the .BTF
 * (required: without it -ENODATA, "compile with -g"), .BTF.ext and .maps
 * checks above. Returns 0, -ENODATA (no BTF) or -EINVAL, with
 * a detail message prefixed with @p name. */
SAFEMAP_HIDDEN int safemap__obj_validate(const void *data, size_t size, const char *name);

#endif /* SAFEMAP_LIB_BPF_OBJ_VALIDATE_H */
