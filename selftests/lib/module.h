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

#endif
