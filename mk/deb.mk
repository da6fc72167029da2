# deb.mk: Debian packages from debian/ (needs debhelper and dpkg-dev).
#   make deb        build vtune-common, vtune-agent and vtune-hostd .debs into
#                   $(B)/deb/ (dpkg-buildpackage writes them to ..; moved here)
#   make deb-test   build, install all three with apt-get, check the files and
#                   the programs, purge, and check nothing is left (about a
#                   minute; not part of `make test`)

DEB_VERSION = $(shell dpkg-parsechangelog -S Version 2>/dev/null)
DEB_ARCH    = $(shell dpkg --print-architecture 2>/dev/null)

.PHONY: deb deb-test
deb:
	@command -v dpkg-buildpackage >/dev/null && [ -x /usr/bin/dh ] || \
	  { echo "make deb: needs dpkg-dev and debhelper (apt-get install dpkg-dev debhelper)" >&2; exit 1; }
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES dpkg-buildpackage -us -uc -b
	@mkdir -p $(B)/deb
	mv ../vtune-common_$(DEB_VERSION)_all.deb ../vtune-agent_$(DEB_VERSION)_$(DEB_ARCH).deb \
	   ../vtune-hostd_$(DEB_VERSION)_$(DEB_ARCH).deb $(B)/deb/
	@# the debug symbols and the build records, when made
	for f in ../vtune-agent-dbgsym_$(DEB_VERSION)_$(DEB_ARCH).deb \
	         ../vtune-hostd-dbgsym_$(DEB_VERSION)_$(DEB_ARCH).deb \
	         ../vtune_$(DEB_VERSION)_$(DEB_ARCH).buildinfo \
	         ../vtune_$(DEB_VERSION)_$(DEB_ARCH).changes; do \
	  [ ! -e $$f ] || mv $$f $(B)/deb/; done
	@# leave debian/ as it was (debian/build, debian/tmp, the package trees)
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES debian/rules clean > /dev/null
	@ls -l $(B)/deb/*.deb

deb-test: deb
	sh debian/deb-test $(B)/deb
