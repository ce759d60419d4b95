/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XENHV_MODULE_H
#define XENHV_MODULE_H

#include <stdbool.h>

#define XENHV_MODNAME "xenhv_shim"

bool xenhv_module_loaded(void);
/* Path of the module built for the running kernel (env XENHV_MODULE first). */
const char *xenhv_module_path(void);
int xenhv_module_load(const char *params);	/* 0 or -errno */
int xenhv_module_unload(void);			/* 0 or -errno */
/* Skip the test unless the module is loaded. */
void xenhv_require_module(void);
/*
 * Whether ftrace has a callback on kernel function @fn (tracefs'
 * enabled_functions, mounted if need be); exits the program if unreadable.
 */
bool xenhv_fn_traced(const char *fn);
/* The same, waited for up to 10 s to become @want; returns the last look. */
bool xenhv_fn_traced_after(const char *fn, bool want);

#endif
