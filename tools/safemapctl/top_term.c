/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl top: the terminal. Raw keys and the alternate screen while the
 * view runs; everything restored on the way out (q, Ctrl-C/SIGINT,
 * SIGTERM, an error: top_term_leave() also runs at exit). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "top.h"

static struct termios saved;
static bool entered, keys;
static volatile sig_atomic_t resized;

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

static void put(const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(STDOUT_FILENO, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

bool top_term_enter(void)
{
	struct sigaction sa;

	if (entered || !isatty(STDOUT_FILENO))
		return entered;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios raw = saved;

		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO); /* ISIG stays: Ctrl-C is SIGINT */
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		keys = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_winch;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	entered = true;
	atexit(top_term_leave);
	fflush(stdout);
	put("\033[?1049h\033[?25l\033[H\033[2J"); /* alternate screen, no cursor, clear */
	return true;
}

void top_term_leave(void)
{
	if (!entered)
		return;
	entered = false;
	fflush(stdout);
	put("\033[?25h\033[?1049l"); /* cursor back, main screen back */
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	keys = false;
	signal(SIGWINCH, SIG_DFL);
}

bool top_term_size(int *cols, int *rows)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_col || !ws.ws_row)
		return false;
	*cols = ws.ws_col;
	*rows = ws.ws_row;
	return true;
}

bool top_term_resized(void)
{
	if (!resized)
		return false;
	resized = 0;
	return true;
}

int top_term_key(void)
{
	unsigned char c;

	if (!keys || read(STDIN_FILENO, &c, 1) != 1)
		return -1;
	return c;
}
