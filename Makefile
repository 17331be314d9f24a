# SPDX-License-Identifier: GPL-2.0
#
# goalloc: out-of-tree module build, plus the project's test harness.
#
#   make                      build goalloc.ko (and the KUnit modules when the
#                             kernel has CONFIG_KUNIT) against KDIR
#   make KDIR=/path/to/build  build against another kernel tree or headers
#   make examples             build the example consumer against Module.symvers
#   make install              modules_install into the running kernel's tree
#   make dkms-install         install with DKMS: goalloc.ko is rebuilt for
#                             every kernel installed later (dkms.conf)
#   make check                the full test run (see README.md)
#   make demo                 boot the test kernel and show goalloc at work

KDIR ?= /lib/modules/$(shell uname -r)/build

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

examples: modules
	$(MAKE) -C examples KDIR=$(KDIR) GOALLOC=$(CURDIR) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C examples KDIR=$(KDIR) clean

sizeclasses:
	python3 scripts/gen-sizeclasses.py > goalloc_sizeclasses.h

# DKMS: the sources goalloc.ko builds from (dkms.conf builds it alone), in
# DKMS's source tree, then "dkms add" and "dkms install".
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(CURDIR)/dkms.conf)
DKMS_SRC ?= /usr/src/goalloc-$(DKMS_VERSION)

dkms-src:
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)/scripts
	cp Kbuild Makefile dkms.conf goalloc.h goalloc_*.c goalloc_*.h $(DKMS_SRC)/
	cp scripts/dkms-symvers.sh $(DKMS_SRC)/scripts/

dkms-install: dkms-src
	dkms add goalloc/$(DKMS_VERSION)
	dkms install goalloc/$(DKMS_VERSION)

dkms-uninstall:
	dkms remove goalloc/$(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)

.PHONY: modules examples install clean sizeclasses dkms-src dkms-install dkms-uninstall

# Test harness (scripts/*.sh --help for details). Kernels, logs and module
# builds for these go to build/, which git ignores.
#   make check CHECK_SKIP_DEBUG=1 CHECK_SKIP_DISTRO=1   quicker iterations
check:
	@bash scripts/check.sh

demo:
	@bash scripts/demo.sh

kernels:
	@bash scripts/build-kernel.sh test
	@bash scripts/build-kernel.sh debug

.PHONY: check demo kernels

# Benchmarks against kmalloc in QEMU guests; writes results/ (ignored by git).
# See scripts/bench.sh --help (--kernel tiny: on tinyconfig's -Os build).
bench:
	scripts/bench.sh
	scripts/bench.sh --distro amd64 --only icount --out results/distro-amd64 --timeout 1800

.PHONY: bench

# Long stress run in QEMU guests: scripts/stress.sh --help.
#   make stress STRESS_DURATION=10m [STRESS_DEBUG=1]
stress:
	@bash scripts/stress.sh

.PHONY: stress
