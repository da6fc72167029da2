# SPDX-License-Identifier: GPL-2.0-or-later
# install.mk: `make install` / `make uninstall`, honouring PREFIX and DESTDIR.
#   make install                          # under /usr/local, config in /etc
#   make install PREFIX=/usr DESTDIR=/tmp/root
# The policy file goes to $(SYSCONFDIR)/vtune/policies.yaml only when there is
# none: an administrator's file is never overwritten (the pristine copy is
# always installed as $(DATADIR)/vtune/policies/default.yaml).

BINDIR        ?= $(PREFIX)/bin
SBINDIR       ?= $(PREFIX)/sbin
DATADIR       ?= $(PREFIX)/share
MANDIR        ?= $(DATADIR)/man
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
# systemd looks in /lib/systemd/system (Debian 12 packages put units there)
# and in /usr/local/lib/systemd/system for a local install.
ifeq ($(PREFIX),/usr)
UNITDIR       ?= /lib/systemd/system
else
UNITDIR       ?= $(PREFIX)/lib/systemd/system
endif

# sysusers.d(5): the user vtune-hostd's daemon process runs as.
SYSUSERSDIR   ?= $(PREFIX)/lib/sysusers.d

INSTALL       ?= install
UNITS         := vtune-hostd.service vtune-agent.service vtune-agent-once.service
MAN5          := $(wildcard man/*.5)
MAN8          := $(wildcard man/*.8)
CONTRIB_MON   := $(wildcard contrib/prometheus/*.yml contrib/grafana/*.json)
CONTRIB_MON_INSTALLED := $(foreach f,$(CONTRIB_MON),$(subst /,-,$(patsubst contrib/%,%,$(f))))
POLICY_ETC    := $(DESTDIR)$(SYSCONFDIR)/vtune/policies.yaml
POLICY_SHARE  := $(DESTDIR)$(DATADIR)/vtune/policies/default.yaml

# The units get their @...@ placeholders filled in for this PREFIX while
# being installed (never cached in $(B): PREFIX may differ from one install to
# the next).
UNIT_SED := -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
            -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@STATEDIR@|$(STATEDIR)|g' \
            -e 's|@VERSION@|$(VERSION)|g'

.PHONY: programs install uninstall
# The three programs alone, without the unit tests (`all` builds those too).
programs: $(B)/vtune $(B)/vtune-agent $(B)/vtune-hostd $(MODULES)

install: $(B)/vtune $(B)/vtune-agent $(B)/vtune-hostd $(MODULES)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(COMPLETIONDIR) \
	  $(DESTDIR)$(DATADIR)/vtune/policies $(DESTDIR)$(DATADIR)/vtune/contrib \
	  $(DESTDIR)$(SYSCONFDIR)/vtune $(DESTDIR)$(SYSUSERSDIR)
	$(INSTALL) -m 0755 $(B)/vtune $(B)/vtune-agent $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0755 $(B)/vtune-hostd $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -d $(DESTDIR)$(BACKENDDIR)
	$(INSTALL) -m 0644 $(MODULES) $(DESTDIR)$(BACKENDDIR)/
	$(INSTALL) -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	@for u in $(UNITS); do \
	  echo "sed ... systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u"; \
	  sed $(UNIT_SED) systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u.tmp && \
	  if grep -n '@[A-Z_]*@' $(DESTDIR)$(UNITDIR)/$$u.tmp; then \
	    echo "systemd/$$u: placeholder left" >&2; rm -f $(DESTDIR)$(UNITDIR)/$$u.tmp; exit 1; fi && \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && \
	  mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	$(INSTALL) -m 0644 systemd/vtune.sysusers $(DESTDIR)$(SYSUSERSDIR)/vtune.conf
	@# a local install makes the user now (the Debian package: its postinst)
	@if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
	  echo "systemd-sysusers $(SYSUSERSDIR)/vtune.conf"; systemd-sysusers $(SYSUSERSDIR)/vtune.conf; fi
	$(INSTALL) -m 0644 contrib/bash-completion/vtune $(DESTDIR)$(COMPLETIONDIR)/vtune
	ln -sf vtune $(DESTDIR)$(COMPLETIONDIR)/vtune-agent
	ln -sf vtune $(DESTDIR)$(COMPLETIONDIR)/vtune-hostd
	$(INSTALL) -m 0644 policies/default.yaml $(POLICY_SHARE)
	@if [ -e $(POLICY_ETC) ]; then \
	  echo "  keeping $(POLICY_ETC) (the new default is $(POLICY_SHARE))"; \
	else \
	  echo "$(INSTALL) -m 0644 policies/default.yaml $(POLICY_ETC)"; \
	  $(INSTALL) -m 0644 policies/default.yaml $(POLICY_ETC); \
	fi
	$(INSTALL) -m 0755 contrib/libvirt-hook/qemu $(DESTDIR)$(DATADIR)/vtune/contrib/libvirt-hook-qemu
	$(INSTALL) -m 0644 contrib/cloud-init/vtune-agent.yaml $(DESTDIR)$(DATADIR)/vtune/contrib/
	@# the Prometheus scrape configuration (and rules) and the Grafana
	@# dashboard vtune-hostd(8) names: prometheus-NAME.yml, grafana-NAME.json
	@for f in $(CONTRIB_MON); do \
	  t=$$(echo $$f | sed 's|contrib/\([a-z]*\)/|\1-|'); \
	  echo "$(INSTALL) -m 0644 $$f $(DESTDIR)$(DATADIR)/vtune/contrib/$$t"; \
	  $(INSTALL) -m 0644 $$f $(DESTDIR)$(DATADIR)/vtune/contrib/$$t || exit 1; done
	$(INSTALL) -d -m 0700 $(DESTDIR)$(STATEDIR)/vtune
	@# /run/vtune is made by systemd (RuntimeDirectory=vtune) at each start.

# Removes what install put there. Kept: the journals in $(STATEDIR)/vtune
# (`vtune revert` needs them) and $(SYSCONFDIR)/vtune/policies.yaml when an
# administrator changed it.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vtune $(DESTDIR)$(BINDIR)/vtune-agent \
	  $(DESTDIR)$(SBINDIR)/vtune-hostd $(addprefix $(DESTDIR)$(BACKENDDIR)/,$(notdir $(MODULES))) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8))) \
	  $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) $(DESTDIR)$(SYSUSERSDIR)/vtune.conf \
	  $(DESTDIR)$(COMPLETIONDIR)/vtune $(DESTDIR)$(COMPLETIONDIR)/vtune-agent \
	  $(DESTDIR)$(COMPLETIONDIR)/vtune-hostd \
	  $(DESTDIR)$(DATADIR)/vtune/contrib/libvirt-hook-qemu \
	  $(DESTDIR)$(DATADIR)/vtune/contrib/vtune-agent.yaml \
	  $(addprefix $(DESTDIR)$(DATADIR)/vtune/contrib/,$(CONTRIB_MON_INSTALLED))
	@if [ -f $(POLICY_ETC) ] && [ -f $(POLICY_SHARE) ] && cmp -s $(POLICY_ETC) $(POLICY_SHARE); then \
	  echo "rm -f $(POLICY_ETC)"; rm -f $(POLICY_ETC); \
	elif [ -f $(POLICY_ETC) ]; then \
	  echo "  keeping $(POLICY_ETC): changed by the administrator"; \
	fi
	rm -f $(POLICY_SHARE)
	rmdir $(DESTDIR)$(BACKENDDIR) $(DESTDIR)$(LIBDIR)/vtune 2>/dev/null || true
	rmdir $(DESTDIR)$(DATADIR)/vtune/policies $(DESTDIR)$(DATADIR)/vtune/contrib \
	  $(DESTDIR)$(DATADIR)/vtune $(DESTDIR)$(SYSCONFDIR)/vtune 2>/dev/null || true
	rmdir $(DESTDIR)$(STATEDIR)/vtune 2>/dev/null || \
	  echo "  keeping $(DESTDIR)$(STATEDIR)/vtune: it holds journals (vtune revert --all first)"
