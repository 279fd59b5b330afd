#!/usr/bin/env bash
# No leaks on a small pipeline run: learn-vocab -> tokenize -> filter-relabel
# -> split -> pack-hdf5 -> read-batches -> train (and --resume) -> evaluate
# -> predict on the demo dump (data/demo/),
# including one failing run of each stage (a missing input).  With plain
# binaries every program runs under valgrind (definite and indirect leaks
# and memory errors fail); with sanitizer builds (make test SANITIZE=...)
# LeakSanitizer already checks every exit and tests/run.sh fails the test
# on any report, so the programs run as they are.
set -euo pipefail
. "$(dirname "$0")/hostile-lib.bash"
demo=${RNNPIPE_TOP:-.}/data/demo
jl=$(ls "$demo"/*.jsonl 2>/dev/null | head -n 1)
cs=$(ls "$demo"/*.csv 2>/dev/null | head -n 1)
[ -n "$jl" ] && [ -n "$cs" ] || fail "no JSON Lines and CSV demo dumps in $demo"

if sanitized; then
	V=()
	echo "sanitizer build: LeakSanitizer checks every program"
elif command -v valgrind >/dev/null; then
	V=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99
		--suppressions="${RNNPIPE_TOP:-.}/tests/valgrind.supp"
		--log-file="$tmp/vg.%p.log")
else
	echo "SKIP: valgrind not installed and the binaries carry no sanitizer (apt-get install valgrind)"
	exit 77
fi

# vg WHAT WANT_RC CMD...: runs CMD under the checker, wants exit WANT_RC
vg() {
	local what=$1 want=$2
	shift 2
	run "${V[@]}" "$@"
	if [ "$rc" -eq 99 ] || grep -qs 'definitely lost\|indirectly lost\|Invalid \|uninitialised' "$tmp"/vg.*.log; then
		cat "$tmp"/vg.*.log 2>/dev/null | head -n 60
		fail "$what: valgrind reports"
	fi
	expect_rc "$want" "$what"
	rm -f "$tmp"/vg.*.log
}

A=$tmp/art
vg learn-vocab 0 "$BIN/learn-vocab" --quiet --size 400 --output "$A/vocab.txt" "$jl" "$cs"
for d in "$jl" "$cs"; do
	b=$(basename "$d")
	vg "tokenize $b" 0 "$BIN/tokenize" --quiet --threads 2 --vocab "$A/vocab.txt" --max-len 64 \
		--stats "$A/stats-$b.json" --output "$A/tok/$b.tok" "$d"
done
vg filter-relabel 0 "$BIN/filter-relabel" --quiet --stats "$A/filter.json" --output "$A/merged.tok" \
	"$A/tok/$(basename "$jl").tok" "$A/tok/$(basename "$cs").tok"
vg split 0 "$BIN/split" --quiet --stats "$A/split.json" --train "$A/split/train.tok" \
	--validation "$A/split/validation.tok" --test "$A/split/test.tok" "$A/merged.tok"
vg pack-hdf5 0 "$BIN/pack-hdf5" --quiet --chunk-rows 32 --out "$A/dataset.h5" \
	"$A/split/train.tok" "$A/split/validation.tok" "$A/split/test.tok"
vg read-batches 0 "$BIN/read-batches" --batch 16 "$A/dataset.h5"
vg "read-batches without prefetch" 0 "$BIN/read-batches" --prefetch 0 --split test "$A/dataset.h5"
# CUDA-linked programs take about 15 s each to start under valgrind (the
# CUDA libraries): then only train and predict run under it here; the
# sanitizer build (LeakSanitizer) covers the rest at full speed
cuda=0
[[ ${#V[@]} -gt 0 && $(ldd "$BIN/train" 2>/dev/null) == *libcudart* ]] && cuda=1
if [ -x "$BIN/train" ]; then
	vg train 0 "$BIN/train" --data "$A/dataset.h5" --vocab "$A/vocab.txt" --embed 8 --hidden 8 \
		--epochs 2 --batch 16 --progress none --quiet --model "$A/model.h5" \
		--checkpoint "$A/ckpt.h5" --log "$A/train-log.jsonl" --summary "$A/train.json"
	[ $cuda = 1 ] || vg "train --resume" 0 "$BIN/train" --data "$A/dataset.h5" --vocab "$A/vocab.txt" --embed 8 \
		--hidden 8 --epochs 3 --batch 16 --progress none --quiet --model "$A/model.h5" \
		--checkpoint "$A/ckpt.h5" --resume --log "$A/train-log.jsonl" --summary "$A/train.json"
	[ $cuda = 1 ] || vg evaluate 0 "$BIN/evaluate" --model "$A/model.h5" --data "$A/dataset.h5" \
		--metrics "$A/metrics.json" --predictions "$A/predictions.tsv"
	vg predict 0 "$BIN/predict" --model "$A/model.h5" "Фильм отстой. Не советую смотреть."
	[ $cuda = 1 ] || vg "predict, missing model" 1 "$BIN/predict" --model "$tmp/nope.h5" "x"
fi

# failing runs free what they allocated too
vg "tokenize, missing dump" 1 "$BIN/tokenize" --quiet --vocab "$A/vocab.txt" --output "$A/x.tok" "$tmp/nope.jsonl"
vg "tokenize, bad records" 0 "$BIN/tokenize" --quiet --vocab "$A/vocab.txt" --print-ids "$tmp/prev.jsonl"
vg "filter-relabel, missing input" 1 "$BIN/filter-relabel" --quiet --output "$A/y.tok" "$tmp/nope.tok"
vg "split, not a token file" 1 "$BIN/split" --quiet --train "$A/t.tok" --validation "$A/v.tok" \
	--test "$A/e.tok" "$jl"
vg "pack-hdf5, missing split" 1 "$BIN/pack-hdf5" --quiet --out "$A/z.h5" "$tmp/train.tok"
printf 'x' | dd of="$A/dataset.h5" bs=1 seek=5000 conv=notrunc 2>/dev/null
vg "read-batches, corrupted file" 1 "$BIN/read-batches" "$A/dataset.h5"
vg "usage error" 2 "$BIN/tokenize" --bogus
echo "ok"
