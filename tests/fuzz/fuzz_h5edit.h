/* fuzz_h5edit.h - builds an HDF5 input from fuzz bytes for the targets of
 * the project's HDF5 readers (fuzz_model.c, fuzz_tsfile.c).
 *
 * Mutating the bytes of an HDF5 file mostly breaks the checksums of HDF5
 * 1.10's object headers, where datasets' shapes and numeric attributes
 * live, so byte mutation tests HDF5 and the seal far more than the
 * project's checks of what a file says.  A recipe instead takes a valid
 * file the target made and applies edits read from the fuzz bytes through
 * the HDF5 API: attributes set (any type: int, double, string, arrays) or
 * deleted, datasets replaced (any rank and dims, stored in full, or
 * declared only so that a small file claims a huge tensor, in a chosen
 * type) or deleted, objects added.  The file is then sealed, as a faulty
 * writer or a crafted file would be, and handed to the reader.
 *
 * A recipe is a list of edits; each starts with an opcode byte, then its
 * arguments.  Names are picked by index from lists the target gives.
 */
#ifndef RNNPIPE_FUZZ_H5EDIT_H
#define RNNPIPE_FUZZ_H5EDIT_H

#include <math.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "h5util.h"

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz_in *in)
{
	return fuzz_take_byte(&in->p, &in->n);
}

static inline uint64_t fz_u64(struct fz_in *in)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)fz_u8(in) << (8 * i);
	return v;
}

/* An integer: a byte below 32 picks an edge value, else 8 raw bytes. */
static inline int64_t fz_int(struct fz_in *in)
{
	static const int64_t edge[32] = {
		0, 1, -1, 2, 3, 4, 5, 7, 8, 16, 255, 256, 65535, 65536, 65537,
		(1 << 20), (1 << 20) + 1, (1 << 24), (1 << 24) + 1, INT32_MAX,
		(int64_t)INT32_MAX + 1, INT32_MIN, (int64_t)UINT32_MAX, (int64_t)1 << 40,
		(int64_t)1 << 53, INT64_MAX, INT64_MIN, -2, 6, 10, 1000, 100000,
	};
	uint8_t b = fz_u8(in);
	if (b < 32)
		return edge[b];
	if (b < 64)
		return (int64_t)(b - 48);
	return (int64_t)fz_u64(in);
}

static inline double fz_double(struct fz_in *in)
{
	static const double edge[16] = {0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, 1e308, -1e308,
					1.7976931348623157e308, 4.9e-324, 2.0, 100.0,
					0.25, 0.75, 0.999, 1e-9};
	uint8_t b = fz_u8(in);
	if (b < 16)
		return edge[b];
	if (b == 16)
		return NAN;
	if (b == 17)
		return INFINITY;
	if (b == 18)
		return -INFINITY;
	if (b < 64)
		return (double)(b - 40);
	uint64_t u = fz_u64(in);
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

/* A string of up to 255 bytes (length byte first) into buf (NUL-ended; a
 * NUL inside cuts it, as HDF5's C strings would). */
static inline const char *fz_str(struct fz_in *in, char *buf)
{
	size_t len = fz_u8(in), i = 0;
	for (; i < len && in->n; i++)
		buf[i] = (char)fz_u8(in);
	buf[i] = '\0';
	return buf;
}

/* A dimension: small values mostly, some huge. */
static inline hsize_t fz_dim(struct fz_in *in)
{
	static const hsize_t big[8] = {65536, 65537, 1 << 20, (hsize_t)1 << 31,
				       (hsize_t)1 << 32, (hsize_t)1 << 40, 2975, 1000000};
	uint8_t b = fz_u8(in);
	if (b < 200)
		return b % 20;
	return big[b % 8];
}

/* The lists of names a target gives: attributes of the root, datasets
 * (paths from the root), groups where datasets and attributes go. */
struct fz_names {
	const char *const *attrs;
	int n_attrs;
	const char *const *dsets;
	int n_dsets;
	const char *const *groups; /* "/" first */
	int n_groups;
};

/* The names of three static arrays. */
#define FZ_NAMES(attrs, dsets, groups)                                                     \
	((struct fz_names){attrs, sizeof(attrs) / sizeof(attrs[0]), dsets,                 \
			   sizeof(dsets) / sizeof(dsets[0]), groups,                        \
			   sizeof(groups) / sizeof(groups[0])})

static inline const char *fz_pick(struct fz_in *in, const char *const *names, int n, char *buf)
{
	uint8_t b = fz_u8(in);
	if (b == 255)
		return fz_str(in, buf); /* any name */
	return names[b % n];
}

/* Replaces (or creates) dataset name under loc: type, rank, dims, and
 * whether its values are written (then at most 1 << 16 elements). */
static void fz_dataset(hid_t loc, const char *name, struct fz_in *in)
{
	uint8_t how = fz_u8(in);
	int ti = (how & 7) % 6;
	/* HDF5's type ids are set at run time */
	const hid_t file_type = ti == 0 ? H5T_IEEE_F32LE : ti == 1 ? H5T_IEEE_F64LE
			      : ti == 2 ? H5T_STD_I32LE : ti == 3 ? H5T_STD_I64LE
			      : ti == 4 ? H5T_IEEE_F32BE : H5T_STD_U8LE;
	const hid_t mem_type = ti == 0 || ti == 4 ? H5T_NATIVE_FLOAT : ti == 1 ? H5T_NATIVE_DOUBLE
			     : ti == 2 ? H5T_NATIVE_INT32 : ti == 3 ? H5T_NATIVE_INT64
			     : H5T_NATIVE_UINT8;
	int rank = (how >> 3) & 3;
	int store = how >> 5; /* 0-3 written, 4-5 declared only, 6 chunked fill, 7 none */
	hsize_t dims[3] = {1, 1, 1};
	uint64_t numel = 1;
	for (int i = 0; i < rank; i++) {
		dims[i] = fz_dim(in);
		numel = dims[i] && numel > UINT64_MAX / dims[i] ? UINT64_MAX : numel * dims[i];
	}
	if (H5Lexists(loc, name, H5P_DEFAULT) > 0)
		H5Ldelete(loc, name, H5P_DEFAULT);
	H5Eclear2(H5E_DEFAULT);
	if (store == 7)
		return;
	hid_t space = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
	hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
	if (store == 6 && rank) {
		hsize_t chunk[3];
		for (int i = 0; i < rank; i++)
			chunk[i] = dims[i] ? (dims[i] < 64 ? dims[i] : 64) : 1;
		H5Pset_chunk(dcpl, rank, chunk);
		double fill = fz_double(in);
		H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &fill);
	}
	hid_t d = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	if (d >= 0 && store < 4 && numel <= (1 << 16)) {
		/* values: a pattern, then a few set from the input */
		size_t n = (size_t)numel, es = H5Tget_size(mem_type);
		unsigned char *buf = calloc(n ? n : 1, 8);
		if (buf) {
			for (size_t i = 0; i < n; i++) {
				double v = (double)((i * 7) % 13) / 13.0 - 0.5;
				if (ti == 0 || ti == 4) {
					float f = (float)v;
					memcpy(buf + i * es, &f, es);
				} else if (ti == 1) {
					memcpy(buf + i * es, &v, es);
				} else if (ti == 5) {
					buf[i] = (unsigned char)i;
				} else {
					int64_t k = (int64_t)i;
					int32_t k32 = (int32_t)i;
					memcpy(buf + i * es, ti == 3 ? (void *)&k : (void *)&k32, es);
				}
			}
			for (int k = store; k > 0 && n; k--) {
				size_t at = fz_u8(in) % n;
				double v = fz_double(in);
				if (ti == 0 || ti == 4) {
					float f = (float)v;
					memcpy(buf + at * es, &f, es);
				} else if (ti == 1) {
					memcpy(buf + at * es, &v, es);
				} else {
					int64_t x = fz_int(in);
					memcpy(buf + at * es, &x, es); /* little-endian: the low bytes */
				}
			}
			H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
			free(buf);
		}
	}
	if (d >= 0)
		H5Dclose(d);
	H5Pclose(dcpl);
	H5Sclose(space);
	H5Eclear2(H5E_DEFAULT);
}

/* Applies the recipe in *in to the open, writable file f. */
static void fz_edit(hid_t f, const struct fz_names *nm, struct fz_in *in)
{
	char nbuf[256], sbuf[256];
	for (int edits = 0; in->n && edits < 64; edits++) {
		uint8_t op = fz_u8(in);
		const char *gname = nm->groups[(op >> 4) % nm->n_groups];
		hid_t g = strcmp(gname, "/") ? H5Gopen2(f, gname, H5P_DEFAULT) : f;
		if (g < 0) {
			H5Eclear2(H5E_DEFAULT);
			g = H5Gcreate2(f, gname, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
			if (g < 0) {
				H5Eclear2(H5E_DEFAULT);
				continue;
			}
		}
		switch (op % 10) {
		case 0: /* an integer attribute */ {
			const char *a = fz_pick(in, nm->attrs, nm->n_attrs, nbuf);
			h5_attr_write_int(g, a, fz_int(in));
			break;
		}
		case 1: /* a double attribute */ {
			const char *a = fz_pick(in, nm->attrs, nm->n_attrs, nbuf);
			h5_attr_write_double(g, a, fz_double(in));
			break;
		}
		case 2: /* a string attribute */ {
			const char *a = fz_pick(in, nm->attrs, nm->n_attrs, nbuf);
			h5_attr_write_str(g, a, fz_str(in, sbuf));
			break;
		}
		case 3: /* an array of strings */ {
			const char *a = fz_pick(in, nm->attrs, nm->n_attrs, nbuf);
			size_t n = fz_u8(in) % 40;
			char *s[40];
			for (size_t i = 0; i < n; i++) {
				char b[256];
				s[i] = strdup(fz_str(in, b));
			}
			h5_attr_write_strs(g, a, (const char *const *)s, n);
			for (size_t i = 0; i < n; i++)
				free(s[i]);
			break;
		}
		case 4: /* an array of doubles */ {
			const char *a = fz_pick(in, nm->attrs, nm->n_attrs, nbuf);
			size_t n = fz_u8(in) % 12;
			double v[12];
			for (size_t i = 0; i < n; i++)
				v[i] = fz_double(in);
			h5_attr_write_doubles(g, a, v, n);
			break;
		}
		case 5: /* an array of integers */ {
			const char *a = fz_pick(in, nm->attrs, nm->n_attrs, nbuf);
			size_t n = fz_u8(in) % 12;
			int64_t v[12];
			for (size_t i = 0; i < n; i++)
				v[i] = fz_int(in);
			h5_attr_write_ints(g, a, v, n);
			break;
		}
		case 6: /* no attribute */ {
			const char *a = fz_pick(in, nm->attrs, nm->n_attrs, nbuf);
			if (H5Aexists(g, a) > 0)
				H5Adelete(g, a);
			break;
		}
		case 7: /* a dataset replaced: path from the root */
		case 8: {
			const char *d = fz_pick(in, nm->dsets, nm->n_dsets, nbuf);
			fz_dataset(f, d, in);
			break;
		}
		default: /* an object removed, or a group added */ {
			const char *d = fz_pick(in, nm->dsets, nm->n_dsets, nbuf);
			if (fz_u8(in) & 1) {
				hid_t ng = H5Gcreate2(g, d, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
				if (ng >= 0)
					H5Gclose(ng);
			} else if (H5Lexists(f, d, H5P_DEFAULT) > 0) {
				H5Ldelete(f, d, H5P_DEFAULT);
			}
			break;
		}
		}
		H5Eclear2(H5E_DEFAULT);
		if (g != f)
			H5Gclose(g);
	}
}

/* Reads the file at path (a base file the target just wrote) into *bytes
 * (malloc'd), *len, and removes it; aborts on failure (the harness's own
 * file). */
static void fz_slurp(const char *path, unsigned char **bytes, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END))
		abort();
	*len = (size_t)ftell(f);
	*bytes = malloc(*len);
	rewind(f);
	if (!*bytes || fread(*bytes, 1, *len, f) != *len)
		abort();
	fclose(f);
	unlink(path);
}

/* Writes base (a sealed file the target made) to scratch slot 0, applies
 * the recipe and seals the result.  Returns its path, or NULL when HDF5
 * could not make it (nothing to read then). */
static const char *fz_build(const void *base, size_t base_len, const struct fz_names *nm,
			    struct fz_in *in)
{
	const char *path = fuzz_write_scratch(0, ".h5", base, base_len);
	h5_init_thread();
	hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	if (f < 0) {
		H5Eclear2(H5E_DEFAULT);
		return NULL;
	}
	fz_edit(f, nm, in);
	if (H5Fclose(f) < 0) {
		H5Eclear2(H5E_DEFAULT);
		return NULL;
	}
	if (h5_seal(path))
		abort(); /* the harness's file: it must seal */
	return path;
}

/* A recipe's base file: the bytes of a small valid file the target made,
 * and the names its recipes pick from. */
struct fz_base {
	unsigned char *bytes;
	size_t len;
	struct fz_names names;
};

/* The target's base file v (0..63), made on its first use. */
typedef const struct fz_base *(*fz_base_fn)(int v);

/* The file a target reads for its input (data, size) after the mode byte
 * ctl: ctl & 3 == 0, the bytes as an HDF5 file as they are (the seal
 * refuses mutations); 1, the same sealed again, so that what passes the
 * seal reaches the checks of what a file says; 2 or 3, a recipe on base
 * file ctl >> 2 (fz_build).  Its path, or NULL: nothing to read. */
static const char *fz_input(uint8_t ctl, const uint8_t *data, size_t size, fz_base_fn base)
{
	if ((ctl & 3) >= 2) {
		const struct fz_base *b = base((ctl >> 2) & 63);
		struct fz_in in = {data, size};
		return fz_build(b->bytes, b->len, &b->names, &in);
	}
	const char *path = fuzz_write_scratch(0, ".h5", data, size);
	if ((ctl & 1) && size >= H5_SEAL_BYTES && h5_seal(path))
		abort();
	return path;
}

#endif
