/* SPDX-License-Identifier: BSD-2-Clause */
/* The corruption corpus: byte-flipped copies of real BPF objects, each run
 * through a command (safemapctl check) in a child with a time limit.
 *
 *   objcorrupt [--per N] [--seed S] [--keep DIR] [--quiet] OBJ... -- CMD ARG...
 *
 * For every object and every target (the whole file uniformly; .BTF;
 * .BTF.ext; the section header table; .symtab), N copies are made with 1..8
 * random bytes replaced (a random value, or one bit flipped), written to a
 * temporary file, and CMD ARG... FILE is run on it with stdout/stderr sent
 * to /dev/null. Exit status 0, 1 or 2 is an answer; a signal is a crash, 10 s
 * without an answer a hang. A target the object lacks is skipped (and said).
 * Crashing inputs are copied to --keep DIR (if given). Prints a table per
 * target; exits 1 if anything crashed or hung, 2 on a usage error. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum target { T_UNIFORM, T_BTF, T_BTF_EXT, T_SHDRS, T_SYMTAB, T_N };
static const char *const target_name[T_N] = { "uniform", ".BTF", ".BTF.ext", "section headers",
					      ".symtab" };

struct tally {
	unsigned runs, answers[3], crashes, hangs, other;
};

static uint64_t rng;

static uint64_t next(void) /* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = n > 0 ? malloc((size_t)n) : NULL;
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The byte range of @p t in the pristine ELF64 object @p b (0 = absent). */
static void target_range(const unsigned char *b, size_t n, enum target t, size_t *from,
			 size_t *len)
{
	const Elf64_Ehdr *eh = (const void *)b;
	const Elf64_Shdr *sh, *strs;
	unsigned i;

	*from = 0;
	*len = t == T_UNIFORM ? n : 0;
	if (t == T_UNIFORM || n < sizeof(*eh) || eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > n)
		return;
	sh = (const void *)(b + eh->e_shoff);
	if (t == T_SHDRS) {
		*from = eh->e_shoff;
		*len = (size_t)eh->e_shnum * sizeof(*sh);
		return;
	}
	if (eh->e_shstrndx >= eh->e_shnum)
		return;
	strs = &sh[eh->e_shstrndx];
	for (i = 0; i < eh->e_shnum; i++) {
		const char *name = (const char *)b + strs->sh_offset + sh[i].sh_name;
		bool hit = (t == T_SYMTAB && sh[i].sh_type == SHT_SYMTAB) ||
			   (t == T_BTF && !strcmp(name, ".BTF")) ||
			   (t == T_BTF_EXT && !strcmp(name, ".BTF.ext"));

		if (hit && sh[i].sh_offset + sh[i].sh_size <= n) {
			*from = sh[i].sh_offset;
			*len = sh[i].sh_size;
			return;
		}
	}
}

/* Run argv + @p file; returns 0..255 exit status, 1000 + signal, or -1 on a hang. */
static int run(char **argv, int argc, const char *file)
{
	char *args[64];
	int i, status = 0;
	pid_t pid;
	struct timespec start, now;

	for (i = 0; i < argc && i < 62; i++)
		args[i] = argv[i];
	args[i++] = (char *)file;
	args[i] = NULL;
	pid = fork();
	if (pid < 0)
		return -2;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execvp(args[0], args);
		_exit(127);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= 10) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(w == 0 ? 1000 : 0);
	}
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	struct tally tally[T_N] = { 0 };
	const char *keep = NULL;
	unsigned per = 30, seed = 1, kept = 0, total = 0, bad = 0;
	bool quiet = false;
	char tmp[64];
	int i, first_obj, cmd = -1;

	for (i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--per") && i + 1 < argc)
			per = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--keep") && i + 1 < argc)
			keep = argv[++i];
		else if (!strcmp(argv[i], "--quiet"))
			quiet = true;
		else
			break;
	}
	first_obj = i;
	for (; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			cmd = i + 1;
			break;
		}
	if (cmd < 0 || cmd >= argc || first_obj == cmd - 1) {
		fprintf(stderr, "usage: objcorrupt [--per N] [--seed S] [--keep DIR] [--quiet] OBJ... -- CMD ARG...\n");
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/safemap-objcorrupt-%d.bpf.o", (int)getpid());
	rng = seed;
	for (i = first_obj; i < cmd - 1; i++) {
		size_t n;
		unsigned char *orig = slurp(argv[i], &n), *copy;
		int t;

		if (!orig) {
			fprintf(stderr, "objcorrupt: cannot read %s\n", argv[i]);
			return 2;
		}
		copy = malloc(n);
		if (!copy)
			return 2;
		for (t = 0; t < T_N; t++) {
			size_t from, len;
			unsigned k;

			target_range(orig, n, (enum target)t, &from, &len);
			if (!len) {
				if (!quiet)
					printf("  %s: no %s, skipped\n", argv[i], target_name[t]);
				continue;
			}
			for (k = 0; k < per; k++) {
				unsigned flips = 1 + (unsigned)(next() % 8), j;
				int rc;
				FILE *f;

				memcpy(copy, orig, n);
				for (j = 0; j < flips; j++) {
					size_t at = from + (size_t)(next() % len);
					uint64_t r = next();

					if (r & 1)
						copy[at] ^= (unsigned char)(1u << ((r >> 1) % 8));
					else
						copy[at] = (unsigned char)(r >> 8);
				}
				f = fopen(tmp, "wb");
				if (!f || fwrite(copy, 1, n, f) != n || fclose(f)) {
					perror(tmp);
					return 2;
				}
				rc = run(argv + cmd, argc - cmd, tmp);
				tally[t].runs++;
				total++;
				if (rc >= 0 && rc <= 2)
					tally[t].answers[rc]++;
				else if (rc == -1)
					tally[t].hangs++;
				else if (rc >= 1000)
					tally[t].crashes++;
				else
					tally[t].other++;
				if (rc < 0 || rc > 2) {
					bad++;
					if (!quiet)
						printf("  %s %s #%u: %s %d\n", argv[i], target_name[t], k,
						       rc == -1 ? "hang" : rc >= 1000 ? "signal" : "exit",
						       rc >= 1000 ? rc - 1000 : rc);
					if (keep) {
						char path[4096];

						snprintf(path, sizeof(path), "%s/crash-%u-%u-%u", keep, seed,
							 kept++, (unsigned)time(NULL));
						f = fopen(path, "wb");
						if (f) {
							fwrite(copy, 1, n, f);
							fclose(f);
						}
					}
				}
			}
		}
		free(copy);
		free(orig);
	}
	unlink(tmp);
	printf("%-16s %6s %6s %6s %6s %7s %5s %5s\n", "target", "inputs", "exit0", "exit1", "exit2",
	       "crashes", "hangs", "other");
	for (i = 0; i < T_N; i++)
		printf("%-16s %6u %6u %6u %6u %7u %5u %5u\n", target_name[i], tally[i].runs,
		       tally[i].answers[0], tally[i].answers[1], tally[i].answers[2], tally[i].crashes,
		       tally[i].hangs, tally[i].other);
	printf("objcorrupt: %u inputs, %u crashed, hung or failed otherwise\n", total, bad);
	return bad ? 1 : 0;
}
