#!/usr/bin/env python3
"""tests/e2e/h5_reseal_edit.py FILE CODE - edits a sealed HDF5 file of the
project as a faulty writer would leave it: runs CODE (Python, with f the
file opened "r+" by h5py, np numpy, h5py) on FILE, then writes the seal
line again (the first 512 bytes: "rnnpipe-h5seal 1 size=N crc32=X" over
the bytes after them, common/h5util.c), so the readers get past the seal
and meet the edited content.  Used by the e2e scripts that refuse such
files (h5py_dataset.sh, fault_corrupt.sh, timeseries_h5py.sh)."""
import sys
import zlib

import h5py
import numpy as np  # noqa: F401 (for CODE)

path, code = sys.argv[1], sys.argv[2]
with h5py.File(path, "r+") as f:
    exec(code)
d = bytearray(open(path, "rb").read())
line = b"rnnpipe-h5seal 1 size=%d crc32=%08x\n" % (len(d), zlib.crc32(bytes(d[512:])))
d[:512] = line.ljust(512, b"\0")
open(path, "wb").write(bytes(d))
