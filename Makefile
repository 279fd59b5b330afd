# rnnpipe - one Makefile for the programs and for the pipeline they run.
#
#   make                 build the programs into build/bin/
#   make all             build, then run every stage on DATA (the demo dump by
#                        default) and write reports/report.html
#   make test            build and run the tests (tests/run.sh)
#   make V=1             show full commands
#
# What a rebuilt program means for its artifacts: every artifact depends on
# a stamp of its program's code (artifacts/stamps/<prog>.sum, beside the
# artifacts it vouches for, so `make clean` does not lose it; symbols and
# debug information left out), rewritten only when the linked binary's code
# changes.  Rebuilding a program into the same code (after `make clean`
# too, CUDA objects included) re-runs nothing, and `make -q` / `make -n`
# then say there is nothing to do; a program whose code changed re-runs its
# stage and what follows.  Goals that reach a stage build the programs
# first (then make reads the Makefile again); details in mk/code.mk.
# Parameters are dependencies the same way (artifacts/params/).

.DELETE_ON_ERROR:
.SUFFIXES:
SHELL := /bin/bash

BUILD   ?= build
BIN     := $(BUILD)/bin
CC      ?= cc
CFLAGS  ?= -O2 -g
LDFLAGS ?=
V       ?= 0
SANITIZE ?=

Q := $(if $(filter 1,$(V)),,@)
say = $(if $(filter 1,$(V)),,@printf '  %-7s %s\n' '$(1)' '$(2)';)

# ---- libraries (pkg-config) ----
# the pkg-config names of the libraries (one list, also read by the scripts
# that link the library by hand: tests/e2e/cuda*_emu.sh, bench/gpu-prepare.sh)
PKGS := $(file < mk/pkgs)
# the Debian package of each (scripts/setup installs them all)
deb_pkg = $(or $(deb_$(1)),lib$(1)-dev)
deb_libutf8proc := libutf8proc-dev
deb_zlib := zlib1g-dev
deb_hdf5 := libhdf5-dev
# Goals that compile nothing need no library: `make clean` on a machine
# without them (or before scripts/setup) worked only with them installed.
NO_LIB_GOALS := clean distclean help-pipeline print-pipeline-vars
ifneq ($(filter-out $(NO_LIB_GOALS),$(or $(MAKECMDGOALS),build)),)
HAVE_PKG_CONFIG := $(if $(shell command -v pkg-config 2>/dev/null),1,0)
MISSING_PKGS := $(strip $(foreach p,$(PKGS),$(if $(shell pkg-config --exists $(p) 2>/dev/null && echo y),,$(p))))
HAVE_LIBCSV := $(if $(wildcard /usr/include/csv.h),1,0)
MISSING_DEBS := $(if $(filter 0,$(HAVE_PKG_CONFIG)),pkg-config) \
	$(foreach p,$(MISSING_PKGS),$(call deb_pkg,$(p))) $(if $(filter 0,$(HAVE_LIBCSV)),libcsv-dev)
ifneq ($(strip $(MISSING_DEBS)),)
MISSING_LIBS := $(if $(filter 0,$(HAVE_PKG_CONFIG)),pkg-config (pkg-config; it finds the other \
	libraries),$(foreach p,$(MISSING_PKGS),$(p) ($(call deb_pkg,$(p))))) \
	$(if $(filter 0,$(HAVE_LIBCSV)),libcsv (libcsv-dev))
PC_NOTE := $(if $(and $(MISSING_PKGS),$(filter 1,$(HAVE_PKG_CONFIG))),; pkg-config found no .pc \
	file$(if $(PKG_CONFIG_PATH), (PKG_CONFIG_PATH=$(PKG_CONFIG_PATH))))
$(info missing build dependencies: $(strip $(MISSING_LIBS))$(PC_NOTE))
$(info install them with: scripts/setup (as root), or: sudo apt-get install -y $(strip $(MISSING_DEBS)))
$(error missing build dependencies)
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -lcsv -lpthread -lm
endif

# ---- CUDA (optional) ----
NVCC ?= $(firstword $(shell command -v nvcc 2>/dev/null) $(wildcard /usr/local/cuda/bin/nvcc))
ifeq ($(NVCC),)
HAVE_CUDA ?= 0
CUDA_OFF := not found
else
HAVE_CUDA ?= 1
endif
ifeq ($(HAVE_CUDA),1)
# native = the GPU of this machine; with none visible nvcc would fall back
# to its default with a warning, so build for Hopper (H100/H200) instead.
CUDA_ARCH ?= $(if $(shell nvidia-smi -L 2>/dev/null | grep -m1 GPU),native,sm_90)
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
NVCC_VERSION := $(shell $(NVCC) --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p')
NVCCFLAGS ?= -O3 -lineinfo
CUDA_LIBS := -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart -lstdc++
CUDA_DEFS := -DRNNPIPE_CUDA=1
$(if $(MAKE_RESTARTS),,$(info CUDA: nvcc $(NVCC_VERSION), arch $(CUDA_ARCH) (override: CUDA_ARCH=sm_XX, HAVE_CUDA=0)))
else
# (nvcc there, HAVE_CUDA=0 given: not "not found")
$(if $(MAKE_RESTARTS),,$(info CUDA: $(or $(CUDA_OFF),off (HAVE_CUDA=$(HAVE_CUDA)$(if $(NVCC),; nvcc is $(NVCC)))), CPU only$(if $(CUDA_OFF), (HAVE_CUDA=0))))
endif

WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(CFLAGS) $(WARN) -pthread -Icommon -Ikernels -Itests \
              $(PKG_CFLAGS) $(CUDA_DEFS) $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer)
ALL_LDFLAGS := $(LDFLAGS) -pthread $(if $(SANITIZE),-fsanitize=$(SANITIZE))
LIBS := $(PKG_LIBS) $(CUDA_LIBS)

# ---- sources ----
LIB_SRCS  := $(wildcard common/*.c) $(wildcard kernels/*.c)
CUDA_SRCS := $(if $(filter 1,$(HAVE_CUDA)),$(wildcard kernels/*.cu))
STAGE_SRCS := $(wildcard stages/*.c)
TEST_SRCS := $(wildcard tests/unit/test_*.c)

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(CUDA_SRCS:%.cu=$(BUILD)/obj/%.o)
LIB       := $(BUILD)/lib/librnnpipe.a
PROGS     := $(STAGE_SRCS:stages/%.c=$(BUILD)/bin/%)
TESTS     := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: build test clean distclean FORCE
.DEFAULT_GOAL := build
build: $(PROGS)

# A memo file holds a text (the flags line, a stage's parameters) and is
# rewritten only when the text changes: its date is what make compares.
# Whether it would change is decided here, as make reads the Makefile, so
# that `make -n` and `make -q` tell the truth and write nothing: a memo
# whose text differs, or that is missing, is the one that gets FORCE.
# shq: a value as one shell word, whatever quotes it holds ('it'\''s')
shq = '$(subst ','\'',$(1))'
same_text = $(and $(findstring x$(1),x$(2)),$(findstring x$(2),x$(1)))
memo_stale = $(if $(call same_text,$(strip $(file < $(1))),$(strip $(2))),,$(1))

# A changed compiler, flag or CUDA arch rebuilds everything.
FLAGS_LINE := $(CC) $(ALL_CFLAGS) | $(NVCC) $(NVCCFLAGS) $(CUDA_ARCH) | $(ALL_LDFLAGS) $(LIBS)
$(BUILD)/flags.stamp: $(if $(call memo_stale,$(BUILD)/flags.stamp,$(FLAGS_LINE)),FORCE)
	@mkdir -p $(@D)
	@echo '$(FLAGS_LINE)' > $@

$(BUILD)/obj/%.o: %.c $(BUILD)/flags.stamp
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.cu $(BUILD)/flags.stamp
	@mkdir -p $(@D)
	$(call say,NVCC,$<)
	$(Q)$(NVCC) $(NVCCFLAGS) -arch=$(CUDA_ARCH) -std=c++17 -Icommon -Ikernels -Itests \
		$(CUDA_DEFS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcsD $@ $^

$(PROGS): $(BUILD)/bin/%: $(BUILD)/obj/stages/%.o $(LIB)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(LIBS)

$(TESTS): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(LIBS) -lcmocka

# test_oom_hdf5 forks for each of its 20,000 runs: the model API of a build
# without CUDA, linked ahead of the library, keeps the CUDA libraries out
# of it (their 130 MB of written pages made each fork 3 ms dearer).
NOCUDA_OBJ := $(BUILD)/obj/tests/nocuda/rnn_cuda_absent.o
$(NOCUDA_OBJ): kernels/rnn_cuda_absent.c $(BUILD)/flags.stamp
	@mkdir -p $(@D)
	$(call say,CC,$< (no CUDA))
	$(Q)$(CC) $(filter-out $(CUDA_DEFS),$(ALL_CFLAGS)) -MMD -MP -c $< -o $@
$(BUILD)/tests/test_oom_hdf5: $(NOCUDA_OBJ)

test: build $(TESTS)
	$(Q)BUILD=$(BUILD) tests/run.sh

clean:
	rm -rf $(BUILD)

# distclean: clean, then what the pipeline writes under $(ART) and
# $(REPORTS) (bench/run's reports too), and nothing else there: with
# ART=DIR it removes make's files from DIR, not DIR's other files.  The
# nightly runs stay: runs/ and their index, $(ART)/history.jsonl.
ART_OUTPUTS = checkpoint.h5 dataset.h5 merged.tok metrics.json model.h5 params \
	predictions.tsv split stamps stats timeseries tok train-log.jsonl train.json vocab.txt
REPORT_OUTPUTS = report.html report.md timeseries.html bench.json bench.md
distclean: clean
	rm -rf $(addprefix $(ART)/,$(ART_OUTPUTS)) $(TS_DIR) $(TS_REPORT) \
		$(addprefix $(REPORTS)/,$(REPORT_OUTPUTS))

-include $(LIB_OBJS:.o=.d) $(PROGS:$(BUILD)/bin/%=$(BUILD)/obj/stages/%.d) \
	$(TESTS:$(BUILD)/tests/%=$(BUILD)/obj/tests/unit/%.d) $(NOCUDA_OBJ:.o=.d)

# ---- the pipeline ----
include mk/pipeline.mk
include mk/timeseries.mk
include mk/fuzz.mk
include bench/bench.mk
# last: it needs every goal (and builds the programs before any stage)
include mk/code.mk

# The parameters files (PARAMS_<name>, rule in mk/pipeline.mk) whose text
# changed, now that every PARAMS_ variable is defined.
STALE_PARAMS := $(foreach v,$(filter PARAMS_%,$(.VARIABLES)),\
	$(call memo_stale,$(ART)/params/$(v:PARAMS_%=%).txt,$($(v))))
$(if $(strip $(STALE_PARAMS)),$(eval $(STALE_PARAMS): FORCE))
