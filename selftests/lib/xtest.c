// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xtest.h"

#define MAX_TESTS 256

static const struct xtest *tests[MAX_TESTS];
static int nr_tests;

void xtest_register(const struct xtest *t)
{
	if (nr_tests == MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		exit(KSFT_FAIL);
	}
	tests[nr_tests++] = t;
}

void xtest_log(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void xtest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(KSFT_FAIL);
}

void xtest_skip(const char *fmt, ...)
{
	va_list ap;
	FILE *f = fopen("/proc/self/fd/3", "w");

	/* The reason travels to the parent through fd 3, a pipe. */
	va_start(ap, fmt);
	if (f) {
		vfprintf(f, fmt, ap);
		fclose(f);
	}
	va_end(ap);
	fflush(stdout);
	_exit(KSFT_SKIP);
}

/*
 * xenhv.slow=N on the kernel's command line (the debug kernel's): it runs
 * about N times slower, and every test's time limit is N times longer.
 */
static unsigned int slow_factor(void)
{
	char line[4096], *p;
	unsigned int n = 0;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return 1;
	if (fgets(line, sizeof(line), f)) {
		p = strstr(line, "xenhv.slow=");
		if (p && sscanf(p + strlen("xenhv.slow="), "%u", &n) != 1)
			n = 0;
	}
	fclose(f);
	return n >= 1 && n <= 100 ? n : 1;
}

static int run_one(const struct xtest *t, char *why, size_t whylen)
{
	int pfd[2], status;
	pid_t pid;
	ssize_t n;

	why[0] = 0;
	if (pipe(pfd))
		return KSFT_FAIL;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return KSFT_FAIL;
	if (!pid) {
		close(pfd[0]);
		if (pfd[1] != 3) {
			dup2(pfd[1], 3);
			close(pfd[1]);
		}
		alarm(t->timeout * slow_factor());
		t->fn();
		fflush(stdout);
		_exit(KSFT_PASS);
	}
	close(pfd[1]);
	n = read(pfd[0], why, whylen - 1);
	why[n > 0 ? n : 0] = 0;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return KSFT_FAIL;
	if (WIFSIGNALED(status)) {
		printf("# %s: killed by signal %d%s\n", t->name, WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		return KSFT_FAIL;
	}
	return WEXITSTATUS(status);
}

int xtest_main(int argc, char **argv)
{
	int i, n = 0, pass = 0, fail = 0, skip = 0, ret;
	const char *filter = argc > 1 ? argv[1] : NULL;
	struct timespec t0, t1;
	char why[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < nr_tests; i++)
		if (!filter || !fnmatch(filter, tests[i]->name, 0))
			n++;
	printf("TAP version 13\n1..%d\n", n);
	for (i = 0, n = 0; i < nr_tests; i++) {
		const struct xtest *t = tests[i];

		if (filter && fnmatch(filter, t->name, 0))
			continue;
		n++;
		printf("# RUN %s\n", t->name);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ret = run_one(t, why, sizeof(why));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("# %s: %.1f s\n", t->name,
		       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		switch (ret) {
		case KSFT_PASS:
			printf("ok %d %s\n", n, t->name);
			pass++;
			break;
		case KSFT_SKIP:
			printf("ok %d %s # SKIP %s\n", n, t->name, why);
			skip++;
			break;
		default:
			printf("not ok %d %s\n", n, t->name);
			fail++;
		}
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       pass, fail, skip);
	if (fail)
		return KSFT_FAIL;
	return pass ? KSFT_PASS : KSFT_SKIP;
}
