/* SPDX-License-Identifier: BSD-2-Clause */
/* The ELF side of validating a BPF object before libbpf parses it (libelf):
 * headers, sections, symbols and relocations in bounds; then the BTF
 * sections through btf_validate.c. */
#include <endian.h>
#include <gelf.h>
#include <linux/btf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj_validate.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define HOST_DATA ELFDATA2LSB
#else
#define HOST_DATA ELFDATA2MSB
#endif

struct elf_ctx {
	Elf *e;
	const char *name;
	size_t size, shnum, shstrndx;
	size_t symtab, nsyms;   /* section index of .symtab (0: none), its symbols */
	Elf_Data *syms;
	size_t strtab;
	Elf_Data *btf, *btf_ext, *maps_data;
	size_t maps_shndx;
};

static int corrupt(const struct elf_ctx *c, const char *fmt, ...) SAFEMAP_PRINTF(2, 3);

static int corrupt(const struct elf_ctx *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return safemap__errorf(-EINVAL, "'%s': corrupt BPF object: %s", c->name, msg);
}

/* The data of section @p idx as libelf reads it: in the file, whole. */
static Elf_Data *sec_data(const struct elf_ctx *c, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);

	if (!d || (sh->sh_type != SHT_NOBITS && (!d->d_buf || d->d_size != sh->sh_size)))
		return NULL;
	return d;
}

static int check_symbols(struct elf_ctx *c, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = sec_data(c, scn, sh);
	size_t i;

	if (!d || sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_size % sizeof(Elf64_Sym))
		return corrupt(c, "symbol table: entry size %llu, %llu bytes",
			       (unsigned long long)sh->sh_entsize, (unsigned long long)sh->sh_size);
	if (sh->sh_link == 0 || sh->sh_link >= c->shnum)
		return corrupt(c, "symbol table: string table index %u", sh->sh_link);
	c->nsyms = sh->sh_size / sizeof(Elf64_Sym);
	c->syms = d;
	c->strtab = sh->sh_link;
	for (i = 0; i < c->nsyms; i++) {
		GElf_Sym s;
		GElf_Shdr ts;
		Elf_Scn *target;

		if (!gelf_getsym(d, (int)i, &s))
			return corrupt(c, "symbol #%zu unreadable", i);
		if (s.st_name && !elf_strptr(c->e, sh->sh_link, s.st_name))
			return corrupt(c, "symbol #%zu: name offset %u outside the string table", i,
				       s.st_name);
		if (s.st_shndx == SHN_UNDEF || s.st_shndx == SHN_ABS || s.st_shndx == SHN_COMMON)
			continue;
		if (s.st_shndx >= c->shnum)
			return corrupt(c, "symbol #%zu: section index %u of %zu", i, s.st_shndx,
				       c->shnum);
		target = elf_getscn(c->e, s.st_shndx);
		if (!target || !gelf_getshdr(target, &ts))
			return corrupt(c, "symbol #%zu: section %u unreadable", i, s.st_shndx);
		if (s.st_value > ts.sh_size || s.st_size > ts.sh_size - s.st_value)
			return corrupt(c, "symbol #%zu: bytes %llu+%llu outside its section (%llu bytes)",
				       i, (unsigned long long)s.st_value,
				       (unsigned long long)s.st_size, (unsigned long long)ts.sh_size);
	}
	return 0;
}

static int check_relocs(const struct elf_ctx *c, Elf_Scn *scn, const GElf_Shdr *sh, size_t idx)
{
	Elf_Data *d = sec_data(c, scn, sh);
	GElf_Shdr ts;
	Elf_Scn *target;
	size_t i, n;

	if (!d || sh->sh_entsize != sizeof(Elf64_Rel) || sh->sh_size % sizeof(Elf64_Rel))
		return corrupt(c, "relocation section #%zu: entry size %llu, %llu bytes", idx,
			       (unsigned long long)sh->sh_entsize, (unsigned long long)sh->sh_size);
	if (sh->sh_link != c->symtab)
		return corrupt(c, "relocation section #%zu: symbol table index %u, not %zu", idx,
			       sh->sh_link, c->symtab);
	target = sh->sh_info && sh->sh_info < c->shnum ? elf_getscn(c->e, sh->sh_info) : NULL;
	if (!target || !gelf_getshdr(target, &ts))
		return corrupt(c, "relocation section #%zu: target section %u", idx, sh->sh_info);
	n = sh->sh_size / sizeof(Elf64_Rel);
	for (i = 0; i < n; i++) {
		GElf_Rel r;

		if (!gelf_getrel(d, (int)i, &r))
			return corrupt(c, "relocation section #%zu: entry #%zu unreadable", idx, i);
		if (GELF_R_SYM(r.r_info) >= c->nsyms)
			return corrupt(c, "relocation section #%zu: entry #%zu: symbol %llu of %zu",
				       idx, i, (unsigned long long)GELF_R_SYM(r.r_info), c->nsyms);
		if (r.r_offset >= ts.sh_size || ts.sh_size - r.r_offset < 4)
			return corrupt(c, "relocation section #%zu: entry #%zu: offset %llu outside section %u (%llu bytes)",
				       idx, i, (unsigned long long)r.r_offset, sh->sh_info,
				       (unsigned long long)ts.sh_size);
	}
	return 0;
}

/* Headers and every section; remembers symbols, .BTF, .BTF.ext, .maps. */
static int check_sections(struct elf_ctx *c)
{
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	int err;

	if (elf_kind(c->e) != ELF_K_ELF)
		return safemap__errorf(-EINVAL, "'%s' is not a BPF object file (not ELF)", c->name);
	if (!gelf_getehdr(c->e, &eh))
		return corrupt(c, "ELF header unreadable: %s", elf_errmsg(-1));
	if (eh.e_machine != EM_BPF)
		return safemap__errorf(-EINVAL,
				       "'%s' is not a BPF object file (ELF for machine %u, not BPF)",
				       c->name, eh.e_machine);
	if (gelf_getclass(c->e) != ELFCLASS64 || eh.e_ident[EI_DATA] != HOST_DATA)
		return safemap__errorf(-EINVAL,
				       "'%s': BPF object for another word size or byte order than this host's",
				       c->name);
	if (eh.e_type != ET_REL)
		return corrupt(c, "ELF type %u, not a relocatable object", eh.e_type);
	if (elf_getshdrnum(c->e, &c->shnum) || elf_getshdrstrndx(c->e, &c->shstrndx) ||
	    !c->shnum || c->shstrndx >= c->shnum)
		return corrupt(c, "section header table unreadable: %s", elf_errmsg(-1));
	while ((scn = elf_nextscn(c->e, scn))) {
		size_t idx = elf_ndxscn(scn);
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			return corrupt(c, "section #%zu: header unreadable", idx);
		name = elf_strptr(c->e, c->shstrndx, sh.sh_name);
		if (!name)
			return corrupt(c, "section #%zu: name offset %u outside the section names", idx,
				       sh.sh_name);
		if (sh.sh_type != SHT_NOBITS &&
		    (sh.sh_offset > c->size || sh.sh_size > c->size - sh.sh_offset))
			return corrupt(c, "section '%s': bytes %llu+%llu outside the file (%zu bytes)",
				       name, (unsigned long long)sh.sh_offset,
				       (unsigned long long)sh.sh_size, c->size);
		if (sh.sh_type == SHT_SYMTAB) {
			if (c->symtab)
				return corrupt(c, "two symbol tables");
			c->symtab = idx;
			if ((err = check_symbols(c, scn, &sh)))
				return err;
		} else if (!strcmp(name, ".BTF") || !strcmp(name, ".BTF.ext") ||
			   !strcmp(name, ".maps")) {
			Elf_Data *d = sh.sh_type == SHT_NOBITS ? NULL : sec_data(c, scn, &sh);

			if (!d)
				return corrupt(c, "section '%s' unreadable", name);
			if (!strcmp(name, ".BTF"))
				c->btf = d;
			else if (!strcmp(name, ".BTF.ext"))
				c->btf_ext = d;
			else {
				c->maps_data = d;
				c->maps_shndx = idx;
			}
		}
	}
	if (!c->symtab)
		return corrupt(c, "no symbol table");
	scn = NULL;
	while ((scn = elf_nextscn(c->e, scn))) { /* relocations need the symbol count */
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_REL &&
		    (err = check_relocs(c, scn, &sh, elf_ndxscn(scn))))
			return err;
	}
	return 0;
}

/* The size of the ELF section called @p sec_name, or -1 without one. */
static int64_t sec_size_by_name(const struct elf_ctx *c, const char *sec_name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(c->e, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(c->e, c->shstrndx, sh.sh_name);
		if (n && !strcmp(n, sec_name))
			return (int64_t)sh.sh_size;
	}
	return -1;
}

static bool has_var_symbol(const struct elf_ctx *c, const char *var)
{
	size_t i;

	for (i = 0; i < c->nsyms; i++) {
		GElf_Sym s;
		const char *n;

		if (!gelf_getsym(c->syms, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_OBJECT ||
		    (GELF_ST_BIND(s.st_info) != STB_GLOBAL && GELF_ST_BIND(s.st_info) != STB_WEAK))
			continue;
		n = elf_strptr(c->e, c->strtab, s.st_name);
		if (n && !strcmp(n, var))
			return true;
	}
	return false;
}

/* Each DATASEC (but the extern ones, .kconfig and .ksyms) without a size
 * describes an ELF section that exists, and each of its global variables
 * has an ELF symbol: libbpf fixes sizes and offsets up from them. */
static int check_datasecs(const struct elf_ctx *c, const struct safemap__btf_raw *b)
{
	uint32_t id, i;

	for (id = 1; id <= b->ntypes; id++) {
		const struct btf_type *t = b->types[id];
		const struct btf_var_secinfo *v = (const void *)(t + 1);
		const char *sec = b->strs + t->name_off;
		int64_t size;

		if (BTF_INFO_KIND(t->info) != BTF_KIND_DATASEC || !strcmp(sec, ".kconfig") ||
		    !strcmp(sec, ".ksyms"))
			continue;
		size = sec_size_by_name(c, sec);
		if (!t->size && size <= 0) /* libbpf takes the size from the ELF */
			return corrupt(c, "BTF describes section '%s', which the ELF %s", sec,
				       size < 0 ? "does not have" : "has empty");
		for (i = 0; i < BTF_INFO_VLEN(t->info); i++, v++) {
			const struct btf_type *var = b->types[v->type];
			const char *vn = b->strs + var->name_off;

			if (BTF_INFO_KIND(var->info) != BTF_KIND_VAR ||
			    ((const struct btf_var *)(var + 1))->linkage != BTF_VAR_GLOBAL_ALLOCATED)
				continue;
			if (!has_var_symbol(c, vn))
				return corrupt(c, "variable '%s' of section '%s' has no ELF symbol", vn,
					       sec);
		}
	}
	return 0;
}

int safemap__obj_validate(const void *data, size_t size, const char *name)
{
	struct elf_ctx c = { .name = name, .size = size };
	struct safemap__btf_raw b;
	void *btf = NULL;
	int err;

	if (size < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG))
		return safemap__errorf(-EINVAL, "'%s' is not a BPF object file (not ELF)", name);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return safemap__errorf(-EINVAL, "'%s': libelf: %s", name, elf_errmsg(-1));
	c.e = elf_memory((char *)data, size);
	if (!c.e)
		return corrupt(&c, "libelf: %s", elf_errmsg(-1));
	err = check_sections(&c);
	if (!err && !c.btf)
		err = safemap__errorf(-ENODATA,
				      "'%s' has no BTF (no .BTF section): compile it with clang -g",
				      name);
	if (err)
		goto out;
	/* an aligned copy (libbpf copies too): the section may sit anywhere */
	btf = malloc(c.btf->d_size ? c.btf->d_size : 1);
	if (!btf) {
		err = safemap__errorf(-ENOMEM, "'%s': out of memory", name);
		goto out;
	}
	memcpy(btf, c.btf->d_buf, c.btf->d_size);
	err = safemap__btf_validate(btf, c.btf->d_size, name, &b);
	if (err)
		goto out;
	err = check_datasecs(&c, &b);
	if (!err && c.btf_ext)
		err = safemap__btf_ext_validate(c.btf_ext->d_buf, c.btf_ext->d_size, name, &b);
	if (!err && c.maps_data) {
		uint32_t id = safemap__btf_raw_find_datasec(&b, ".maps");

		if (!id)
			err = corrupt(&c, "a .maps section but no .maps DATASEC in its BTF");
		else
			err = safemap__btf_maps_validate(&b, id, c.maps_data->d_size, name);
	}
	safemap__btf_raw_free(&b);
out:
	free(btf);
	elf_end(c.e);
	return err;
}
