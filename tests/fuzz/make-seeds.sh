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
for t in jsonl csv gzip wordpiece vocab tokfile dataset labelmap opts; do
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
)
cp "$tmp/d.tok" "$C/tokfile/seed-tokenized"
cp "$tmp/test.tok" "$C/tokfile/seed-split"
# dataset: a mode byte (even: as is, odd: sealed again; fuzz_dataset.c)
for m in 0 1; do
	{ printf "\\00$m"; cat "$tmp/ds.h5"; } >"$C/dataset/seed-default-$m"
	{ printf "\\00$m"; cat "$tmp/ds2.h5"; } >"$C/dataset/seed-plain-$m"
done
du -sh "$C"/* | sed 's/^/make-seeds: /'
