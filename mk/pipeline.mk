# mk/pipeline.mk - the pipeline: stages as make rules over artifacts/.
# Included by the Makefile (which builds the programs and defines BIN, Q,
# say).  Every knob is a ?= variable; `make help-pipeline` lists them.
#
# Freshness rules:
#  - each stage's artifacts depend on its inputs, on the stamp of its
#    program's code ($(ART)/stamps/<prog>.sum, mk/code.mk) and on a
#    parameters file (artifacts/params/<stage>.txt) rewritten only when the
#    parameters change, so `make CELL=lstm` re-runs train and what follows,
#    `make MAX_LEN=128` re-runs from tokenize, `make LABELS=3class` from
#    filter-relabel;
#  - every dump has its own token file: a new dump costs its own tokenize;
#    a dump removed from DATA re-runs filter-relabel (the list of token
#    files is one of its parameters) and what follows;
#  - a learned vocabulary (no VOCAB given) is frozen once made: new dumps
#    do not re-learn it (only a new VOCAB_SIZE does); `make relearn-vocab`.
#  - outputs of one command are grouped targets (&:), so `make -j` runs the
#    command once; stages write to temporary names and rename (atomic).

ART ?= artifacts
REPORTS ?= reports

# ---- data and text stages ----
DATA       ?= data/demo
VOCAB      ?=
VOCAB_SIZE ?= 8000
MAX_LEN    ?= 256
LABELS     ?= binary
FRACTIONS  ?= 80/10/10
ON_ERROR   ?= skip

# ---- model and training ----
PRESET   ?=
ifeq ($(PRESET),notebook)
# the reference notebook: nn.RNN, E=256, H=128, batch 32, lr 1e-3, 5 epochs
CELL   ?= rnn
EMBED  ?= 256
HIDDEN ?= 128
LAYERS ?= 1
BATCH  ?= 32
LR     ?= 0.001
EPOCHS ?= 5
TRUNC  ?= head
POOL   ?= last
SPARSE ?= 0
else ifneq ($(PRESET),)
$(error unknown PRESET '$(PRESET)' (known: notebook))
endif
# head+tail truncation: +6.7 points of test accuracy on the shared dumps
# (docs/training.md); TRUNC=head gives Hugging Face's truncation.
TRUNC    ?= head+tail
CELL     ?= gru
EMBED    ?= 128
HIDDEN   ?= 128
LAYERS   ?= 1
BIDIR    ?= 0
POOL     ?= mean
BATCH    ?= 32
LR       ?= 0.002
EPOCHS   ?= 8
PATIENCE ?= 2
CLIP     ?= 1.0
OPTIM    ?= adam
SPARSE   ?= 1
SEED     ?= 1
DEVICE   ?= auto
THREADS  ?= 2

DUMP_EXTS := jsonl jsonl.gz csv csv.gz tsv tsv.gz
DUMPS := $(if $(wildcard $(DATA)/.),\
	$(sort $(foreach e,$(DUMP_EXTS),$(wildcard $(DATA)/*.$(e)))),$(wildcard $(DATA)))
# A DATA folder without dumps, or no DATA at all, is said in those words when
# a stage needs the dumps: it ran filter-relabel without an input ('expected
# at least 1 argument, got 0'), or stopped at 'No rule to make target'.
DATA_PROBLEM := $(if $(strip $(DUMPS)),,$(if $(wildcard $(DATA)),DATA '$(DATA)' holds no dumps \
	($(patsubst %,*.%,$(DUMP_EXTS))),DATA '$(DATA)': no such file or folder))
DATA_CHECK := $(if $(DATA_PROBLEM),data-check)
.PHONY: data-check
data-check:
	@printf 'make: %s\n' $(call shq,$(DATA_PROBLEM)) >&2; exit 1
# Paths that make or the recipes cannot carry, refused at once by name:
# make splits words at white space and reads ':' and '%' in targets, the
# shell reads & ; | < > ( ) quotes and globs.  They failed deep inside a
# stage ('multiple target patterns', a syntax error), or worse: an '&' ran
# 'mkdir -p' on half the path in the background.
path_chars := & ; | < > ' " ` * ? [ ] : % ( )
path_bad = $(strip $(if $(word 2,$(1)),a space) $(foreach c,$(path_chars),$(if $(findstring $(c),$(1)),$(c))))
path_check = $(if $(call path_bad,$(2)),$(error $(1) '$(strip $(2))' holds $(call path_bad,$(2)), which make or the shell would misread; use a path without them))
$(foreach v,DATA VOCAB ART REPORTS BUILD,$(call path_check,$(v),$($(v))))
$(foreach d,$(DUMPS),$(call path_check,the dump,$(d)))
tokname = $(basename $(patsubst %.gz,%,$(notdir $(1))))
TOKS := $(foreach d,$(DUMPS),$(ART)/tok/$(call tokname,$(d)).tok)
# Two dumps of one name (x.jsonl and x.csv.gz) would share one token file:
# one of them would never be tokenized and the other merged twice.
same_tok = $(foreach d,$(DUMPS),$(if $(filter $(1),$(call tokname,$(d))),$(d)))
TOK_CLASH := $(strip $(foreach t,$(sort $(foreach d,$(DUMPS),$(call tokname,$(d)))),\
	$(if $(word 2,$(call same_tok,$(t))),$(call same_tok,$(t)))))
ifneq ($(TOK_CLASH),)
$(error these dumps would share a token file ($(ART)/tok/<name>.tok): $(TOK_CLASH); rename one of each pair)
endif

ifeq ($(strip $(VOCAB)),)
VOCAB_FILE := $(ART)/vocab.txt
else
VOCAB_FILE := $(VOCAB)
endif

SPLITS := $(ART)/split/train.tok $(ART)/split/validation.tok $(ART)/split/test.tok
stamp = $(ART)/stamps/$(1).sum

# Stamp of a program's code ($(ART)/stamps/<prog>.sum): rewritten only when
# the program's code changed, so a rebuild into the same code (make clean
# too) re-runs nothing.  Its rule and the code sums are in mk/code.mk.

TRAIN_FLAGS = --cell $(CELL) --embed $(EMBED) --hidden $(HIDDEN) --layers $(LAYERS) \
	$(if $(filter 1,$(BIDIR)),--bidirectional) --pool $(POOL) --batch $(BATCH) --lr $(LR) \
	--epochs $(EPOCHS) --patience $(PATIENCE) --clip $(CLIP) --optimizer $(OPTIM) \
	$(if $(filter 1,$(SPARSE)),--sparse-embedding,--dense-embedding) --seed $(SEED) \
	--device $(DEVICE) --threads $(THREADS)

.PHONY: all text dataset model metrics report relearn-vocab help-pipeline
all: build $(REPORTS)/report.html
text: $(SPLITS)
dataset: $(ART)/dataset.h5
model: $(ART)/model.h5
metrics: $(ART)/metrics.json
report: $(REPORTS)/report.html

# ---- parameters files: rewritten only when their content changes ----
PARAMS_vocab    := size=$(VOCAB_SIZE)
TOKENIZE_PARAMS := vocab=$(VOCAB_FILE) max_len=$(MAX_LEN) truncation=$(TRUNC) on_error=$(ON_ERROR)
# the token files too: a dump taken out of DATA leaves no newer file behind,
# only a shorter list, and must still re-run the merge
PARAMS_filter   := labels=$(LABELS) inputs=$(TOKS)
PARAMS_split    := fractions=$(FRACTIONS)

PARAMS_train    = $(TRAIN_FLAGS)
# remade only when missing or when its text changed (STALE_PARAMS, in the
# Makefile).  The text is written as it is, quotes included (COLUMN='name'
# in PARAMS_ts-prepare): the shell took them off, the file never matched
# its variable again, and every make re-ran the step and all after it.
$(ART)/params/%.txt:
	@mkdir -p $(@D)
	@printf '%s\n' $(call shq,$(strip $(PARAMS_$*))) > $@

# ---- vocabulary (learned when VOCAB is not given; frozen once made) ----
$(ART)/vocab.txt: $(DATA_CHECK) $(ART)/params/vocab.txt | $(DUMPS) $(BIN)/learn-vocab
	$(call say,STAGE,learn-vocab -> $@)
	$(Q)$(BIN)/learn-vocab --size $(VOCAB_SIZE) --fractions $(FRACTIONS) --output $@ $(DUMPS)

relearn-vocab:
	rm -f $(ART)/vocab.txt
	$(MAKE) $(ART)/vocab.txt

# ---- tokenize: one token file per dump ----
define tok_rule
PARAMS_tok-$(call tokname,$(1)) := dump=$(1) $$(TOKENIZE_PARAMS)
$(ART)/tok/$(call tokname,$(1)).tok $(ART)/stats/tokenize-$(call tokname,$(1)).json &: \
		$(1) $(VOCAB_FILE) $(ART)/params/tok-$(call tokname,$(1)).txt $(call stamp,tokenize)
	$$(call say,STAGE,tokenize $(1))
	$(Q)$(BIN)/tokenize --vocab $(VOCAB_FILE) --max-len $(MAX_LEN) --truncation $(TRUNC) \
		--on-error $(ON_ERROR) --stats $(ART)/stats/tokenize-$(call tokname,$(1)).json \
		--output $(ART)/tok/$(call tokname,$(1)).tok --quiet $(1)
endef
$(foreach d,$(DUMPS),$(eval $(call tok_rule,$(d))))

# ---- filter-relabel: merge, map labels, drop duplicates ----
$(ART)/merged.tok $(ART)/stats/filter-relabel.json &: $(DATA_CHECK) $(TOKS) $(ART)/params/filter.txt \
		$(call stamp,filter-relabel)
	$(call say,STAGE,filter-relabel -> $(ART)/merged.tok)
	$(Q)$(BIN)/filter-relabel --labels $(call shq,$(LABELS)) --on-error $(ON_ERROR) \
		--stats $(ART)/stats/filter-relabel.json --output $(ART)/merged.tok --quiet $(TOKS)

# ---- split: train/validation/test by text hash ----
$(SPLITS) $(ART)/stats/split.json &: $(ART)/merged.tok $(ART)/params/split.txt $(call stamp,split)
	$(call say,STAGE,split -> $(ART)/split/)
	$(Q)$(BIN)/split --fractions $(FRACTIONS) --train $(ART)/split/train.tok \
		--validation $(ART)/split/validation.tok --test $(ART)/split/test.tok \
		--stats $(ART)/stats/split.json --quiet $(ART)/merged.tok

# the knobs with the values this make would use (defaults, PRESET, command
# line); a listing of the ?= lines showed the notebook preset's first
PIPELINE_KNOBS := DATA VOCAB VOCAB_SIZE MAX_LEN TRUNC LABELS FRACTIONS ON_ERROR PRESET \
	CELL EMBED HIDDEN LAYERS BIDIR POOL BATCH LR EPOCHS PATIENCE CLIP OPTIM SPARSE SEED \
	DEVICE THREADS PACK_FLAGS
# (values through shq: a quote in one, LABELS="pos:it's", broke the shell line)
help-pipeline:
	@printf '%-10s = %s\n' $(foreach v,$(PIPELINE_KNOBS),'$(v)' $(call shq,$($(v))))

# ---- pack-hdf5: the streaming dataset file ----
PACK_FLAGS ?=
PARAMS_pack := $(PACK_FLAGS)
$(ART)/dataset.h5: $(SPLITS) $(ART)/params/pack.txt $(call stamp,pack-hdf5)
	$(call say,STAGE,pack-hdf5 -> $@)
	$(Q)$(BIN)/pack-hdf5 --out $@ $(PACK_FLAGS) --quiet $(SPLITS)

# ---- report: HTML (self-contained) and Markdown ----
TOK_STATS := $(foreach d,$(DUMPS),$(ART)/stats/tokenize-$(call tokname,$(d)).json)
$(REPORTS)/report.html $(REPORTS)/report.md &: $(ART)/metrics.json $(ART)/predictions.tsv \
		$(ART)/train.json $(ART)/train-log.jsonl $(SPLITS) $(TOK_STATS) \
		$(ART)/stats/filter-relabel.json $(ART)/stats/split.json \
		$(wildcard $(ART)/history.jsonl) $(call stamp,report)
	$(call say,STAGE,report -> $(REPORTS)/report.html)
	$(Q)$(BIN)/report --train-log $(ART)/train-log.jsonl --train-json $(ART)/train.json \
		--metrics $(ART)/metrics.json --predictions $(ART)/predictions.tsv \
		--history $(ART)/history.jsonl --split-dir $(ART)/split \
		$(foreach f,$(TOK_STATS),--tok-stats $(f)) \
		--filter-stats $(ART)/stats/filter-relabel.json --split-stats $(ART)/stats/split.json \
		--html $(REPORTS)/report.html --md $(REPORTS)/report.md --quiet

# ---- train: model, per-epoch log, summary (checkpoint every epoch) ----
# --resume continues a killed run from artifacts/checkpoint.h5 when the
# checkpoint belongs to the same settings and data (else it starts over).
$(ART)/model.h5 $(ART)/train-log.jsonl $(ART)/train.json &: $(ART)/dataset.h5 $(VOCAB_FILE) \
		$(ART)/params/train.txt $(call stamp,train)
	$(call say,STAGE,train -> $(ART)/model.h5)
	$(Q)$(BIN)/train --data $(ART)/dataset.h5 --vocab $(VOCAB_FILE) --model $(ART)/model.h5 \
		--log $(ART)/train-log.jsonl --summary $(ART)/train.json \
		--checkpoint $(ART)/checkpoint.h5 --resume $(TRAIN_FLAGS)

# ---- evaluate: the test split ----
$(ART)/metrics.json $(ART)/predictions.tsv &: $(ART)/model.h5 $(ART)/dataset.h5 $(call stamp,evaluate)
	$(call say,STAGE,evaluate -> $(ART)/metrics.json)
	$(Q)$(BIN)/evaluate --model $(ART)/model.h5 --data $(ART)/dataset.h5 \
		--metrics $(ART)/metrics.json --predictions $(ART)/predictions.tsv \
		--device $(DEVICE) --threads $(THREADS) --quiet

# ---- the nightly job (scripts/retrain): lock, stale stages, promotion ----
# Command-line variables (DATA=..., CELL=...) reach the inner make through
# MAKEFLAGS.  The script is a sub-make ('+'): its makes share the job slots
# of `make -j retrain` (without '+' they warned "jobserver unavailable" and
# ran one job at a time), and make runs it under -n and -q too, where it
# writes nothing (its header says what it does then).
.PHONY: retrain
retrain: build
	+@MAKE=$(call shq,$(MAKE)) scripts/retrain

# ---- the settings of `make all`, as shell assignments: for running the
# stages where make cannot run (bench/gpu-prepare.sh -> bench/gpu-pipeline.sh);
# each value one shell word, its quotes escaped (LABELS='pos:it'\''s')
.PHONY: print-pipeline-vars
print-pipeline-vars:
	@printf '%s\n' $(foreach v,MAX_LEN TRUNC ON_ERROR LABELS FRACTIONS PACK_FLAGS TRAIN_FLAGS DEVICE THREADS,\
		$(call shq,$(v)=$(call shq,$(strip $($(v))))))
