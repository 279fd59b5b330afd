#!/usr/bin/env bash
# bench/gpu-prepare.sh - run on the BUILD machine (no GPU needed) right before
# a GPU session: builds the library, the CUDA tests (kernels, model, and the
# train/evaluate loops on --device cuda), the kernel sandbox and the stage
# programs (with the shared dumps and vocabulary, for bench/gpu-pipeline.sh)
# for the H200 (CUDA_ARCH=sm_90) into build-gpu/, checks that they hold
# sm_90 code, bundles them with the shared libraries the GPU machine lacks
# into .device/ (../shared/tools/device-bundle; git-ignored), and prints the
# device tool call.  The kernel benchmarks use synthetic batches; only the
# pipeline run needs data, copied into .device/data/ (../shared never
# travels on its own).
#   bench/gpu-prepare.sh            (BUILD=build-gpu by default)
# Run it in the checkout the device tool sends (the session's own repo).
set -euo pipefail
top=$(git rev-parse --show-toplevel)
cd "$top"
BUILD=${BUILD:-build-gpu}
SHARED=${SHARED:-$top/../shared}
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
[ -x "$NVCC" ] || { echo "gpu-prepare: nvcc not found (set NVCC)" >&2; exit 1; }
CUDA_HOME=${CUDA_HOME:-$(dirname "$(dirname "$NVCC")")}
bundle=$SHARED/tools/device-bundle
[ -x "$bundle" ] || { echo "gpu-prepare: '$bundle' not found (set SHARED)" >&2; exit 1; }

stages="tokenize filter-relabel split pack-hdf5 train evaluate report"
make BUILD="$BUILD" CUDA_ARCH=sm_90 HAVE_CUDA=1 NVCC="$NVCC" -j2 \
	"$BUILD/lib/librnnpipe.a" "$BUILD/tests/test_cuda_kernels" "$BUILD/tests/test_cuda_train" \
	"$BUILD/tests/test_cuda_trainloop" $(for s in $stages; do echo "$BUILD/bin/$s"; done)

# the sandbox: not part of the Makefile (bench/ programs are built by hand);
# the same flags as the Makefile's for C, plus the CUDA libraries
pkgs=$(cat mk/pkgs)
mkdir -p "$BUILD/bench"
cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wshadow -Wno-unused-parameter -pthread \
	-DRNNPIPE_CUDA=1 -Icommon -Ikernels -Itests $(pkg-config --cflags $pkgs) \
	bench/cuda_sandbox.c "$BUILD/lib/librnnpipe.a" $(pkg-config --libs $pkgs) -lcsv \
	-L"$CUDA_HOME/lib64" -Wl,-rpath,"$CUDA_HOME/lib64" -lcublas -lcudart -lstdc++ -lm \
	-o "$BUILD/bench/cuda_sandbox"

# sm_90 machine code must be in there (a PTX-only or sm_75 build would run
# without the cluster kernels)
cuobjdump=$CUDA_HOME/bin/cuobjdump
if [ -x "$cuobjdump" ]; then
	if ! "$cuobjdump" --list-elf "$BUILD/tests/test_cuda_kernels" | grep -q sm_90; then
		echo "gpu-prepare: no sm_90 code in $BUILD/tests/test_cuda_kernels" >&2
		exit 1
	fi
	echo "gpu-prepare: sm_90 code present ($("$cuobjdump" --list-elf "$BUILD/tests/test_cuda_kernels" | wc -l) cubins)"
fi

"$bundle" "$BUILD/tests/test_cuda_kernels" "$BUILD/tests/test_cuda_train" \
	"$BUILD/tests/test_cuda_trainloop" "$BUILD/bench/cuda_sandbox" \
	$(for s in $stages; do echo "$BUILD/bin/$s"; done)

# the pipeline run (bench/gpu-pipeline.sh) needs the shared dumps and the
# mBERT vocabulary: copied into the bundle (ignored, carried, never committed)
dumps=$SHARED/data/kinopoisk/dumps
vocab=$SHARED/vocab/bert-base-multilingual-cased/vocab.txt
if [ -d "$dumps" ] && [ -f "$vocab" ]; then
	mkdir -p .device/data/dumps
	cp "$dumps"/* .device/data/dumps/
	cp "$vocab" .device/data/vocab.txt
	# make all's settings, for the stages run without make there
	make -s --no-print-directory BUILD="$BUILD" print-pipeline-vars DEVICE=cuda |
		grep "^[A-Z_]*='" >.device/data/pipeline.env
else
	echo "gpu-prepare: no shared dumps or vocabulary; bench/gpu.sh will skip the pipeline run" >&2
fi
# the programs are mostly sm_90 machine code, which xz shrinks about 14x
# (33 MB to 2.3 MB): without that the bundle passes the 64 MiB carry limit
tar -C .device -cJf .device/bin.tar.xz bin && rm -rf .device/bin
cat >>.device/env.sh <<'EOS'
mkdir -p /tmp/devbin && tar -C /tmp/devbin --strip-components=1 -xJf "$_dev/bin.tar.xz"
export PATH=/tmp/devbin:$PATH
EOS
size=$(du -sm .device | cut -f1)
echo "gpu-prepare: .device is ${size} MiB (the working tree plus carried paths must stay under 64 MiB)"
cat <<'EOF'

Now, in the GPU session, one device tool call:
  run(command = "bash bench/gpu.sh", carry = [".device"], timeout_s = 540)
It prints a summary and leaves summary.txt and logs.tar.gz (every log, the JSON
lines, pipeline/) in $OUT (fetched back; the tool returns at most 8 files).
To rerun without a misbehaving variant:
  run(command = "CUDA_TEST_VARIANTS=ref,global,smem bash bench/gpu.sh", carry = [".device"], timeout_s = 540)
EOF
