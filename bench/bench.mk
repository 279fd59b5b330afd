# bench/bench.mk - `make bench`: rnnpipe side by side with the tools users
# would pick instead (Hugging Face tokenizers, PyTorch, fastText).  Included
# from the Makefile; not part of `make test`.
#
#   make bench              full run (under 30 minutes on 2 cores)
#   make bench QUICK=1      quick run (a few minutes)
#   make bench BENCH_ARGS='--only tokenizer'   see bench/run --help
#
# Writes reports/bench.json and reports/bench.md; docs/bench.md explains
# the numbers.  Helpers in bench/ (BENCH_TOOLS) are built against the library into
# $(BUILD)/bench/<name>; bench/run builds them itself with `make -k
# bench-tools`, so one that fails to build only turns its comparison into
# "not available".

# The CPU helpers bench/run uses (bench/cuda_sandbox.c is the GPU session's,
# built by bench/gpu-prepare.sh).
BENCH_TOOLS := tok2fasttext tokhead train_step_cpu wordpiece_speed vocab_learn_speed
BENCH_SRCS  := $(filter $(BENCH_TOOLS:%=bench/%.c),$(wildcard bench/*.c))
BENCH_PROGS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
QUICK       ?=
BENCH_ARGS  ?=

.PHONY: bench bench-tools
bench-tools: $(BENCH_PROGS)

$(BENCH_PROGS): $(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIB)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(LIBS)

# the speed tools read their texts with bench/texts.c
$(BUILD)/bench/wordpiece_speed $(BUILD)/bench/vocab_learn_speed: $(BUILD)/obj/bench/texts.o

bench: build
	$(Q)bench/run --build $(BUILD) $(if $(filter 1,$(QUICK)),--quick) $(BENCH_ARGS)

-include $(BENCH_PROGS:$(BUILD)/bench/%=$(BUILD)/obj/bench/%.d) $(BUILD)/obj/bench/texts.d
