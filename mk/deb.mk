# SPDX-License-Identifier: GPL-2.0-or-later
# deb.mk: Debian packages from debian/ (needs debhelper and dpkg-dev).
#   make deb        build the packages of debian/control (vtune-common, vtune,
#                   vtune-agent, vtune-hostd, vtune-hostd-kvm, vtune-hostd-xen)
#                   into $(B)/deb/ (dpkg-buildpackage writes them to ..; moved
#                   here), then runs lintian on them when it is installed
#   make deb-test   build, lintian, install with apt-get as a KVM host, a Xen
#                   dom0 and a guest would, check the files, the programs and
#                   the dependencies, purge, and check nothing is left (a few
#                   minutes; not part of `make test`)

DEB_VERSION = $(shell dpkg-parsechangelog -S Version 2>/dev/null)
DEB_ARCH    = $(shell dpkg --print-architecture 2>/dev/null)
DEB_PKGS    = $(shell sed -n 's/^Package: //p' debian/control)

.PHONY: deb deb-test deb-lintian
deb:
	@command -v dpkg-buildpackage >/dev/null && [ -x /usr/bin/dh ] || \
	  { echo "make deb: needs dpkg-dev and debhelper (apt-get install dpkg-dev debhelper)" >&2; exit 1; }
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES dpkg-buildpackage -us -uc -b
	@rm -rf $(B)/deb && mkdir -p $(B)/deb
	@# the packages, their debug symbols and the build records
	for p in $(DEB_PKGS); do \
	  for f in ../$${p}_$(DEB_VERSION)_$(DEB_ARCH).deb ../$${p}_$(DEB_VERSION)_all.deb \
	           ../$${p}-dbgsym_$(DEB_VERSION)_$(DEB_ARCH).deb; do \
	    [ ! -e $$f ] || mv $$f $(B)/deb/; done; done
	for f in ../vtune_$(DEB_VERSION)_$(DEB_ARCH).buildinfo ../vtune_$(DEB_VERSION)_$(DEB_ARCH).changes; do \
	  [ ! -e $$f ] || mv $$f $(B)/deb/; done
	@# leave debian/ as it was (debian/build, debian/tmp, the package trees)
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES debian/rules clean > /dev/null
	@ls -l $(B)/deb/*.deb
	$(MAKE) --no-print-directory B=$(B) deb-lintian

# lintian on the built packages: errors fail, warnings are printed.
deb-lintian:
	@if command -v lintian >/dev/null; then \
	  echo "lintian $(B)/deb/*.deb"; \
	  lintian --fail-on error $(B)/deb/*.deb > $(B)/deb/lintian.log 2>&1; rc=$$?; \
	  cat $(B)/deb/lintian.log; \
	  [ $$rc = 0 ] || { echo "make deb: lintian reports errors (lintian -i for details)" >&2; exit 1; }; \
	else echo "note: lintian not installed (scripts/install-deps installs it)"; fi

deb-test: deb
	sh debian/deb-test $(B)/deb
