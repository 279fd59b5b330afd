/* h5util.h - checked HDF5 helpers: files, groups, typed attributes and
 * datasets, for every HDF5 file the project reads or writes (dataset.h5,
 * model.h5).
 *
 * Every HDF5 call goes through H5CALL, which turns a negative return into
 * one error() line naming the HDF5 function, the project's call site and the
 * innermost message of HDF5's error stack; HDF5's own stack printing is
 * turned off (per thread: see h5_init_thread).  Nothing here exits, and
 * nothing here knows the project's file layouts (that is dsfile.h).
 */
#ifndef RNNPIPE_H5UTIL_H
#define RNNPIPE_H5UTIL_H

#include <errno.h>
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Turns off HDF5's automatic error printing for the calling thread (the
 * setting is per thread in thread-safe builds of HDF5).  (HDF5's exit
 * handler is switched off before main: see h5util.c.)  Every function
 * below calls it; call it yourself before raw HDF5 calls in a new thread. */
void h5_init_thread(void);

/* Returns rc unchanged when rc >= 0.  Otherwise prints
 * "H5Dread failed at common/x.c:42: <innermost HDF5 message>", clears the
 * HDF5 error stack and returns -1.  Works for hid_t, herr_t and htri_t. */
/* errno is cleared first: HDF5 does not say that an allocation failed in
 * every message (zlib's inflateInit: "Unable to initialize object"), and
 * malloc's ENOMEM tells it. */
#define H5CALL(expr) (errno = 0, h5_check_at((hid_t)(expr), #expr, __FILE__, __LINE__))
hid_t h5_check_at(hid_t rc, const char *expr, const char *file, int line);

/* Writes "'file.h5':/group/name" for an open object into buf; returns buf. */
const char *h5_name(hid_t obj, char *buf, size_t size);

/* ---- files and groups ---- */

/* Creates (truncates) path for writing.  The file format is pinned to
 * HDF5 1.10 (checksummed metadata; readable by HDF5 >= 1.10 and h5py),
 * and objects made through h5util carry no timestamps, so the same content
 * gives the same bytes.  The file starts with an empty user block of
 * H5_SEAL_BYTES for h5_seal().  Returns a file id or -1 after error(). */
hid_t h5_create(const char *path);

/* Opens an existing file read-only (writable = 0) or read-write.  A missing
 * file, a file that is not HDF5 and a truncated file are each an error()
 * naming path.  Returns a file id or -1. */
hid_t h5_open(const char *path, int writable);

/* ---- seals: a whole-file checksum in the user block ----
 *
 * Files made by h5_create() start with a 512-byte user block (HDF5 and h5py
 * skip it).  h5_seal() writes into it, after the file is closed and before
 * it is renamed into place, one text line
 *     rnnpipe-h5seal 1 size=<bytes> crc32=<8 hex digits>\n
 * (zero-padded to 512 bytes): the file's size and the CRC-32 of every byte
 * after the user block.  h5_seal_check() compares both before HDF5 reads
 * anything, so a flipped bit anywhere (including HDF5's global heap, whose
 * corruption HDF5 does not detect: it may loop forever or hand back wrong
 * strings) or a truncated file is reported instead of used. */
#define H5_SEAL_BYTES 512

/* Seals the closed file at path (made by h5_create).  Returns 0 or -1
 * after error(). */
int h5_seal(const char *path);

/* Checks the seal of path.  A file without one (a user block of zeros, or
 * none: made by other tools) is accepted when required is 0 and refused
 * when 1.  Returns 0 (sealed and intact, or unsealed and allowed), or -1
 * after one error() naming path and the reason (the caller says how to
 * rebuild the file). */
int h5_seal_check(const char *path, int required);

/* Closes any id (file, group, dataset, attribute, type, space, plist).
 * Negative ids are ignored.  Returns 0, or -1 after error(). */
int h5_close(hid_t id);

/* Creates group name under loc (no timestamps).  Returns its id or -1. */
hid_t h5_group_create(hid_t loc, const char *name);
/* Opens group name under loc; a missing group is an error() naming the
 * file and the group.  Returns its id or -1. */
hid_t h5_group_open(hid_t loc, const char *name);

/* 1 when the link name exists under loc (each component of a path such as
 * "train/ids" is checked in turn), 0 when not, -1 on error. */
int h5_exists(hid_t loc, const char *name);

/* ---- attributes (on a file, group or dataset) ----
 * Writers replace an existing attribute of the same name.  Strings are
 * variable-length UTF-8 (h5py reads them as str).  Readers accept any
 * integer (or float) storage type and convert; a missing attribute, a wrong
 * class or a wrong shape is an error() naming the object and attribute. */

int h5_attr_exists(hid_t obj, const char *name); /* 1, 0, or -1 */
/* The string type of those attributes (variable-length UTF-8), for
 * datasets of strings too.  A new type id (H5Tclose it), or -1. */
hid_t h5_str_type(void);

int h5_attr_write_int(hid_t obj, const char *name, int64_t v);     /* int64 */
int h5_attr_write_double(hid_t obj, const char *name, double v);   /* float64 */
int h5_attr_write_str(hid_t obj, const char *name, const char *s);
/* 1-D arrays of n values (n may be 0). */
int h5_attr_write_ints(hid_t obj, const char *name, const int64_t *v, size_t n);
int h5_attr_write_doubles(hid_t obj, const char *name, const double *v, size_t n);
int h5_attr_write_strs(hid_t obj, const char *name, const char *const *s, size_t n);

int h5_attr_read_int(hid_t obj, const char *name, int64_t *out);
int h5_attr_read_double(hid_t obj, const char *name, double *out);
/* *out is malloc'd (free()). Fixed-length and variable-length strings. */
int h5_attr_read_str(hid_t obj, const char *name, char **out);
/* *out is malloc'd (free()); *n receives the count.  A scalar reads as one. */
int h5_attr_read_ints(hid_t obj, const char *name, int64_t **out, size_t *n);
int h5_attr_read_doubles(hid_t obj, const char *name, double **out, size_t *n);
/* *out is a malloc'd array of *n malloc'd strings: h5_strs_free(). */
int h5_attr_read_strs(hid_t obj, const char *name, char ***out, size_t *n);
void h5_strs_free(char **s, size_t n);

/* ---- datasets ---- */

/* How a new dataset is stored.  chunk == NULL: contiguous, no filters
 * (the other fields are then ignored).  Filters run in the order
 * shuffle -> deflate -> fletcher32 on write. */
struct h5_layout {
	const hsize_t *chunk; /* (rank) chunk dims */
	int deflate;          /* zlib level 1-9; 0 = no compression */
	int shuffle;          /* byte-shuffle filter (helps deflate on ints) */
	int fletcher32;       /* per-chunk checksum: a flipped byte is an error */
	const void *fill;     /* fill value in file_type's layout, or NULL */
};

/* Creates dataset name under loc with fixed dims.  lay may be NULL
 * (contiguous).  Returns a dataset id or -1 after error(). */
hid_t h5_dataset_create(hid_t loc, const char *name, hid_t file_type, int rank,
			const hsize_t *dims, const struct h5_layout *lay);

/* Opens dataset name under loc (a missing dataset is an error() naming the
 * file and the path).  cache_bytes bounds this dataset's chunk cache
 * (H5Pset_chunk_cache): H5_CACHE_DEFAULT keeps HDF5's default (1 MiB),
 * H5_CACHE_ONE_CHUNK holds exactly one chunk (for readers that read whole
 * chunks once each), 0 disables it, anything else is a size in bytes.
 * Returns a dataset id or -1. */
#define H5_CACHE_DEFAULT ((size_t)-1)
#define H5_CACHE_ONE_CHUNK ((size_t)-2)
hid_t h5_dataset_open(hid_t loc, const char *name, size_t cache_bytes);

/* Bytes of one uncompressed chunk (0 for a contiguous dataset), or -1. */
int64_t h5_dataset_chunk_bytes(hid_t dset);

/* Rank and dims (at most max_rank) of an open dataset; 0 or -1. */
int h5_dataset_shape(hid_t dset, int *rank, hsize_t *dims, int max_rank);
/* Checks rank and dims against the expected ones; a mismatch is an error()
 * naming the dataset, the expected and the actual shape.  A negative
 * expected dim matches anything.  Returns 0 or -1. */
int h5_dataset_check_shape(hid_t dset, int rank, const int64_t *dims);

/* Checks that every value of an open dataset is held in this file, for
 * readers that size allocations from attributes: a dataset declared but
 * never written reads back as fill values whatever its shape, and one in
 * HDF5 external files (e.g. /dev/zero) or a virtual one is not in this
 * file.  A dataset of no elements passes.  0, or -1 after error() naming
 * the file and the dataset ("its values are not stored in the file",
 * "its values were never written in full"). */
int h5_dataset_check_stored(hid_t dset);

/* Whole-dataset write and read; buf holds every element in mem_type. */
int h5_dataset_write(hid_t dset, hid_t mem_type, const void *buf);
int h5_dataset_read(hid_t dset, hid_t mem_type, void *buf);

/* Rows [row0, row0 + n) of the first dimension, every other dimension
 * whole; buf is contiguous (n x the rest).  Returns 0 or -1 (error()). */
int h5_dataset_write_rows(hid_t dset, hid_t mem_type, hsize_t row0, hsize_t n,
			  const void *buf);
int h5_dataset_read_rows(hid_t dset, hid_t mem_type, hsize_t row0, hsize_t n,
			 void *buf);

/* Create-and-write of a whole array in one call (h5_write_array(f,
 * "fc.weight", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, w)).  Returns 0
 * or -1 after error(). */
int h5_write_array(hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
		   int rank, const hsize_t *dims, const void *data);

/* Check, allocate, read: dataset name under loc must have the shape dims
 * (every dim >= 0) and every value stored in the file
 * (h5_dataset_check_stored) before anything is allocated, so a reader
 * may take dims from attributes: a few kB whose attributes declare 2^31
 * values are refused, not allocated.  *out: a new buffer (free()) of
 * every element in mem_type, at least one element long; NULL on error.
 * Returns 0 or -1 after error() naming the dataset. */
int h5_read_array_alloc(hid_t loc, const char *name, hid_t mem_type, int rank,
			const int64_t *dims, void **out);

#endif
