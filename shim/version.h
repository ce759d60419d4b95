/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XENHV_VERSION
#define XENHV_VERSION "0.1.0"
#endif
