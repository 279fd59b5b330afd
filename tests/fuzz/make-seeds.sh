#!/usr/bin/env bash
# tests/fuzz/make-seeds.sh - (re)writes the seed corpora in
# tests/fuzz/corpus/<target>/ from inputs written here for the project
# (never from the shared data).  Text seeds are spelled out below; binary
# ones (token files, dataset.h5, gzip) are made with the built programs.
#   BUILD=build tests/fuzz/make-seeds.sh
# Files named crash-* or regress-* in the corpus folders are kept: they are
# inputs that once crashed a target (see docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BUILD:-build}/bin
C=tests/fuzz/corpus
tmp=$(mktemp -d /tmp/rnnpipe-seeds-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for t in jsonl csv gzip wordpiece vocab tokfile dataset labelmap opts tseries tspred model tsfile; do
	mkdir -p "$C/$t"
	find "$C/$t" -type f -name 'seed-*' -delete
done

# seed TARGET NAME CTLBYTE(octal or empty) CONTENT...: one file, the control
# byte (when given) followed by the content (printf %b escapes allowed)
seed() {
	local t=$1 name=$2 ctl=$3
	shift 3
	{ [ -n "$ctl" ] && printf "\\$ctl"; printf '%b' "$@"; } >"$C/$t/seed-$name"
}

# ---- JSON Lines (control byte: see tests/fuzz/fuzz_dump.h) ----
J1='{"text": "Фильм отстой. Не советую смотреть.", "label_text": "negative"}\n'
J2='{"text": "Отличный фильм!", "label_text": "positive", "split": "train"}\n'
J3='{"text": "Так себе", "label": 1}\n'
seed jsonl plain 000 "$J1$J2$J3"
seed jsonl raw 020 "$J1$J2$J1$J3"
seed jsonl smallmax 002 "$J1"'{"text": "a", "label_text": "positive"}\n'
seed jsonl textonly 001 '{"review": "x"}\n{"review": "y", "sentiment": "good"}\n'
seed jsonl named 004 '{"review": "Хорошо", "sentiment": "pos", "split": "test"}\n'
seed jsonl crlf-bom 040 '\xef\xbb\xbf{"text": "a\\r\\nb", "label_text": "neg"}\r\n\r\n{"text": "c", "label_text": 2}\r\n'
seed jsonl types 000 '{"text": 5, "label_text": "x"}\n{"text": "x", "label_text": [1]}\n{"text": null}\n[1,2]\n"s"\n{"text": "x", "label_text": "x", "split": "other"}\n{"text": "x", "label_text": ""}\n'
seed jsonl dupkeys 020 '{"text": "a", "text": "b", "label_text": "positive", "label_text": "negative"}\n{"text": "u\\u0000v\\ud83d\\ude00", "label_text": "positive"}\n'
seed jsonl nesting 000 '{"text": "a", "label_text": "positive", "x": [[[[[[[[[[{"a": {}}]]]]]]]]]]}\n{"text": "a", "label_text": 123456789012345678901234567890}\n{"text": "a", "label_text": 1e400}\n'
seed jsonl broken 000 '{"text": "good fi\nlm", "label_text": "positive"}\n{"text": "\xff\xfe", "label_text": "x"}\n{"text": "a"'
seed jsonl split-off 010 '{"text": "a", "label": "bad", "split": 3}\n'

# ---- CSV / TSV ----
seed csv plain 000 'text,label\n"Фильм отстой, не советую",negative\nОтличный фильм,positive\n'
seed csv multiline 000 'id,review,sentiment,split\n1,"строка 1\nстрока 2 ""в кавычках""",good,train\n2,x,bad,\n3,y,neutral,test\n'
seed csv quotes 000 'text,label\n"unbalanced,negative\nok,positive\na"b,positive\n"a"b,neg\n'
seed csv fields 000 'text,label\na\na,b,c\n,\n"",""\n'
seed csv crlf-bom 000 '\xef\xbb\xbftext,label\r\n"a\r\nb",positive\r\n\r\n'
seed csv tsv 040 'text\tlabel\tsplit\nхорошо\tpositive\tvalidation\nплохо\tnegative\ttrain\n'
seed csv auto-tsv 100 'text\tlabel\na\t1\n'
seed csv smallmax 002 'text,label\n"'"$(printf 'x%.0s' {1..60})"'",positive\nb,negative\n'
seed csv textonly 001 'comment_text\nодин\n"два\nтри"\n'
seed csv cp1251 000 'text,label\n\xcf\xeb\xee\xf5\xee\xe9 \xf4\xe8\xeb\xfc\xec,negative\n'
seed csv noheader 000 '\n\n'

# ---- gzip: 0x80 = compress the rest here; else the rest is the .gz file ----
seed gzip comp-jsonl 200 "$J1$J2"
seed gzip comp-csv 300 'text,label\na,positive\n'
printf '\000' >"$C/gzip/seed-stream-jsonl"
printf '%b' "$J1$J2$J3" | gzip -9n >>"$C/gzip/seed-stream-jsonl"
printf '\100' >"$C/gzip/seed-stream-csv"
printf 'text,label\n"a\nb",positive\n' | gzip -1n >>"$C/gzip/seed-stream-csv"
printf '\000' >"$C/gzip/seed-truncated"
printf '%b' "$J1$J2$J3$J1$J2" | gzip -9n | head -c 60 >>"$C/gzip/seed-truncated"
printf '\000' >"$C/gzip/seed-two-members"
{ printf '%b' "$J1" | gzip -n; printf '%b' "$J2" | gzip -n; } >>"$C/gzip/seed-two-members"
seed gzip plain 000 "$J1"

# ---- WordPiece: control byte (tokenizer options, max_len, side), text ----
seed wordpiece ru 000 'Фильм отстой. Не советую смотреть.'
seed wordpiece mixed 015 'The film, ФИЛЬМЫ!! 中文 café e\xcc\x81 [SEP] [CLS]x \t\r\n\x00 \xc2\xa0 ##a'
seed wordpiece long 034 "$(printf 'фильмы%.0s' {1..40}) a b c"
seed wordpiece bad 001 'ok \xd0 bad'
seed wordpiece nfc 002 'e\xcc\x81 й и\xcc\x86 \xef\xbf\xbd \xe2\x80\x8b'

# ---- vocab.txt ----
seed vocab small '' '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nфильм\n##ы\n.\n'
seed vocab crlf '' '[UNK]\r\na\r\n##b\r\nb'
seed vocab dup '' '[UNK]\na\na\n'
seed vocab nounk '' 'a\nb\n'
seed vocab badutf8 '' '[UNK]\n\xff\n'
seed vocab empty-lines '' '[UNK]\n\n\n##\n#\n'

# ---- labelmap: spec NUL labels (newline separated) ----
seed labelmap binary '' 'binary\0positive\nneg\n 0 \nNeutral\nunknown\n'
seed labelmap 3class '' '3class\0good\nbad\n1\n2\n'
seed labelmap custom '' 'отлично=pos, плохо = neg ,meh=drop\0отлично\nПЛОХО\nmeh\n'
seed labelmap bad '' 'a=b=c,=x,y=\0a\n'
seed labelmap many '' "$(for i in $(seq 1 20); do printf 'k%d=c%d,' "$i" "$i"; done)z=drop\0k3\n"

# ---- opts: control byte (min/max args), argv split at NUL ----
seed opts ok 020 '--quiet\0--output\0out.tok\0--max-len=128\0in.jsonl\0--tok\0a\0--tok=b\0--lr\x001e-3'
seed opts bad 011 '--max-len\0-5\0--lr=nan\0--truncation=middle\0--\0--quiet'
seed opts help 000 '-h'
seed opts unknown 000 '--nope\0-x\0-\0--quiet=1\0--output'

# ---- time-series CSV: two control bytes (value column, time column:
# 0 default, 1 + 4k header field k, 2 "value"/"time", 3 ""/"none";
# fuzz_tseries.c), then the file ----
seed tseries airline 000 '\000month,passengers\n1949-01,112\n1949-02,118\n1949-03,132\n'
seed tseries one-column 000 '\000value\n1\n2.5\n -3e2 \n'
seed tseries by-index 011 '\001date,store,sales\n2020-01-01,a,1\n2020-01-02,a,2\n2020-01-03,b,4\n'
seed tseries named 002 '\002value,time\n5,a\n6,b\n7,c\n'
seed tseries no-time 005 '\003time,value\n1,2\n1,3\n'
seed tseries semicolon 000 '\000t;v\n1;1,5\n2;2,5\n'
seed tseries tsv 200 '\000t\tv\n10:00\t1\n10:01\t\t\n'
seed tseries blank-lines 000 '\000\n \ntime,value\n\n1,1\n\n \t\n2,2\n3,3\n\n\n'
seed tseries quotes-bom 000 '\000\xef\xbb\xbf"t","v"\r\n"1","2"\r\n"2\n3","3"\r\n'
seed tseries bad-values 000 '\000value\n0x10\nnan\ninf\n1e999\n\n'
seed tseries time-order 000 '\000time,value\n2020-01-02,1\n2020-01-01,2\n'
seed tseries fields 000 '\000a,b\n1,2,3\n4\n"5,6\n'
seed tseries empty-time 000 '\000t,v\n,1\n'

# ---- ts-metrics --predictions: control byte (examples ctl % 8, horizon
# 1 + (ctl >> 3) % 4; fuzz_tspred.c), then the file ----
seed tspred ok 012 '1.5 2\n# a comment\n\n3,4\n'
seed tspred tabs 011 '\t-1e3\t2.5e-3\t\r\n'
seed tspred commas 021 ',1,,2,3,\n'
seed tspred not-finite 002 '1\nnan\n'
seed tspred count 001 '1 2\n'
seed tspred lines 001 '1\n2\n'
seed tspred hex 001 '0x10\n'

# ---- token files and dataset.h5: made by the programs on a tiny dump ----
[ -x "$BIN/tokenize" ] && [ -x "$BIN/pack-hdf5" ] || {
	echo "make-seeds: build the programs first (make BUILD=$BIN/..)"; exit 1; }
printf '%s\n' '[PAD]' '[UNK]' '[CLS]' '[SEP]' '[MASK]' good film bad '##s' . plot boring \
	>"$tmp/vocab.txt"
for i in $(seq 1 12); do
	printf '{"text": "good film %d", "label_text": "positive"}\n' "$i"
	printf '{"text": "bad plot %d.", "label_text": "negative"}\n' "$i"
done >"$tmp/d.jsonl"
# relative names: the token files record their sources
BIN=$(cd "$BIN" && pwd)
(
	cd "$tmp"
	$BIN/tokenize --vocab vocab.txt --max-len 8 --quiet --output d.tok d.jsonl
	$BIN/filter-relabel --quiet --output m.tok d.tok
	$BIN/split --quiet --fractions 50/25/25 --train train.tok --validation validation.tok \
		--test test.tok m.tok
	$BIN/pack-hdf5 --quiet --chunk-rows 4 --out ds.h5 train.tok validation.tok test.tok
	$BIN/pack-hdf5 --quiet --chunk-rows 2 --deflate 0 --no-checksum --dtype uint16 \
		--bucket-window 4 --out ds2.h5 train.tok validation.tok test.tok
	# a tiny classifier and its checkpoint, a time-series dataset (with
	# time labels) and a regression model with its checkpoint
	T="--quiet --device cpu --progress none --epochs 1 --batch 4 --hidden 2"
	$BIN/train $T --data ds.h5 --vocab vocab.txt --cell lstm --embed 3 --model model.h5 \
		--checkpoint ckpt.h5 --log log.jsonl --summary train.json
	{ echo 'date,value'; for i in $(seq 10 39); do echo "2020-01-$i,$((i * 7 % 11))"; done; } \
		| sed 's/-01-3/-02-0/' >series.csv
	$BIN/ts-prepare --quiet --csv series.csv --window 3 --horizon 2 --season 4 --chunk-rows 4 \
		--out ts.h5
	$BIN/ts-prepare --quiet --synthetic 40 --window 4 --deflate 0 --out ts2.h5
	$BIN/train $T --task regress --data ts.h5 --cell gru --model tsmodel.h5 \
		--checkpoint tsckpt.h5 --log log.jsonl --summary train.json
)
cp "$tmp/d.tok" "$C/tokfile/seed-tokenized"
cp "$tmp/test.tok" "$C/tokfile/seed-split"
# dataset: a mode byte (0: as is, 1: sealed again, 2 + 4v: a recipe on
# base file v made by the target; +4 in the first two: shuffled;
# fuzz_dataset.c)
for m in 0 1; do
	{ printf "\\00$m"; cat "$tmp/ds.h5"; } >"$C/dataset/seed-default-$m"
	{ printf "\\00$m"; cat "$tmp/ds2.h5"; } >"$C/dataset/seed-plain-$m"
done
# model and tsfile: a mode byte (0: as is, 1: sealed again, 2 + 4v: a
# recipe on base file v made by the target; fuzz_model.c, fuzz_tsfile.c)
for f in model ckpt tsmodel tsckpt; do
	for m in 0 1; do
		{ printf "\\00$m"; cat "$tmp/$f.h5"; } >"$C/model/seed-$f-$m"
	done
done
for f in ts ts2; do
	for m in 0 1; do
		{ printf "\\00$m"; cat "$tmp/$f.h5"; } >"$C/tsfile/seed-$f-$m"
	done
done
# recipes (fuzz_h5edit.h): opcode, then arguments.  Base files: model
# classify (v 0), checkpoint classify (1), model regress (2), checkpoint
# regress (3); +4 gru... (see base_fill_meta)
seed model recipe-as-made 002 ''
seed model recipe-ckpt 006 ''
seed model recipe-regress 012 ''
seed model recipe-regress-ckpt 016 ''
# hidden set to 65536 (edge value 13) on a model: tensors disagree
seed model recipe-hidden 002 '\000\010\015'
# vocab and vocab_size 2975 (8 raw bytes after 0100), the embedding
# (2975 x 3) declared in float32 without storage
V='\100\237\013\000\000\000\000\000\000'
seed model recipe-vocab 002 "\000\005$V\000\017$V"'\007\000\220\376\003'
# label_names with three names for two outputs
seed model recipe-labels 002 '\003\015\003\001a\001b\001c'
# a NaN weight in fc.bias (written, one value set)
seed model recipe-nan 002 '\007\377\007fc.bias\050\002\001\020'
# a checkpoint's epoch position past its batches
seed model recipe-position 006 '\000\051\011\000\052\003'
# dataset.h5: as made (v 0: 5 training rows of max_len 5; 1: bucketed;
# 2: uint16 ids; 8: max_len 8; 16: three labels; 32: chunks of 2), and
# train/ids declared int32 (5, 5) but never written
seed dataset recipe-as-made 002 ''
seed dataset recipe-bucket 006 ''
seed dataset recipe-uint16 012 ''
seed dataset recipe-three 102 ''
seed dataset recipe-chunk2 202 ''
seed dataset recipe-hollow-ids 002 '\007\000\222\005\005'
# the time-series dataset: series_length and split_bounds agreeing on a
# length the stored series does not have
seed tsfile recipe-as-made 002 ''
seed tsfile recipe-times 042 ''
seed tsfile recipe-length 002 '\000\015\016\005\017\004\000\003\004\016'
seed tsfile recipe-window 002 '\000\004\023'
seed tsfile recipe-index 002 '\007\002\010\005'
seed tsfile recipe-std 002 '\001\011\000'
du -sh "$C"/* | sed 's/^/make-seeds: /'
