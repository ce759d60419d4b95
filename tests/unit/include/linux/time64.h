/* SPDX-License-Identifier: GPL-2.0 */
/* Nothing the decoders use. */
