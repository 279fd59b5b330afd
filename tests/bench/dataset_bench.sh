#!/usr/bin/env bash
# dataset_bench.sh [OUTDIR] - measures pack-hdf5 settings and the batch
# reader on data the size of the shared dumps (12,000 train / 2,500 / 2,500
# reviews, max_len 256), and peak RSS of a full pass over 1x and 10x data.
# Ids are drawn from the real mBERT ids of the 500-review sample when
# $SHARED has them (realistic compression), else synthetic (Zipf).
# Not part of 'make test' (about a minute on 2 cores); prints TSV lines.
set -euo pipefail
BIN=${BUILD:-build}/bin
SHARED=${SHARED:-$(dirname "$0")/../../../shared}
out=${1:-$(mktemp -d /tmp/rnnpipe-bench-XXXXXX)}
mkdir -p "$out"
golden=$SHARED/golden/tokenize/sample-500-mbert.jsonl
ids_from=()
[ -r "$golden" ] && ids_from=(--ids-from "$golden")
echo "# ids: ${ids_from[*]:-synthetic Zipf}"
synth() { "$BIN/synth-tok" "${ids_from[@]}" --seed 3 "$@"; }
synth --count 12000 --split train "$out/x1/train.tok"
synth --count 2500 --split validation "$out/x1/validation.tok"
synth --count 2500 --split test "$out/x1/test.tok"
synth --count 120000 --split train "$out/x10/train.tok"

# best of 5 full passes (batch 32): batches per CPU second of the reader
# (both threads), which other work on a shared machine disturbs far less
# than wall time; the fastest pass is the least disturbed
rate() { # file, extra reader options...
	local f=$1 best=0 r
	shift
	for _ in 1 2 3 4 5; do
		r=$("$BIN/read-batches" "$@" "$f" | sed 's/.*"batches_per_cpu_s":\([0-9.]*\),.*/\1/')
		best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
	done
	printf '%.0f' "$best"
}

printf 'setting\tfile_bytes\ttrain_ids_bytes\tpack_s\tshuffled_batches_per_cpu_s\tsequential_batches_per_cpu_s\n'
bench() { # name, pack options...
	local name=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$BIN/pack-hdf5" --quiet --out "$out/$name.h5" "$@" "$out"/x1/*.tok
	t1=$(date +%s.%N)
	local size ids
	size=$(stat -c %s "$out/$name.h5")
	ids=$(h5dump -p -H -d /train/ids "$out/$name.h5" | sed -n 's/.*SIZE \([0-9]*\).*/\1/p')
	printf '%s\t%s\t%s\t%.2f\t%s\t%s\n' "$name" "$size" "$ids" "$(echo "$t1 - $t0" | bc)" \
		"$(rate "$out/$name.h5")" "$(rate "$out/$name.h5" --sequential)"
}
bench chunk32-deflate4 --chunk-rows 32
bench chunk256-deflate4 --chunk-rows 256
bench chunk1024-deflate4 --chunk-rows 1024
bench chunk256-deflate1 --chunk-rows 256 --deflate 1
bench chunk256-deflate9 --chunk-rows 256 --deflate 9
bench chunk256-deflate4-noshuffle --chunk-rows 256 --no-shuffle-filter
bench chunk256-none --chunk-rows 256 --deflate 0
bench chunk256-deflate4-uint32 --chunk-rows 256 --dtype uint32
bench chunk256-deflate4-bucket --chunk-rows 256 --bucket-window 4096

# peak RSS of one full pass: 1x vs 10x rows, same settings
"$BIN/pack-hdf5" --quiet --out "$out/x10.h5" "$out"/x10/train.tok
printf '\nrows\tpeak_rss_kib\tbatches_per_s\tbatches_per_cpu_s\n'
for f in "$out/chunk256-deflate4.h5" "$out/x10.h5"; do
	/usr/bin/time -f '%M' -o "$out/rss.txt" "$BIN/read-batches" "$f" >"$out/pass.json"
	printf '%s\t%s\t%.0f\t%.0f\n' "$(sed 's/.*"rows":\([0-9]*\),.*/\1/' "$out/pass.json")" \
		"$(cat "$out/rss.txt")" \
		"$(sed 's/.*"batches_per_s":\([0-9.]*\),"rows_per_s".*/\1/' "$out/pass.json")" \
		"$(sed 's/.*"batches_per_cpu_s":\([0-9.]*\),.*/\1/' "$out/pass.json")"
done
