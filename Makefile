# repaird: plain GNU make. `make check` and `make run` install what a fresh
# Debian machine lacks (see `deps`) and then build.

VERSION     := 0.1.0
PREFIX      ?= /usr/local
DESTDIR     ?=
SBINDIR     ?= $(PREFIX)/sbin
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
SYSCONFDIR  ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR      ?= $(PREFIX)/share/doc/repaird

CC          ?= cc
B           := build

# Debian packages the build, the tests and `make run` need.
DEB_PKGS    := make gcc pkg-config libevent-dev libhiredis-dev libyaml-dev check \
               libsystemd-dev libssl-dev redis-server redis-tools systemd groff-base man-db \
               openssl strace tmux jq python3-redis nodejs $(NPM_PKG) \
               python3-prometheus-client
# test_it_clients runs redis-py and node-redis; npm comes with some nodejs builds
# (NodeSource's), which conflict with Debian's npm package: only when missing.
NPM_PKG     := $(if $(shell command -v npm 2>/dev/null),,npm)
LINT_PKGS   := clang-format cppcheck

CORE_PKGS   := yaml-0.1 libcrypto
SHELL_PKGS  := libevent hiredis libsystemd libcrypto libevent_openssl libssl
# Recursive (=) so that pkg-config runs after `deps` has installed the packages.
# Library headers as system headers: their own warnings are not ours.
PKG_CFLAGS   = $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(CORE_PKGS) $(SHELL_PKGS) check 2>/dev/null))
CORE_LIBS    = $(shell pkg-config --libs $(CORE_PKGS) 2>/dev/null)
SHELL_LIBS   = $(shell pkg-config --libs $(SHELL_PKGS) 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

WARN        := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wstrict-prototypes \
               -Wmissing-prototypes -Wvla
CFLAGS      ?= -O2 -g
# The boundary is the include path: the core sees only include/ (its own headers);
# the daemon shell adds daemon/, the client client/. A core file that reached for a
# shell header would not compile.
ALL_CFLAGS   = -std=c11 -D_GNU_SOURCE -DREPAIRD_VERSION='"$(VERSION)"' -Iinclude $(LAYER_INC) \
               $(WARN) $(if $(WERROR),-Werror) $(SAN) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS  = $(SAN) $(LDFLAGS)
ifdef SANITIZE
SAN         := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CORE_SRCS   := $(wildcard daemon/core/*.c)
DAEMON_SRCS := $(wildcard daemon/*.c)
CLIENT_SRCS := $(wildcard client/*.c)
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
INTEG_SRCS  := $(wildcard tests/integration/test_*.c)
INTEG_LIB   := $(filter-out $(INTEG_SRCS),$(wildcard tests/integration/*.c))

CORE_OBJS   := $(CORE_SRCS:%.c=$(B)/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(B)/%.o)
CLIENT_OBJS := $(CLIENT_SRCS:%.c=$(B)/%.o)
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
INTEG_BINS  := $(INTEG_SRCS:tests/integration/%.c=$(B)/tests/%)
LIBCORE     := $(B)/libcore.a

REPAIRD     := $(B)/repaird
REPAIRCTL   := $(B)/repairctl
PROGRAMS    := $(REPAIRD) $(if $(CLIENT_SRCS),$(REPAIRCTL))

.PHONY: bench all check check-run unit unit-sanitize integration run install uninstall clean lint deps format
.DEFAULT_GOAL := all

all: $(PROGRAMS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(DAEMON_OBJS) $(INTEG_LIB:%.c=$(B)/%.o): LAYER_INC := -Idaemon
$(CLIENT_OBJS) $(B)/tests/unit/test_repairctl_format.o: LAYER_INC := -Iclient

$(LIBCORE): $(CORE_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# -pthread: the journal's zeros are written ahead by a thread (daemon/prealloc.h).
$(REPAIRD): $(DAEMON_OBJS) $(LIBCORE)
	$(CC) $(ALL_LDFLAGS) -pthread -o $@ $(DAEMON_OBJS) $(LIBCORE) $(SHELL_LIBS) $(CORE_LIBS) -lm

$(REPAIRCTL): $(CLIENT_OBJS) $(LIBCORE)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLIENT_OBJS) $(LIBCORE) $(SHELL_LIBS) $(CORE_LIBS) -lm

# Unit tests may read the configuration's files through the shell's reader
# (config_load, config_parse), which needs nothing but the core and libc.
CONFIG_FILE_OBJ = $(B)/daemon/config-file.o

$(B)/tests/%: $(B)/tests/unit/%.o $(LIBCORE) $(CONFIG_FILE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(CONFIG_FILE_OBJ) $(LIBCORE) $(CHECK_LIBS) $(CORE_LIBS) -lm

$(B)/tests/test_it_%: $(B)/tests/integration/test_it_%.o $(INTEG_LIB:%.c=$(B)/%.o) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(SHELL_LIBS) $(CORE_LIBS) -lm

# ---- tests -----------------------------------------------------------------

# `make check` runs everything side by side: the unit suites, the same under the
# sanitizers (a second build in $(B)/san), and each integration suite as a target
# of its own (it-daemon, it-journal, ...: `make it-daemon` runs one). A suite's
# output goes to $(B)/tests/<suite>.log: on success only Check's closing line is
# shown, on failure the whole log. Any suite failing fails the whole; -k lets the
# others finish first, so one run names every failing suite.
CHECK_JOBS  ?= 8
check: deps
	@$(MAKE) --no-print-directory -k $(if $(filter -j%,$(MAKEFLAGS)),,-j$(CHECK_JOBS)) check-run

check-run: unit unit-sanitize integration
	@echo "make check: all suites passed"

# The pure core once more under AddressSanitizer and UndefinedBehaviorSanitizer.
unit-sanitize:
	@$(MAKE) --no-print-directory B=$(B)/san SANITIZE=1 unit

# One line a suite (Check's closing line); a failing suite's whole output.
unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do \
		if out=$$(CK_DEFAULT_TIMEOUT=60 ./$$t 2>&1); then \
			echo "== $$t: $$(echo "$$out" | grep 'Checks:')"; \
		else echo "== $$t FAILED; its output:"; echo "$$out"; fail=1; fi; done; \
	exit $$fail

INTEG_RUNS  := $(INTEG_SRCS:tests/integration/test_it_%.c=it-%)
.PHONY: $(INTEG_RUNS)
integration: $(INTEG_RUNS)

# MAKEFLAGS is emptied: the ops suite runs `make install`, which must not look for
# this make's job slots.
$(INTEG_RUNS): it-%: $(B)/tests/test_it_% $(PROGRAMS)
	@log=$(B)/tests/test_it_$*.log; t0=$$(date +%s%N); \
	if MAKEFLAGS= REPAIRD_BIN=$(abspath $(REPAIRD)) REPAIRCTL_BIN=$(abspath $(REPAIRCTL)) \
		REPAIRD_SRC=$(CURDIR) CK_DEFAULT_TIMEOUT=120 ./$< >$$log 2>&1; then \
		echo "== it-$*: $$(grep -h 'Checks:' $$log) ($$(( ($$(date +%s%N) - t0) / 1000000 )) ms)"; \
	else echo "== it-$* FAILED; its output ($$log):"; cat $$log; exit 1; fi

# Objects made on the way to a test binary are kept: a second `make check` builds nothing.
.SECONDARY:

# Side by side with redis-server; prints throughput, ratios, memory per ticket, replay time.
# Not part of `make check`: speed is measured here, never asserted in tests.
bench: deps
	@$(MAKE) --no-print-directory $(REPAIRD)
	REPAIRD_BIN=$(abspath $(REPAIRD)) tests/bench/bench.sh
	REPAIRD_BIN=$(abspath $(REPAIRD)) tests/bench/fairness.sh

# libFuzzer harnesses (tests/fuzz/): the request parser with dispatch, the config
# parser (the core alone, files from memory) and the TZif parser with calendars.
# Built with clang from objects of their own (build/fuzz/obj/), linked against an
# archive of them so that each takes only what it calls (fuzz_config and fuzz_tzif
# no engine); then each runs FUZZ_SECONDS on build/fuzz/corpus-*/ (the seeds, plus
# what earlier runs found); crashes are left as build/fuzz/crash-*. Not part of
# `make check`.
FUZZ_PKGS    := clang libclang-rt-14-dev
FUZZ_SECONDS ?= 60
FUZZ_CC      := clang
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined -g -O1
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -DREPAIRD_VERSION='"$(VERSION)"' -Iinclude -Idaemon $(WARN) \
               $(if $(WERROR),-Werror) $(PKG_CFLAGS) $(FUZZ_SAN) -MMD -MP
FUZZ_OBJS   := $(patsubst %.c,$(B)/fuzz/obj/%.o,$(CORE_SRCS) $(filter-out daemon/main.c,$(DAEMON_SRCS)))
FUZZ_LIB    := $(B)/fuzz/libfuzzed.a
FUZZ_NAMES  := proto config tzif

.PHONY: fuzz
fuzz:
	@$(MAKE) --no-print-directory deps EXTRA_PKGS="$(FUZZ_PKGS)"
	@$(MAKE) --no-print-directory $(FUZZ_NAMES:%=$(B)/fuzz/fuzz_%)
	@set -e; for f in $(FUZZ_NAMES); do \
		mkdir -p $(B)/fuzz/corpus-$$f && cp tests/fuzz/corpus/$$f/* $(B)/fuzz/corpus-$$f/; \
		echo "== fuzz_$$f for $(FUZZ_SECONDS) s"; \
		REPAIRD_SRC=$(CURDIR) $(B)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) \
			-rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
			-artifact_prefix=$(B)/fuzz/ $(B)/fuzz/corpus-$$f; done

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_NAMES:%=$(B)/fuzz/fuzz_%): $(B)/fuzz/fuzz_%: $(B)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $< $(FUZZ_LIB) $(SHELL_LIBS) $(CORE_LIBS) -lm

# ---- running ---------------------------------------------------------------

# Builds both programs (repairctl is the other half of a first session), then serves in the foreground.
run: deps
	@$(MAKE) --no-print-directory $(PROGRAMS)
	@mkdir -p var
	./$(REPAIRD) --config conf/dev.yaml

# ---- installing ------------------------------------------------------------

# Everything `install` may put in place; `uninstall` removes these, never the configs.
INSTALLED    = $(SBINDIR)/repaird $(BINDIR)/repairctl \
               $(UNITDIR)/repaird.service $(UNITDIR)/repaird.socket \
               $(SYSUSERSDIR)/repaird.conf $(TMPFILESDIR)/repaird.conf \
               $(MANDIR)/man8/repaird.8 $(MANDIR)/man5/repaird.yaml.5 $(MANDIR)/man1/repairctl.1 \
               $(BASHCOMPDIR)/repairctl $(DOCS:docs/%=$(DOCDIR)/%)
DOCS         = $(wildcard docs/*.md)
# repaird.yaml may hold password hashes: root and the daemon's group only (systemd/repaird.sysusers).
CONF_GROUP  := repaird

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(SYSCONFDIR)/repaird
	install -m 0755 $(REPAIRD) $(DESTDIR)$(SBINDIR)/repaird
	$(if $(CLIENT_SRCS),install -d $(DESTDIR)$(BINDIR) && install -m 0755 $(REPAIRCTL) $(DESTDIR)$(BINDIR)/repairctl)
	@# The units name /usr/sbin and /etc; other prefixes get their own paths.
	for u in repaird.service repaird.socket; do \
		sed -e 's|/usr/sbin/repaird|$(SBINDIR)/repaird|g' \
		    -e 's|/etc/repaird/|$(SYSCONFDIR)/repaird/|g' systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u.tmp && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u; done
	install -m 0644 systemd/repaird.sysusers $(DESTDIR)$(SYSUSERSDIR)/repaird.conf
	install -m 0644 systemd/repaird.tmpfiles $(DESTDIR)$(TMPFILESDIR)/repaird.conf
	install -m 0644 man/repaird.8 $(DESTDIR)$(MANDIR)/man8/repaird.8
	install -m 0644 man/repaird.yaml.5 $(DESTDIR)$(MANDIR)/man5/repaird.yaml.5
	$(if $(wildcard man/repairctl.1),install -d $(DESTDIR)$(MANDIR)/man1 && install -m 0644 man/repairctl.1 $(DESTDIR)$(MANDIR)/man1/repairctl.1)
	$(if $(wildcard client/repairctl.bash-completion),install -d $(DESTDIR)$(BASHCOMPDIR) && install -m 0644 client/repairctl.bash-completion $(DESTDIR)$(BASHCOMPDIR)/repairctl)
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	@# Examples never overwrite an operator's config. repaird.yaml is 0640 root:$(CONF_GROUP);
	@# without that group (a DESTDIR staging tree, sysusers not run yet) or without root,
	@# it keeps the installer's owner and group, and says so.
	@if [ "$$(id -u)" = 0 ] && getent group $(CONF_GROUP) >/dev/null 2>&1; then \
		own="-o root -g $(CONF_GROUP)"; \
	else own=""; \
		if [ "$$(id -u)" = 0 ]; then why="there is no group $(CONF_GROUP) here"; else why="not root"; fi; \
		echo "note: $$why: repaird.yaml installed 0640 as $$(id -un):$$(id -gn);" \
		     "once the group exists (systemd-sysusers): chgrp $(CONF_GROUP) $(SYSCONFDIR)/repaird/repaird.yaml*"; fi; \
	for f in repaird.yaml products.yaml; do \
		mode=0644; opt=""; \
		if [ $$f = repaird.yaml ]; then mode=0640; opt="$$own"; fi; \
		dest=$(DESTDIR)$(SYSCONFDIR)/repaird/$$f; \
		if [ -e $$dest ]; then \
			echo "keeping existing $$dest; new one as $$f.example"; dest=$$dest.example; fi; \
		install -m $$mode $$opt conf/$$f $$dest || exit 1; done

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/repaird/ and the state in /var/lib/repaird"

clean:
	rm -rf $(B)

# ---- set-up and hygiene ----------------------------------------------------

# Installs only what is missing; does nothing (and needs no root) otherwise.
deps:
	@missing=""; for p in $(DEB_PKGS) $(EXTRA_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing$$missing"; \
		if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

LINT_SRCS = $(CORE_SRCS) $(DAEMON_SRCS) $(CLIENT_SRCS) $(wildcard include/*.h daemon/*.h client/*.h) $(UNIT_SRCS) \
            $(wildcard tests/integration/*.c tests/integration/*.h)

lint:
	@$(MAKE) --no-print-directory deps EXTRA_PKGS="$(LINT_PKGS)"
	clang-format --dry-run -Werror $(LINT_SRCS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--std=c11 --inline-suppr -Iinclude -Idaemon -Iclient -D__GNUC__ $(CORE_SRCS) $(DAEMON_SRCS) $(CLIENT_SRCS)

format:
	clang-format -i $(LINT_SRCS)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
