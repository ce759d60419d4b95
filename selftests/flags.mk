# SPDX-License-Identifier: GPL-2.0
#
# How to build a program on the selftests' VM library (included by
# selftests/Makefile and tools/Makefile). The programs are static and
# non-PIE: each loads itself into its test VMs at its link addresses.

CACHE ?= $(TOP)/.cache
# The guest ABI headers (Xen, Hyper-V) come from a fetched kernel tree.
KSRC ?= $(firstword $(wildcard $(CACHE)/kernels/6.12/root/usr/src/linux-headers-*-common \
	$(CACHE)/kernels/6.1/root/usr/src/linux-headers-*-common \
	/usr/src/linux-headers-*-common))
SELFTEST_CHECK = @test -n "$(KSRC)" || \
	{ echo "no kernel headers for the guest ABI definitions: run make deps"; exit 1; }

SELFTEST_LIB := $(TOP)/selftests/lib
SELFTEST_CFLAGS := -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-static -no-pie -fno-pie -fno-stack-protector -mno-red-zone -pthread \
	-I$(SELFTEST_LIB) -I$(TOP)/include/uapi -I$(SELFTEST_LIB)/kabi \
	-idirafter $(KSRC)/include -idirafter $(KSRC)/arch/x86/include
SELFTEST_LIB_SRCS := $(addprefix $(SELFTEST_LIB)/,xtest.c vm.c guest.c module.c xenhv.c)
SELFTEST_LIB_HDRS := $(wildcard $(SELFTEST_LIB)/*.h $(SELFTEST_LIB)/kabi/*.h \
	$(SELFTEST_LIB)/kabi/*/*.h $(TOP)/include/uapi/linux/*.h)
