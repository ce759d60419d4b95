# SPDX-License-Identifier: GPL-2.0
#
# xenhv_shim: out-of-tree module, selftests, tools and the test runner.
#
#   make                 build xenhv_shim.ko against KDIR (default: the running kernel)
#   make KVER=6.1|6.12|7|debug  build against a fetched Debian kernel's headers
#                        (7: the newest 7.x, built in a gcc-14 chroot), or the
#                        debug kernel's tree (build/<KVER>/)
#   make deps            install host packages and fetch the target kernels
#   make check           sparse (C=2) and checkpatch over the sources
#   make demo            load the module in each target kernel and run a VM
#   make test            the whole suite on 6.1, 6.12 and the debug kernel
#   make bench           hypercall rates, side by side, in one boot per kernel
#   make acceptance      a nested Debian guest booted with the Xen ABI
#   make fuzz            the guest-input fuzzers at length (FUZZ_SECONDS per ABI)
#   make dkms-install    the module's sources and dkms.conf into /usr/src (DESTDIR)
#   make deb             xenhv-shim-dkms and xenhv-tools packages in build/deb/

TOP := $(CURDIR)
CACHE ?= $(TOP)/.cache
KERNELS ?= 6.1 6.12 7
KERNELRELEASE ?= $(shell uname -r)
VERSION := $(shell git -C $(TOP) describe --always --dirty 2>/dev/null || echo 0.1.0)
# The packages' version: the release in shim/version.h and the commit.
PKGVER ?= $(shell sed -n 's/^\#define XENHV_VERSION "\(.*\)"/\1/p' $(TOP)/shim/version.h)$(shell \
	git -C $(TOP) rev-parse --short HEAD 2>/dev/null | sed 's/^/+git/')
DKMSDIR = /usr/src/xenhv-shim-$(PKGVER)

ifneq ($(KVER),)
KDIR ?= $(CACHE)/kernels/$(KVER)/build
OBJDIR := $(TOP)/build/$(KVER)
# With the kernel's own compiler: a chroot's when the host lacks it.
KBUILD := $(TOP)/scripts/kbuild.sh $(KVER)
else
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
OBJDIR := $(TOP)
endif

SRCS := Kbuild $(shell find shim include -name '*.[ch]' -o -name 'Kbuild*')

.PHONY: all module module-debug clean deps check sparse style selftests unit tool \
	test demo bench acceptance fuzz install dkms-install deb

all: module

# A fetched kernel's build lives in build/<KVER>/, so both targets can coexist.
module: $(if $(KVER),$(CACHE)/kernels/$(KVER)/stamp)
ifneq ($(KVER),)
	@mkdir -p $(OBJDIR)
	@rsync -a --delete --exclude '*.o' --exclude '.*.cmd' --exclude '*.ko' \
		--exclude '*.mod*' Kbuild $(wildcard shim include) $(OBJDIR)/
endif
	$(KBUILD) $(MAKE) -C $(KDIR) M=$(OBJDIR) XENHV_VERSION=$(VERSION) modules

module-debug:
	$(MAKE) module CONFIG_XENHV_SHIM_DEBUG=y

$(CACHE)/kernels/%/stamp:
	scripts/deps.sh $*

deps:
	scripts/deps.sh

# DKMS (dkms.conf): "dkms install xenhv-shim/$(PKGVER)" after this one.
dkms-install:
	install -d $(DESTDIR)$(DKMSDIR)
	cp -R Kbuild shim include $(DESTDIR)$(DKMSDIR)/
	sed 's/@VERSION@/$(PKGVER)/' dkms.conf > $(DESTDIR)$(DKMSDIR)/dkms.conf

deb:
	scripts/pkg/mkdeb.sh build/deb $(PKGVER)

install: module tool
	$(MAKE) -C $(KDIR) M=$(OBJDIR) modules_install
	install -D -m 0644 udev/60-xenhv-shim.rules $(DESTDIR)/etc/udev/rules.d/60-xenhv-shim.rules
	$(MAKE) -C tools/xenhv install

# sparse (C=2 checks every file) for each target kernel, then checkpatch.
check: sparse style

sparse:
	@scripts/deps.sh >/dev/null
	@mkdir -p build
	@set -e; for k in $(KERNELS); do \
		$(MAKE) -s module KVER=$$k C=2 CF="-D__CHECK_ENDIAN__" 2>&1 | \
			tee build/sparse-$$k.log; \
		if grep -q 'not available or not up to date' build/sparse-$$k.log; then \
			scripts/kbuild.sh $$k sh -c 'command -v sparse; sparse --version; \
				ls -l /dev/null' 2>&1 | sed "s/^/sparse: $$k: /"; \
			echo "sparse: $$k: kbuild found no working sparse"; exit 1; fi; \
		if grep -E 'warning|error' build/sparse-$$k.log; then \
			echo "sparse: $$k not clean"; exit 1; fi; \
	done

style:
	@scripts/deps.sh --checkpatch >/dev/null
	@scripts/checkpatch.sh

selftests:
	$(MAKE) -C selftests

unit:
	$(MAKE) -C tests/unit run

tool:
	$(MAKE) -C tools/xenhv

test:
	@scripts/test.sh

demo:
	@scripts/demo.sh

bench:
	@scripts/bench.sh

fuzz:
	@scripts/fuzz.sh

# A real Linux guest, nested, given the Xen and the Hyper-V ABI with
# direct-mode synthetic timers (a boot takes about 15 s when it is not
# retried); make test boots the Hyper-V one without direct mode.
acceptance:
	@scripts/acceptance.sh

clean:
	rm -rf build
	$(MAKE) -C selftests clean
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tools clean
	-$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null
