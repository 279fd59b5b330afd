/* test_toksynth.c - the synthetic token files of the benchmarks and of
 * test_batches: the options it refuses, each record framed [CLS] ... [SEP]
 * with only pieces between, untruncated when max_len is 0, the shortest
 * review 3 ids, the share of the last label, and real id sequences (their
 * own [CLS] and [SEP] stripped, ids outside the vocabulary refused).
 * Needs no shared material. */
#include "testutil.h"

#include "capture.h"
#include "tokfile.h"
#include "toksynth.h"

struct stats {
	uint64_t n, positive, at_min;
	uint32_t min_full, max_full;
};

/* Reads path back, checking each record's framing; counts into *s. */
static void read_back(const char *path, struct stats *s, uint32_t vocab, const uint32_t *only,
		      int n_only)
{
	memset(s, 0, sizeof(*s));
	s->min_full = UINT32_MAX;
	struct tokreader *r = tokreader_open(path);
	assert_non_null(r);
	struct tokrec rec;
	int rc;
	while ((rc = tokreader_next(r, &rec)) == 1) {
		s->n++;
		assert_true(rec.n_ids >= 2 && rec.n_ids <= rec.n_full);
		assert_int_equal(rec.ids[0], TOKSYNTH_CLS);
		assert_int_equal(rec.ids[rec.n_ids - 1], TOKSYNTH_SEP);
		for (uint32_t t = 1; t + 1 < rec.n_ids; t++) {
			uint32_t id = rec.ids[t];
			assert_true(id != TOKSYNTH_CLS && id != TOKSYNTH_SEP && id < vocab);
			if (only) {
				int ok = 0;
				for (int k = 0; k < n_only; k++)
					ok |= id == only[k];
				assert_true(ok);
			} else {
				assert_true(id >= 1000);
			}
		}
		s->positive += rec.label == 1;
		s->min_full = rec.n_full < s->min_full ? rec.n_full : s->min_full;
		s->max_full = rec.n_full > s->max_full ? rec.n_full : s->max_full;
	}
	assert_int_equal(rc, 0);
	tokreader_close(r);
}

static void test_options_refused(void **state)
{
	(void)state;
	struct toksynth_opts o = TOKSYNTH_OPTS_DEFAULT;
	o.count = 10;
	const char *path = test_path("refused.tok");
	capture_begin();
	o.vocab_size = 1999;
	assert_int_equal(toksynth_write(path, &o), -1);
	o.vocab_size = 2000;
	o.n_labels = 1;
	assert_int_equal(toksynth_write(path, &o), -1);
	o.n_labels = 4;
	assert_int_equal(toksynth_write(path, &o), -1);
	const char *txt = capture_end();
	assert_non_null(strstr(txt, "at least 2000 ids"));
	o.n_labels = 2;
	assert_int_equal(toksynth_write(path, &o), 0); /* the edge is accepted */
}

static void test_records(void **state)
{
	(void)state;
	struct toksynth_opts o = TOKSYNTH_OPTS_DEFAULT;
	o.count = 3000;
	o.max_len = 0; /* no truncation */
	o.len_mu = 3.0;
	o.len_sigma = 0.8;
	o.vocab_size = 5000;
	o.pos_fraction = 0.8;
	const char *path = test_path("records.tok");
	assert_int_equal(toksynth_write(path, &o), 0);
	struct stats s;
	read_back(path, &s, o.vocab_size, NULL, 0);
	assert_int_equal(s.n, 3000);
	assert_close((double)s.positive / s.n, 0.8, 0.03);
	assert_true(s.max_full > 100); /* untruncated: exp(3 + 0.8 z) reaches far */
	/* the shortest review is [CLS] piece [SEP] */
	o.len_mu = -3;
	o.count = 200;
	o.pos_fraction = 0.1;
	assert_int_equal(toksynth_write(path, &o), 0);
	read_back(path, &s, o.vocab_size, NULL, 0);
	assert_int_equal(s.min_full, 3);
	assert_int_equal(s.max_full, 3);
	assert_true(s.positive < 40);
}

static void test_real_ids(void **state)
{
	(void)state;
	const char *jsonl = test_path("ids.jsonl");
	const char *lines = "{\"ids\": [101, 5000, 102, 5001, 5002, 102]}\n"
			    "{\"ids_full\": [101, 5003, 102]}\n";
	write_file(jsonl, lines, strlen(lines));
	struct toksynth_opts o = TOKSYNTH_OPTS_DEFAULT;
	o.count = 100;
	o.max_len = 0;
	o.vocab_size = 6000;
	o.ids_from = jsonl;
	const char *path = test_path("real.tok");
	assert_int_equal(toksynth_write(path, &o), 0);
	struct stats s;
	const uint32_t only[4] = {5000, 5001, 5002, 5003};
	read_back(path, &s, o.vocab_size, only, 4);
	assert_int_equal(s.n, 100);
	assert_int_equal(s.min_full, 3);
	assert_int_equal(s.max_full, 5); /* 3 pieces, [CLS] and [SEP] */
	/* an id outside the vocabulary */
	o.vocab_size = 5002;
	capture_begin();
	assert_int_equal(toksynth_write(path, &o), -1);
	assert_non_null(strstr(capture_end(), "outside the vocabulary"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_refused),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_real_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
