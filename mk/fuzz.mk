# mk/fuzz.mk - libFuzzer targets for every parser of outside input
# (tests/fuzz/fuzz_*.c; docs/reliability.md).  Included by the Makefile,
# which defines LIB_SRCS, PKG_CFLAGS, PKG_LIBS, WARN, Q and say.
#
#   make fuzz                 builds, then runs each target FUZZ_SECONDS
#                             (default 60) from its seed corpus
#   make fuzz FUZZ_TARGETS=jsonl FUZZ_SECONDS=600   one target, longer
#   make fuzz-regress         replays the seed corpora and the saved crash
#                             inputs once (seconds; what CI and make test run)
#   make fuzz-build           only builds build-fuzz/bin/fuzz_<target>
#
# Builds with clang -fsanitize=fuzzer,address,undefined into FUZZ_BUILD
# (default build-fuzz/), apart from the gcc build.  Seeds live in
# tests/fuzz/corpus/<target>/ (committed, small); what the fuzzer finds
# goes to FUZZ_BUILD/corpus/<target>/ and crash inputs to
# FUZZ_BUILD/crashes/<target>/ (never committed: minimise a crash, fix it,
# then add it to the seeds so fuzz-regress keeps replaying it).
# Guarded, so `make -f Makefile -f mk/fuzz.mk` works whether or not the
# Makefile includes this file.

ifndef RNNPIPE_FUZZ_MK
RNNPIPE_FUZZ_MK := 1

FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?= -rss_limit_mb=2048 -timeout=20 -max_len=65536
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -pthread -Icommon -Ikernels -Itests \
                -Itests/fuzz $(PKG_CFLAGS) $(FUZZ_SAN)

FUZZ_ALL     := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_LIB     := $(FUZZ_BUILD)/lib/librnnpipe-fuzz.a
FUZZ_BINS    := $(FUZZ_ALL:%=$(FUZZ_BUILD)/bin/fuzz_%)
# The sanitizer options every run uses: a report is fatal, leaks count.
FUZZ_ENV     := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=1 \
                UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

.PHONY: fuzz fuzz-build fuzz-regress
fuzz-build: $(FUZZ_BINS)

FUZZ_FLAGS_LINE := $(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_LIBS)
$(FUZZ_BUILD)/flags.stamp: $(if $(call memo_stale,$(FUZZ_BUILD)/flags.stamp,$(FUZZ_FLAGS_LINE)),FORCE)
	@mkdir -p $(@D)
	@echo '$(FUZZ_FLAGS_LINE)' > $@

# The library is built with coverage hooks (fuzzer-no-link) so the fuzzer
# sees into it; the targets link libFuzzer's main.
$(FUZZ_BUILD)/obj/%.o: %.c $(FUZZ_BUILD)/flags.stamp
	@mkdir -p $(@D)
	$(call say,FUZZCC,$<)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@mkdir -p $(@D)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcsD $@ $^

$(FUZZ_BINS): $(FUZZ_BUILD)/bin/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) $(FUZZ_BUILD)/flags.stamp
	@mkdir -p $(@D)
	$(call say,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -MF $(FUZZ_BUILD)/obj/$(@F).d \
		-o $@ $< $(FUZZ_LIB) $(PKG_LIBS)

# Each target in turn, FUZZ_SECONDS each; a crash stops the run (its input
# is under FUZZ_BUILD/crashes/<target>/).  The summary line per target is
# libFuzzer's last status line (executions, coverage, corpus).
fuzz: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/bin/fuzz_%)
	$(Q)for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/crashes/$$t $(FUZZ_BUILD)/logs; \
		log=$(FUZZ_BUILD)/logs/$$t.log; \
		printf '  %-7s %s (%ss, log %s)\n' FUZZ $$t $(FUZZ_SECONDS) $$log; \
		$(FUZZ_ENV) SHARED=$${SHARED:-$(CURDIR)/../shared} $(FUZZ_BUILD)/bin/fuzz_$$t \
			$(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 -close_fd_mask=3 \
			-artifact_prefix=$(FUZZ_BUILD)/crashes/$$t/ \
			$(if $(wildcard tests/fuzz/$$t.dict),-dict=tests/fuzz/$$t.dict) \
			$(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t >$$log 2>&1; \
		rc=$$?; grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' $$log | tail -n 1; \
		grep -E '^stat::number_of_executed_units' $$log | sed 's/^/          /'; \
		if [ $$rc -ne 0 ]; then echo "  fuzz_$$t FAILED (exit $$rc): see $$log"; \
			grep -m3 -E 'ERROR|SUMMARY|runtime error' $$log; exit 1; fi; \
	done

# Replays every seed and saved input once per target, with the sanitizers:
# any report or crash fails.  Uses the full vocabulary only when $SHARED
# has it, like the tests.
fuzz-regress: $(FUZZ_BINS)
	$(Q)for t in $(FUZZ_ALL); do \
		files=$$(find tests/fuzz/corpus/$$t -type f | sort); \
		[ -n "$$files" ] || { echo "fuzz-regress: no seeds for $$t"; exit 1; }; \
		mkdir -p $(FUZZ_BUILD)/logs; log=$(FUZZ_BUILD)/logs/regress-$$t.log; \
		if $(FUZZ_ENV) $(FUZZ_BUILD)/bin/fuzz_$$t -error_exitcode=1 -timeout_exitcode=1 \
			-timeout=30 -rss_limit_mb=2048 $$files >$$log 2>&1; then \
			printf '  %-7s %-10s %3d inputs ok\n' REGRESS $$t $$(echo "$$files" | wc -l); \
		else \
			echo "fuzz-regress: fuzz_$$t failed, log $$log"; \
			grep -m5 -E 'ERROR|SUMMARY|runtime error|Running' $$log | tail -n 5; exit 1; \
		fi; \
	done

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_ALL:%=$(FUZZ_BUILD)/obj/fuzz_%.d)

endif
