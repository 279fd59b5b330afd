#!/usr/bin/env bash
# tests/e2e/report_render.sh - the fixture report renders in a real browser:
# scripts/render-report (headless Chromium) must write a PNG of the whole
# page that is not blank.  SKIPs when Chromium is not installed.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FX=tests/fixtures/report
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
	{ echo "SKIP: no chromium (apt-get install -y chromium)"; exit 77; }
for f in "$BUILD/bin/report" "$BUILD/tests/test_report"; do
	[ -x "$f" ] || { echo "FAIL: $f missing (run make test BUILD=$BUILD)"; exit 1; }
done
T=$(mktemp -d /tmp/rnnpipe-render-XXXXXX)
fail() { echo "FAIL: $*"; echo "(files in $T)"; exit 1; }
"$BUILD/tests/test_report" --write-tok $FX/texts.tsv "$T" 600 || fail "fixture writer"
"$BUILD/bin/report" --quiet --train-log $FX/train-log.jsonl --train-json $FX/train.json \
	--metrics $FX/metrics.json --predictions $FX/predictions.tsv --history $FX/history.jsonl \
	--split-dir "$T" --tok-stats $FX/tok-a.stats.json --filter-stats $FX/filter.stats.json \
	--html "$T/report.html" --md "" || fail "report: exit $?"
scripts/render-report "$T/report.html" "$T/report.png" 1200 || fail "render-report: exit $?"
/usr/bin/python3 - "$T/report.png" <<'PY' || fail "bad screenshot"
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
print("screenshot %dx%d, %d bytes" % (w, h, len(data)))
assert w == 1200, w
assert h > 3000, "page shorter than expected: %d px" % h
assert len(data) > 100000, "too small to hold the report: %d bytes" % len(data)
try:
    from PIL import Image
    im = Image.open(sys.argv[1]).convert("RGB").resize((300, h // 4))
    colours = len(set(im.getdata()))
    print("%d distinct colours" % colours)
    assert colours > 50, "looks blank"
except ImportError:
    pass
PY
rm -rf "$T"
echo "report_render: ok"
