/* SPDX-License-Identifier: BSD-2-Clause */
/* Can this kernel block bpf() writes? That needs a BPF LSM program on the
 * security_bpf hook (bpf_lsm_bpf): CONFIG_BPF_LSM, "bpf" among the active
 * LSMs, and BPF trampolines. Rather than read configs, try it: load a
 * two-instruction LSM program that allows everything, attach it, detach. */
#include <stdio.h>
#include <unistd.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "audit_internal.h"

/* "bpf" in the active LSM list, when securityfs shows it (else assume yes
 * and let the attach decide). */
static bool bpf_lsm_active(void)
{
	char list[512] = "";
	FILE *f = fopen("/sys/kernel/security/lsm", "re");
	bool yes = true;

	if (f) {
		if (fgets(list, sizeof(list), f)) {
			char *tok, *save = NULL;

			yes = false;
			for (tok = strtok_r(list, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save))
				if (strcmp(tok, "bpf") == 0)
					yes = true;
		}
		fclose(f);
	}
	return yes;
}

bool safemap__audit_lsm_probe(void)
{
	/* r0 = 0; exit: "allow" */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, popts, .expected_attach_type = BPF_LSM_MAC);
	struct btf *vmlinux;
	int id, prog, link;

	if (!bpf_lsm_active())
		return false;
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return false;
	id = btf__find_by_name_kind(vmlinux, "bpf_lsm_bpf", BTF_KIND_FUNC);
	btf__free(vmlinux);
	if (id <= 0)
		return false; /* kernel without CONFIG_BPF_LSM */
	popts.attach_btf_id = (uint32_t)id;
	prog = bpf_prog_load(BPF_PROG_TYPE_LSM, "sm_lsm_probe", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), &popts);
	if (prog < 0)
		return false;
	link = bpf_link_create(prog, 0, BPF_LSM_MAC, NULL);
	if (link < 0)
		link = bpf_raw_tracepoint_open(NULL, prog);
	if (link >= 0)
		close(link);
	close(prog);
	return link >= 0;
}
