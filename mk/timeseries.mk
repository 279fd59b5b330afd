# mk/timeseries.mk - the time-series task: predict the next value(s) of a
# series with the same RNN engine (docs/timeseries.md).  Included by the
# Makefile after the programs' rules (it uses BUILD, FORCE, say, Q and the
# program stamps $(BUILD)/stamps/<prog>.sum).
#
#   make timeseries                      synthetic series (sines + trend + noise)
#   make timeseries SERIES=f.csv [COLUMN=name] [TIME_COLUMN=name] [TS_SEASON=12]
#   make timeseries-data                 only the dataset (prints the naive baselines)
#
#   artifacts/timeseries/dataset.h5      ts-prepare: windows, split by time, z-score
#   artifacts/timeseries/model.h5        train --task regress      (lead: see PLACEHOLDER)
#   artifacts/timeseries/train-log.jsonl   (written by train)
#   artifacts/timeseries/metrics.json    evaluate --task regress   (lead: see PLACEHOLDER)
#   reports/timeseries.html              ts-report
#
# Parameters are dependencies: each step's arguments are kept in
# $(TS_DIR)/params/<step>.args, rewritten only when they change, so changing
# TS_WINDOW re-runs everything from the dataset on, while changing a training
# knob re-runs training, evaluation and the report only.

TS_DIR    ?= artifacts/timeseries
TS_REPORT ?= reports/timeseries.html

# The series: a CSV file (SERIES, COLUMN, TIME_COLUMN) or, when SERIES is
# empty, the synthetic generator.
SERIES       ?=
COLUMN       ?=
TIME_COLUMN  ?=
TS_LENGTH     ?= 1000
TS_PERIODS    ?= 48,12
TS_AMPLITUDES ?= 1,0.5
TS_LEVEL      ?= 5
TS_TREND      ?= 0.002
TS_NOISE      ?= 0.1
TS_SEED       ?= 1
# Windowing and the split by time.  TS_SEASON: the seasonal naive baseline's
# season (0 = none); the synthetic series' main period by default.
TS_WINDOW     ?= 24
TS_HORIZON    ?= 1
TS_SEASON     ?= $(if $(SERIES),0,48)
TS_TRAIN      ?= 0.70
TS_VALIDATION ?= 0.15

TS_DATASET := $(TS_DIR)/dataset.h5
TS_MODEL   := $(TS_DIR)/model.h5
TS_LOG     := $(TS_DIR)/train-log.jsonl
TS_METRICS := $(TS_DIR)/metrics.json

ifeq ($(SERIES),)
TS_SOURCE_ARGS = --synthetic $(TS_LENGTH) --periods $(TS_PERIODS) \
	--amplitudes $(TS_AMPLITUDES) --level $(TS_LEVEL) --trend $(TS_TREND) --noise $(TS_NOISE) --seed $(TS_SEED)
else
TS_SOURCE_ARGS = --csv $(SERIES) $(if $(COLUMN),--column '$(COLUMN)') \
	$(if $(TIME_COLUMN),--time-column '$(TIME_COLUMN)')
endif
TS_PREPARE_ARGS = $(TS_SOURCE_ARGS) --window $(TS_WINDOW) --horizon $(TS_HORIZON) \
	--season $(TS_SEASON) --train $(TS_TRAIN) --validation $(TS_VALIDATION)
# What training and evaluation depend on besides the dataset: the lead
# extends this with the knobs the train call below uses.
TS_TRAIN_ARGS ?= --task regress $(foreach v,CELL HIDDEN LAYERS EPOCHS BATCH LR SEED DEVICE,\
	$(if $($(v)),$(v)=$($(v))))

# A program's stamp, when the program exists yet (train and evaluate may not).
ts_prog = $(filter $(BUILD)/stamps/$(1).sum,$(PROG_SUMS))

.PHONY: timeseries timeseries-data
timeseries: $(TS_METRICS) $(TS_REPORT)
timeseries-data: $(TS_DATASET)

# ---- parameter stamps (rewritten only when the arguments change) ----
$(TS_DIR)/params/prepare.args: FORCE
	@mkdir -p $(@D)
	@echo '$(strip $(TS_PREPARE_ARGS))' | cmp -s - $@ || echo '$(strip $(TS_PREPARE_ARGS))' > $@
$(TS_DIR)/params/train.args: FORCE
	@mkdir -p $(@D)
	@echo '$(strip $(TS_TRAIN_ARGS))' | cmp -s - $@ || echo '$(strip $(TS_TRAIN_ARGS))' > $@

# ---- the steps ----
$(TS_DATASET): $(BUILD)/stamps/ts-prepare.sum $(TS_DIR)/params/prepare.args $(SERIES)
	$(call say,PREPARE,$@)
	$(Q)$(BUILD)/bin/ts-prepare $(TS_PREPARE_ARGS) --out $@

# train --task regress reads $(TS_DATASET) (inputs (N, W, 1), targets (N, K),
# normalised; docs/timeseries.md) and writes the model and $(TS_LOG).
$(TS_MODEL): $(TS_DATASET) $(TS_DIR)/params/train.args $(call ts_prog,train)
	$(call say,TRAIN,$@)
	$(Q)echo "PLACEHOLDER (mk/timeseries.mk): call $(BUILD)/bin/train --task regress --dataset $(TS_DATASET) --out $@ --log $(TS_LOG) here" >&2; exit 1

# evaluate --task regress runs the model on the test split and writes the
# metrics with ts_metrics_write_test() (ts_metrics.h); or it writes one line
# of K normalised forecasts per test example and ts-metrics scores them:
#   $(BUILD)/bin/ts-metrics --dataset $(TS_DATASET) --predictions FILE --out $@
$(TS_METRICS): $(TS_MODEL) $(TS_DATASET) $(call ts_prog,evaluate) $(BUILD)/stamps/ts-metrics.sum
	$(call say,EVAL,$@)
	$(Q)echo "PLACEHOLDER (mk/timeseries.mk): call $(BUILD)/bin/evaluate --task regress --model $(TS_MODEL) --dataset $(TS_DATASET) --out $@ here" >&2; exit 1

$(TS_REPORT): $(TS_DATASET) $(TS_METRICS) $(BUILD)/stamps/ts-report.sum
	$(call say,REPORT,$@)
	$(Q)$(BUILD)/bin/ts-report --dataset $(TS_DATASET) --metrics $(TS_METRICS) \
		$(if $(wildcard $(TS_LOG)),--train-log $(TS_LOG)) --out $@
