# mk/code.mk - what a rebuilt program means for the artifacts it made: they
# are made again only when the program's code changed.  Included last by
# the Makefile (it needs BUILD, BIN, PROGS, ART, FORCE and every goal).
#
#   $(BUILD)/code/<prog>.mk   `CODE_<prog> := <sum>`, written whenever the
#       program is linked: the sha256 of the binary without its symbol
#       table and debug information (strip; nvcc writes a temporary file
#       name with its PID into each object's symbols, so two builds of the
#       same CUDA code differ there and only there)
#   $(ART)/stamps/<prog>.sum  the sum the artifacts in ART were made with
#       (`<sum>  -`), kept with them so `make clean` does not lose it; each
#       stage's artifacts depend on it, and it is rewritten only when the
#       program's sum differs from it
#
# Whether a stamp differs is decided as make reads the Makefile, like the
# parameters files: the stamp does not depend on the date of the binary,
# which a rebuild into the same code makes newer, so after `make clean;
# make` a make runs no stage and `make -q` and `make -n` say so.  For the
# sums read to be those of the programs this make will run, the code files
# are included makefiles: GNU make remakes them first (building the
# programs) and reads the Makefile again when one changed.  Goals that
# reach no stage (build, test, clean, the fuzz and bench tools, files in
# BUILD) skip that step.
#
# make -n, -q and -t must not build (GNU make remakes included makefiles
# even then), so they read the code files as they are:
#  - -q: a stamp is stale when the sum differs; a program that would be
#    rebuilt is a step to do, so -q exits 1 then too;
#  - -n: the same; and for a program that it would rebuild it also lists
#    the stamp and the stages after it, since whether the code changes is
#    known only after linking (a real make runs those only if it did).
#    Which programs it would rebuild is asked of make (`make -n` on the
#    code files) only when a code file is newer than its stamp, as after a
#    rebuild into the same code; else the stamps depend on the code files
#    (a missing stamp is made anyway).
# Both files are written to a temporary name of the make's own (PID) and
# renamed: two makes on one BUILD or ART (a retrain and a make by hand).

PROG_NAMES := $(PROGS:$(BIN)/%=%)
PROG_CODE  := $(PROG_NAMES:%=$(BUILD)/code/%.mk)
PROG_SUMS  := $(PROG_NAMES:%=$(call stamp,%))
build: $(PROG_CODE)

$(PROG_CODE): $(BUILD)/code/%.mk: $(BIN)/%
	$(if $(RNNPIPE_CODE_PROBE),@: code-remade:$*)
	@mkdir -p $(@D)
	@s=$$(mktemp) && t=$@.tmp.$$$$ && trap 'rm -f "$$s" "$$t"' EXIT && \
		strip -o "$$s" $< && sum=$$(sha256sum < "$$s") && \
		printf 'CODE_%s := %s\n' '$*' "$${sum%% *}" > "$$t" && mv "$$t" $@

# -n, -q, -t: a dry run (the first word of MAKEFLAGS holds the one-letter
# options)
DRY_RUN := $(strip $(foreach f,n q t,$(findstring $(f),$(firstword -$(MAKEFLAGS)))))
NO_CODE_GOALS := $(NO_LIB_GOALS) build test fuzz fuzz-build fuzz-regress bench-tools \
	$(BUILD)/% $(FUZZ_BUILD)/%
ifeq ($(DRY_RUN)$(if $(filter-out $(NO_CODE_GOALS),$(or $(MAKECMDGOALS),build)),,none),)
include $(PROG_CODE)
else
$(foreach p,$(PROG_NAMES),$(eval CODE_$(p) := $(lastword $(file < $(BUILD)/code/$(p).mk))))
endif

# the programs whose sum is not the one in their stamp (or not known)
code_differs = $(if $(CODE_$(1)),$(if $(filter $(CODE_$(1)),$(firstword $(file < $(call stamp,$(1))))),,y),y)
# A stamp waits for its code file (order-only: its date says nothing),
# except under -n for the programs it would rebuild (CODE_REMADE, see
# above): there the code file is a prerequisite, so that what a new sum
# would re-run is listed.
code_newer = $(shell for p in $(PROG_NAMES); do \
	[ -e $(call stamp,$$p) ] && [ $(BUILD)/code/$$p.mk -nt $(call stamp,$$p) ] && echo y && break; done)
code_remade = $(patsubst code-remade:%,%,$(filter code-remade:%,$(shell \
	MAKEFLAGS=$(call shq,-- $(MAKEOVERRIDES)) $(MAKE) -n RNNPIPE_CODE_PROBE=1 \
	-f $(firstword $(MAKEFILE_LIST)) $(PROG_CODE) 2>/dev/null)))
ifneq ($(findstring n,$(DRY_RUN)),)
ifndef RNNPIPE_CODE_PROBE
CODE_REMADE := $(if $(code_newer),$(code_remade),$(PROG_NAMES))
endif
endif
$(foreach p,$(PROG_NAMES),$(eval $(call stamp,$(p)): \
	$(if $(call code_differs,$(p)),FORCE) $(if $(filter $(p),$(CODE_REMADE)),,|) \
	$(BUILD)/code/$(p).mk))

$(PROG_SUMS): $(ART)/stamps/%.sum:
	@mkdir -p $(@D)
	@sum=$$(sed -n 's/^CODE_[^ ]* := //p' $(BUILD)/code/$*.mk) && [ -n "$$sum" ] || \
		{ echo "make: no sum in $(BUILD)/code/$*.mk; remove it and run make again" >&2; exit 1; }; \
	[ "$$(cat $@ 2>/dev/null)" = "$$sum  -" ] || { t=$@.tmp.$$$$ && \
		trap 'rm -f "$$t"' EXIT && echo "$$sum  -" > "$$t" && mv "$$t" $@; }
