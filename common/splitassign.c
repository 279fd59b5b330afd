/* splitassign.c - hash -> split (see splitassign.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "splitassign.h"
#include "tokfile.h"

int split_fracs_parse(const char *s, struct split_fracs *f)
{
	double v[3];
	const char *p = s;
	for (int i = 0; i < 3; i++) {
		char *end;
		errno = 0;
		v[i] = strtod(p, &end);
		if (errno || end == p || !isfinite(v[i]) || v[i] < 0)
			return error("--fractions '%s': expected TRAIN/VALIDATION/TEST, e.g. 80/10/10", s);
		p = end;
		if (i < 2) {
			if (*p != '/' && *p != ',' && *p != ':')
				return error("--fractions '%s': expected TRAIN/VALIDATION/TEST, e.g. 80/10/10", s);
			p++;
		}
	}
	if (*p)
		return error("--fractions '%s': expected TRAIN/VALIDATION/TEST, e.g. 80/10/10", s);
	double sum = v[0] + v[1] + v[2];
	double scale;
	if (fabs(sum - 100) < 1e-6)
		scale = 100;
	else if (fabs(sum - 1) < 1e-6)
		scale = 1;
	else
		return error("--fractions '%s': the three parts sum to %g, not 100 (or 1)", s, sum);
	f->train = v[0] / scale;
	f->validation = v[1] / scale;
	f->test = v[2] / scale;
	return 0;
}

int split_assign(uint64_t hash, const struct split_fracs *f)
{
	double u = (double)(hash >> 11) * 0x1.0p-53; /* [0, 1), 53 bits */
	if (u < f->train)
		return SPLIT_TRAIN;
	if (u < f->train + f->validation)
		return SPLIT_VALIDATION;
	return SPLIT_TEST;
}
