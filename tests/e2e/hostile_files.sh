#!/usr/bin/env bash
# Hostile files given to the stages: empty and zero-length dumps (plain,
# gzip, whitespace only, a BOM only), a dump that is a folder, a symlink
# loop, a dangling symlink, a file the user may not read (as root, run as
# 'nobody' through setpriv, since root reads any file), an empty or folder
# vocabulary, and token files that are empty or folders for the later
# stages.  Each fails with exit 1 and a message naming the file, leaves the
# previous artifact unchanged and no temporary file.
set -euo pipefail
. "$(dirname "$0")/hostile-lib.bash"

# -- empty dumps of every kind
: >"$tmp/zero.jsonl"
: >"$tmp/zero.csv"
: >"$tmp/zero.tsv"
printf '' | gzip -n >"$tmp/empty.jsonl.gz"
: >"$tmp/zero.jsonl.gz"
printf ' \n\n\t\r\n' >"$tmp/blank.jsonl"
printf '\xef\xbb\xbf' >"$tmp/bom.csv"
for f in zero.jsonl zero.csv zero.tsv empty.jsonl.gz zero.jsonl.gz blank.jsonl bom.csv; do
	tok_over_prev "empty dump $f" 1 "$tmp/$f"
	expect_err "$tmp/$f: empty file (no records)"
	expect_json "$tmp/t.json" 'd["status"]' failed
done

# -- not a file
mkdir "$tmp/folder.jsonl"
tok_over_prev "dump is a folder" 1 "$tmp/folder.jsonl"
expect_err "cannot read '$tmp/folder.jsonl': Is a directory"
ln -s loop-b.jsonl "$tmp/loop-a.jsonl"
ln -s loop-a.jsonl "$tmp/loop-b.jsonl"
tok_over_prev "symlink loop" 1 "$tmp/loop-a.jsonl"
expect_err "cannot open '$tmp/loop-a.jsonl': Too many levels of symbolic links"
ln -s nowhere.jsonl "$tmp/dangling.jsonl"
tok_over_prev "dangling symlink" 1 "$tmp/dangling.jsonl"
expect_err "cannot open '$tmp/dangling.jsonl': No such file or directory"
# a pipe (process substitution, or /dev/stdin fed by a pipe): a token file
# needs the dump read twice (byte hash, then reviews), so it is refused as
# such (it used to be reported as an "empty file"); --print-ids alone
# reads it once and works
tok_over_prev "dump is a pipe" 1 <(cat "$tmp/prev.jsonl")
expect_err "is a pipe or device, not a file: writing a token file reads the dump twice"
expect_json "$tmp/t.json" 'd["status"]' failed
run $T --print-ids <(cat "$tmp/prev.jsonl")
expect_rc 0 "--print-ids from a pipe"
[ "$(wc -l <"$tmp/out")" -eq 2 ] || fail "--print-ids from a pipe: $(cat "$tmp/out")"
# --print-ids into a reader that goes away (| head): SIGPIPE kills the
# run like SIGTERM, and like SIGTERM it removes its temporary token file
# (it was left behind: <name>.tmp.<pid>)
for i in $(seq 1 100000); do echo "$GOOD"; done >"$tmp/many.jsonl" # ids: 1.8 MB, over any stdout buffer and the pipe
rm -rf "$tmp/pipe" && mkdir "$tmp/pipe"
set +e
$T --print-ids --output "$tmp/pipe/many.tok" "$tmp/many.jsonl" 2>/dev/null | head -n 1 >/dev/null
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 141 ] || fail "--print-ids | head: exit $rc, want 141 (SIGPIPE)"
[ -z "$(ls -A "$tmp/pipe")" ] || fail "--print-ids | head left: $(ls "$tmp/pipe")"
# a good dump next to a bad one: the run fails, nothing is written
printf '%s\n' "$GOOD" >"$tmp/ok.jsonl"
mkdir -p "$tmp/outs"
run $T --out-dir "$tmp/outs" "$tmp/ok.jsonl" "$tmp/folder.jsonl"
expect_rc 1 "a folder among the dumps"
no_temp "$tmp/outs"

# -- vocabulary: empty, a folder
: >"$tmp/empty-vocab.txt"
run "$BIN/tokenize" --vocab "$tmp/empty-vocab.txt" --print-ids "$tmp/prev.jsonl"
expect_rc 1 "empty vocabulary"
expect_err "$tmp/empty-vocab.txt: empty vocabulary file"
run "$BIN/tokenize" --vocab "$tmp/folder.jsonl" --print-ids "$tmp/prev.jsonl"
expect_rc 1 "vocabulary is a folder"
expect_err "'$tmp/folder.jsonl' is not a regular file"

# -- a file this user may not read.  Root reads anything, so as root the
# stage runs as 'nobody' (setpriv); the check then means what it means for
# a cron job of an ordinary user.
mkdir "$tmp/perm"
cp "$tmp/prev.jsonl" "$VOCAB" "$tmp/prev.tok" "$tmp/perm/"
chmod 000 "$tmp/perm/prev.jsonl"
chmod 777 "$tmp/perm"
chmod 644 "$tmp/perm/vocab.txt" "$tmp/perm/prev.tok"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
		chmod 711 "$tmp"
		as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
		"${as_user[@]}" test -x "$BIN/tokenize" ||
			{ echo "SKIP: 'nobody' cannot run $BIN/tokenize (folder permissions)"; exit 77; }
	else
		echo "SKIP: running as root without setpriv or user 'nobody': root reads unreadable files"
		exit 77
	fi
fi
sum_before=$(sha256sum <"$tmp/perm/prev.tok")
run "${as_user[@]}" "$BIN/tokenize" --vocab "$tmp/perm/vocab.txt" --quiet \
	--output "$tmp/perm/prev.tok" "$tmp/perm/prev.jsonl"
expect_rc 1 "unreadable dump"
expect_err "cannot open '$tmp/perm/prev.jsonl': Permission denied"
[ "$(sha256sum <"$tmp/perm/prev.tok")" = "$sum_before" ] || fail "unreadable dump: artifact changed"
no_temp "$tmp/perm"
# an output folder the user may not write: exit 1, a clear message
mkdir "$tmp/ro"
chmod 555 "$tmp/ro"
chmod 644 "$tmp/perm/prev.jsonl"
run "${as_user[@]}" "$BIN/tokenize" --vocab "$tmp/perm/vocab.txt" --quiet \
	--output "$tmp/ro/x.tok" "$tmp/perm/prev.jsonl"
expect_rc 1 "output folder not writable"
expect_err "cannot create '$tmp/ro/x.tok': Permission denied"

# -- an output named as an input (a slip of the hand or of tab completion):
# refused, the input unchanged.  tokenize used to replace the dump itself
# with its token file (exit 0), learn-vocab with the vocabulary.
cp "$tmp/prev.jsonl" "$tmp/in.jsonl"
IN_SUM=$(sha256sum <"$tmp/in.jsonl")
ln -s in.jsonl "$tmp/in-link.jsonl"
for out in "$tmp/in.jsonl" "$tmp/./in.jsonl" "$tmp/in-link.jsonl"; do
	run $T --output "$out" "$tmp/in.jsonl"
	expect_rc 1 "tokenize --output $out (its own dump)"
	expect_err "'$out' is an input of this run; refusing to replace it with an output"
	[ "$(sha256sum <"$tmp/in.jsonl")" = "$IN_SUM" ] || fail "tokenize --output $out replaced the dump"
done
run $T --output "$tmp/in.tok" --stats "$tmp/in.jsonl" "$tmp/in.jsonl"
expect_rc 1 "tokenize --stats on its own dump"
[ "$(sha256sum <"$tmp/in.jsonl")" = "$IN_SUM" ] || fail "tokenize --stats replaced the dump"
cp "$VOCAB" "$tmp/v2.txt"
run $T --vocab "$tmp/v2.txt" --output "$tmp/v2.txt" "$tmp/in.jsonl"
expect_rc 1 "tokenize --output on its vocabulary"
cmp -s "$VOCAB" "$tmp/v2.txt" || fail "tokenize --output replaced the vocabulary"
run "$BIN/learn-vocab" --quiet --size 10 --output "$tmp/in.jsonl" "$tmp/in.jsonl"
expect_rc 1 "learn-vocab --output on its own dump"
[ "$(sha256sum <"$tmp/in.jsonl")" = "$IN_SUM" ] || fail "learn-vocab replaced the dump"
cp "$tmp/prev.tok" "$tmp/in.tok"
run "$BIN/filter-relabel" --quiet --output "$tmp/in.tok" "$tmp/in.tok"
expect_rc 1 "filter-relabel --output on its input"
[ "$(sha256sum <"$tmp/in.tok")" = "$PREV_SUM" ] || fail "filter-relabel replaced its input"
no_temp "$tmp"

# -- two outputs of one run that are the same file, under any spelling:
# refused before any work, naming both, and the file there is kept.
# tokenize --output x --stats ./x used to replace the token file with the
# stats (exit 0), then wrote the token file and refused the stats (exit 1).
mkdir -p "$tmp/two"
ln -s two "$tmp/two-link"
for stats in "$tmp/two/x.tok" "$tmp/two/./x.tok" "$tmp/two-link/x.tok"; do
	cp "$tmp/prev.tok" "$tmp/two/x.tok"
	run $T --output "$tmp/two/x.tok" --stats "$stats" "$tmp/in.jsonl"
	expect_rc 1 "tokenize --output x --stats $stats"
	expect_err "'$tmp/two/x.tok' and '$stats' are the same file; give each output its own name"
	[ "$(sha256sum <"$tmp/two/x.tok")" = "$PREV_SUM" ] ||
		fail "tokenize --stats $stats replaced the token file"
done
# the same for any stage: learn-vocab's vocabulary and its stats
printf '[PAD]\n' >"$tmp/two/v.txt"
run "$BIN/learn-vocab" --quiet --size 10 --output "$tmp/two/v.txt" --stats "$tmp/two/./v.txt" \
	"$tmp/in.jsonl"
expect_rc 1 "learn-vocab --output v --stats ./v"
expect_err "'$tmp/two/./v.txt' and '$tmp/two/v.txt' are the same file"
[ "$(cat "$tmp/two/v.txt")" = "[PAD]" ] || fail "learn-vocab --output v --stats ./v replaced v"
no_temp "$tmp/two"

# -- token files for the later stages: empty, a folder, a dump
: >"$tmp/empty.tok"
for bad in "$tmp/empty.tok" "$tmp/folder.jsonl" "$tmp/prev.jsonl"; do
	cp "$tmp/prev.tok" "$tmp/merged.tok"
	run "$BIN/filter-relabel" --quiet --output "$tmp/merged.tok" "$bad"
	expect_rc 1 "filter-relabel on $bad"
	expect_err "'$bad'"
	[ "$(sha256sum <"$tmp/merged.tok")" = "$PREV_SUM" ] || fail "filter-relabel on $bad: artifact changed"
	run "$BIN/split" --quiet --train "$tmp/merged.tok" --validation "$tmp/v.tok" --test "$tmp/te.tok" "$bad"
	expect_rc 1 "split on $bad"
	[ "$(sha256sum <"$tmp/merged.tok")" = "$PREV_SUM" ] || fail "split on $bad: artifact changed"
done
mkdir "$tmp/sp"
: >"$tmp/sp/train.tok"
run "$BIN/pack-hdf5" --quiet --out "$tmp/ds.h5" "$tmp/sp/train.tok"
expect_rc 1 "pack-hdf5 on an empty train.tok"
expect_err "'$tmp/sp/train.tok': not a token-record file"
[ ! -e "$tmp/ds.h5" ] || fail "pack-hdf5 left a dataset"
no_temp "$tmp"
echo "ok"
