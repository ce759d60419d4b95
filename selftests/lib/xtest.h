/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small kselftest-style harness: TAP 13 output, one forked child per test
 * with a timeout, exit 4 (KSFT_SKIP) when every test skipped.
 *
 *	XTEST(name) { ...; TEST_ASSERT(cond, "fmt", ...); SKIP("why"); }
 *	int main(int argc, char **argv) { return xtest_main(argc, argv); }
 */
#ifndef XENHV_XTEST_H
#define XENHV_XTEST_H

#include <stdio.h>
#include <stdlib.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

struct xtest {
	const char *name;
	void (*fn)(void);
	unsigned int timeout;	/* seconds */
};

void xtest_register(const struct xtest *t);
int xtest_main(int argc, char **argv);
void xtest_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
void xtest_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void xtest_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define XTEST_TIMEOUT(_name, _tmo)					\
	static void _name(void);					\
	static const struct xtest __xtest_##_name = {			\
		.name = #_name, .fn = _name, .timeout = (_tmo),		\
	};								\
	static void __attribute__((constructor)) __xtest_reg_##_name(void) \
	{								\
		xtest_register(&__xtest_##_name);			\
	}								\
	static void _name(void)

#define XTEST(_name)	XTEST_TIMEOUT(_name, 120)

#define TEST_ASSERT(cond, fmt, ...)					\
	do {								\
		if (!(cond))						\
			xtest_fail(__FILE__, __LINE__, "%s: " fmt,	\
				   #cond, ##__VA_ARGS__);		\
	} while (0)

#define TEST_ASSERT_EQ(a, b)						\
	do {								\
		unsigned long long __a = (a), __b = (b);		\
		if (__a != __b)						\
			xtest_fail(__FILE__, __LINE__,			\
				   "%s == %s: 0x%llx != 0x%llx",	\
				   #a, #b, __a, __b);			\
	} while (0)

#define TEST_FAIL(fmt, ...)	xtest_fail(__FILE__, __LINE__, fmt, ##__VA_ARGS__)
#define SKIP(fmt, ...)		xtest_skip(fmt, ##__VA_ARGS__)

#endif
