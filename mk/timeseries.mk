# mk/timeseries.mk - the time-series task: predict the next value(s) of a
# series with the same RNN engine (docs/timeseries.md).  Included by the
# Makefile after mk/pipeline.mk, whose conventions it uses: ART, REPORTS,
# BIN, Q, say, stamp, the shared knobs CLIP, SEED, THREADS and DEVICE (the
# model has its own, TS_CELL, TS_HIDDEN, ... below) and the
# parameters-file rule $(ART)/params/%.txt (rewritten only when PARAMS_<name>
# changes, so a changed parameter re-runs its step and what follows).
#
#   make timeseries                      synthetic series (sines + trend + noise)
#   make timeseries SERIES=f.csv [COLUMN=name] [TIME_COLUMN=name] [TS_SEASON=12]
#   make timeseries-data                 only the dataset (prints the naive baseline)
#   make ts-predict [TS_STEPS=N]         the next value(s) after the series' end
#
#   $(TS_DIR)/dataset.h5        ts-prepare: split by time, z-score, windows
#   $(TS_DIR)/model.h5          train --task regress          
#   $(TS_DIR)/train-log.jsonl     written by train
#   $(TS_DIR)/metrics.json      evaluate --task regress       
#   $(REPORTS)/timeseries.html  ts-report

TS_DIR    ?= $(ART)/timeseries
TS_REPORT ?= $(REPORTS)/timeseries.html

# The series: a CSV file (SERIES, COLUMN, TIME_COLUMN) or, when SERIES is
# empty, the synthetic generator.
SERIES        ?=
COLUMN        ?=
TIME_COLUMN   ?=
TS_LENGTH     ?= 1000
TS_PERIODS    ?= 48,12
TS_AMPLITUDES ?= 1,0.5
TS_LEVEL      ?= 5
TS_TREND      ?= 0.002
TS_NOISE      ?= 0.1
TS_SEED       ?= 1
# Windowing and the split by time.
TS_WINDOW     ?= 24
TS_HORIZON    ?= 1
TS_TRAIN      ?= 0.70
TS_VALIDATION ?= 0.15

TS_DATASET := $(TS_DIR)/dataset.h5
TS_MODEL   := $(TS_DIR)/model.h5
TS_LOG     := $(TS_DIR)/train-log.jsonl
TS_METRICS := $(TS_DIR)/metrics.json

ifeq ($(SERIES),)
TS_SOURCE_ARGS = --synthetic $(TS_LENGTH) --periods $(TS_PERIODS) \
	--amplitudes $(TS_AMPLITUDES) --level $(TS_LEVEL) --trend $(TS_TREND) \
	--noise $(TS_NOISE) --seed $(TS_SEED)
else
TS_SOURCE_ARGS = --csv $(call shq,$(SERIES)) $(if $(COLUMN),--column $(call shq,$(COLUMN))) \
	$(if $(TIME_COLUMN),--time-column $(call shq,$(TIME_COLUMN)))
endif
TS_PREPARE_ARGS = $(TS_SOURCE_ARGS) --window $(TS_WINDOW) --horizon $(TS_HORIZON) \
	--train $(TS_TRAIN) --validation $(TS_VALIDATION)

# TS_SEASON: the seasonal naive baseline's season (0 = none); the synthetic
# series' long period by default.  A setting of the scoring, not of the
# data: it goes to evaluate (--season), not to ts-prepare, so the dataset
# has no season attribute and a changed TS_SEASON re-runs the evaluation
# and the report, not ts-prepare and training.
TS_SEASON     ?= $(if $(SERIES),0,48)

# The model: its own knobs (a series is small: a small, longer-trained model).
TS_CELL     ?= gru
TS_HIDDEN   ?= 32
TS_LAYERS   ?= 1
TS_EPOCHS   ?= 40
TS_BATCH    ?= 32
TS_LR       ?= 0.005
TS_PATIENCE ?= 6
TS_TRAIN_FLAGS = --cell $(TS_CELL) --hidden $(TS_HIDDEN) --layers $(TS_LAYERS) \
	--epochs $(TS_EPOCHS) --batch $(TS_BATCH) --lr $(TS_LR) --patience $(TS_PATIENCE) \
	--clip $(CLIP) --seed $(SEED) --threads $(THREADS) --device $(DEVICE)

# Parameters files ($(ART)/params/ts-*.txt, rule in mk/pipeline.mk).
PARAMS_ts-prepare = $(TS_PREPARE_ARGS)
PARAMS_ts-train = task=regress $(TS_TRAIN_FLAGS)
PARAMS_ts-season = season=$(TS_SEASON)

# ts-predict: values printed after the series' end (0 = the horizon;
# more are forecast recursively, see docs/timeseries.md)
TS_STEPS ?= 0

.PHONY: timeseries timeseries-data ts-predict
timeseries: $(TS_METRICS) $(TS_REPORT)
timeseries-data: $(TS_DATASET)

# Prints (stdout, one per line) the forecast that follows the series' last
# TS_WINDOW values; writes nothing.
ts-predict: $(TS_MODEL) $(TS_DATASET) $(call stamp,predict)
	$(Q)$(BIN)/predict --model $(TS_MODEL) --dataset $(TS_DATASET) --steps $(TS_STEPS)

$(TS_DATASET): $(ART)/params/ts-prepare.txt $(call stamp,ts-prepare) $(SERIES)
	$(call say,STAGE,ts-prepare -> $@)
	$(Q)$(BIN)/ts-prepare $(TS_PREPARE_ARGS) --out $@

# train --task regress reads $(TS_DATASET) (inputs (N, W, 1), targets (N, K),
# normalised; docs/timeseries.md, tsfile_read_split()) and writes the model
# and $(TS_LOG).
$(TS_MODEL) $(TS_LOG) &: $(TS_DATASET) $(ART)/params/ts-train.txt \
		$(call stamp,train)
	$(call say,STAGE,train --task regress -> $(TS_MODEL))
	$(Q)$(BIN)/train --task regress --data $(TS_DATASET) --model $(TS_MODEL) --log $(TS_LOG) \
		--summary $(TS_DIR)/train.json --checkpoint $(TS_DIR)/checkpoint.h5 --resume \
		$(TS_TRAIN_FLAGS)

# evaluate --task regress runs the model on the test split and writes the
# metrics with ts_metrics_write_test() (ts_metrics.h); or it writes one line
# of K normalised forecasts per test example and ts-metrics scores them:
#   $(BIN)/ts-metrics --dataset $(TS_DATASET) --predictions FILE --season $(TS_SEASON) --out $@
$(TS_METRICS): $(TS_MODEL) $(TS_DATASET) $(ART)/params/ts-season.txt $(call stamp,evaluate)
	$(call say,STAGE,evaluate --task regress -> $@)
	$(Q)$(BIN)/evaluate --task regress --model $(TS_MODEL) --data $(TS_DATASET) --metrics $@ \
		--season $(TS_SEASON) --quiet

$(TS_REPORT): $(TS_DATASET) $(TS_METRICS) $(TS_LOG) $(call stamp,ts-report)
	$(call say,STAGE,ts-report -> $@)
	$(Q)$(BIN)/ts-report --dataset $(TS_DATASET) --metrics $(TS_METRICS) \
		--train-log $(TS_LOG) --out $@ --quiet
