/* SPDX-License-Identifier: BSD-2-Clause */
/* The downstream program that ships with prog.bpf.o (built after its check). */
#include <stdio.h>

#include <safemap/safemap.h>

int main(void)
{
	printf("libsafemap %s, BPF object %s (checked at build time)\n", safemap_version(),
	       PROG_OBJ);
	return 0;
}
