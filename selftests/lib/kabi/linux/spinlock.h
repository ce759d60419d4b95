/* SPDX-License-Identifier: GPL-2.0 */
/* Nothing from here is used by the ABI headers the selftests include. */
