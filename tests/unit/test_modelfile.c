/* test_modelfile.c - model.h5 and checkpoint files: a save/load round trip
 * keeps every tensor bit for bit and every attribute (extras, embedded
 * vocabulary, normalisation); the root holds only state_dict tensors;
 * loading fails with a message naming the file for a missing tensor, a
 * wrong shape, a stray dataset, a foreign file, a wrong version, sizes
 * past the ceilings or past the stored tensors (before allocating); the
 * checkpoint keeps Adam state, best weights and the loop state, and the
 * position inside an epoch (format 2; format 1 files read as at an epoch
 * boundary; a bad position or a newer format is refused); a checkpoint
 * gets the model file's tensor checks (attributes against the stored
 * shapes, missing and stray tensors, in every group); a failed save
 * leaves nothing behind.  Cases added by the mutation audit of modelfile.c
 * (each check there fails a test when dropped or loosened): bad hashes,
 * format 0, label counts, vocab_size, every special id, the last weight,
 * a regression model's labels and normalisation, each position check,
 * the fingerprint, a missing Adam group, the extras' limits, inference
 * models refused by the checkpoint functions. */
#include "testutil.h"

#include <math.h>
#include <sys/stat.h>

#include "capture.h"
#include "h5util.h"
#include "modelfile.h"

static struct rnn_config cfg(enum rnn_cell cell, int layers, int bidir)
{
	return (struct rnn_config){.cell = cell, .task = RNN_TASK_CLASSIFY, .vocab = 50,
				   .embed = 6, .input_size = 6, .hidden = 5, .layers = layers,
				   .bidirectional = bidir, .outputs = 3, .pool = RNN_POOL_MEAN};
}

static void fill_meta(struct model_meta *m, struct rnn_config c)
{
	memset(m, 0, sizeof(*m));
	m->cfg = c;
	const char *names[3] = {"negative", "neutral", "positive"};
	for (int i = 0; i < 3; i++)
		m->labels[m->n_labels++] = strdup(names[i]);
	m->vocab_hash = 0x0123456789abcdefULL;
	m->vocab_size = 50;
	m->pad_id = 0;
	m->unk_id = 1;
	m->cls_id = 2;
	m->sep_id = 3;
	m->max_len = 64;
	m->truncation = strdup("head+tail");
	m->producer = strdup("test");
	m->dataset = strdup("artifacts/dataset.h5");
	m->dataset_hash = 0xfedcba9876543210ULL;
	m->vocab_text = strdup("[PAD]\n[UNK]\n[CLS]\n[SEP]\nфильм\n");
	m->vocab_len = strlen(m->vocab_text);
	m->vocab_path = strdup("vocab.txt");
	m->best_epoch = 4;
	double nums[2] = {1.5, -2};
	assert_int_equal(model_meta_set_extra(m, "series", "airline", NULL, 0), 0);
	assert_int_equal(model_meta_set_extra(m, "window_stats", NULL, nums, 2), 0);
	assert_int_equal(model_meta_set_extra(m, "cell", "x", NULL, 0), -1); /* reserved */
}

static float *random_params(const struct rnn_layout *l, uint64_t seed)
{
	float *p = rnn_alloc_floats(l->total);
	rnn_params_init(l, p, seed);
	return p;
}

static void same_tensors(const struct rnn_layout *l, const float *a, const float *b)
{
	for (int i = 0; i < l->n_tensors; i++)
		assert_memory_equal(a + l->tensors[i].offset, b + l->tensors[i].offset,
				    l->tensors[i].numel * sizeof(float));
}

static void test_round_trip(void **state)
{
	(void)state;
	enum rnn_cell cells[3] = {RNN_CELL_RNN, RNN_CELL_LSTM, RNN_CELL_GRU};
	for (int k = 0; k < 3; k++) {
		struct model_meta m, back;
		fill_meta(&m, cfg(cells[k], 2, k != 1));
		struct rnn_layout l;
		assert_int_equal(rnn_layout_build(&m.cfg, &l), 0);
		float *p = random_params(&l, 7 + k);
		const char *path = test_path("model.h5");
		assert_int_equal(modelfile_save(path, &m, p), 0);
		float *q = modelfile_load(path, &back);
		assert_non_null(q);
		same_tensors(&l, p, q);
		assert_int_equal(back.cfg.cell, cells[k]);
		assert_int_equal(back.cfg.layers, 2);
		assert_int_equal(back.cfg.bidirectional, k != 1);
		assert_int_equal(back.cfg.pool, RNN_POOL_MEAN);
		assert_int_equal(back.n_labels, 3);
		assert_string_equal(back.labels[2], "positive");
		assert_true(back.vocab_hash == m.vocab_hash);
		assert_true(back.dataset_hash == m.dataset_hash);
		assert_int_equal(back.max_len, 64);
		assert_int_equal(back.cls_id, 2);
		assert_string_equal(back.truncation, "head+tail");
		assert_string_equal(back.vocab_text, m.vocab_text);
		assert_int_equal(back.vocab_len, m.vocab_len);
		assert_string_equal(back.vocab_path, "vocab.txt");
		assert_int_equal(back.best_epoch, 4);
		const struct model_extra *e = model_meta_extra(&back, "series");
		assert_non_null(e);
		assert_string_equal(e->str, "airline");
		e = model_meta_extra(&back, "window_stats");
		assert_non_null(e);
		assert_int_equal(e->n, 2);
		assert_true(e->nums[0] == 1.5 && e->nums[1] == -2);
		/* the root holds exactly the layout's tensors */
		hid_t f = h5_open(path, 0);
		H5G_info_t gi;
		assert_true(H5Gget_info(f, &gi) >= 0);
		assert_int_equal((int)gi.nlinks, l.n_tensors);
		hid_t d = h5_dataset_open(f, "rnn.weight_hh_l1_reverse", H5_CACHE_DEFAULT);
		if (k != 1) {
			int rank;
			hsize_t dims[2];
			assert_true(d >= 0);
			assert_int_equal(h5_dataset_shape(d, &rank, dims, 2), 0);
			assert_int_equal(rank, 2);
			assert_int_equal(dims[0], rnn_cell_gates(cells[k]) * 5);
			assert_int_equal(dims[1], 5);
			h5_close(d);
		}
		h5_close(f);
		/* copy keeps everything */
		struct model_meta cp;
		assert_int_equal(model_meta_copy(&cp, &back), 0);
		assert_string_equal(cp.vocab_text, back.vocab_text);
		assert_string_equal(model_meta_extra(&cp, "series")->str, "airline");
		model_meta_free(&cp);
		model_meta_free(&back);
		model_meta_free(&m);
		free(p);
		free(q);
	}
}

/* Saves a model to name, lets damage() change it, expects loading to fail
 * with a message that names the file and contains want. */
static void expect_load_error_of(const struct model_meta *m, const char *name,
				 void (*damage)(hid_t f), const char *want)
{
	struct model_meta back;
	struct rnn_layout l;
	assert_int_equal(rnn_layout_build(&m->cfg, &l), 0);
	float *p = random_params(&l, 1);
	char path[4096]; /* own copy: capture_begin() recycles test_path()'s */
	snprintf(path, sizeof(path), "%s", test_path(name));
	assert_int_equal(modelfile_save(path, m, p), 0);
	hid_t f = h5_open(path, 1);
	assert_true(f >= 0);
	damage(f);
	h5_close(f);
	/* changed after it was written: the integrity seal refuses it */
	capture_begin();
	float *q = modelfile_load(path, &back);
	const char *txt = capture_end();
	assert_null(q);
	assert_non_null(strstr(txt, path));
	assert_non_null(strstr(txt, "re-run train to rebuild it"));
	assert_null(strstr(txt, want)); /* refused before HDF5 read it */
	/* sealed again (as a faulty writer would leave it): the layout checks */
	assert_int_equal(h5_seal(path), 0);
	capture_begin();
	q = modelfile_load(path, &back);
	txt = capture_end();
	assert_null(q);
	assert_non_null(strstr(txt, path));
	assert_non_null(strstr(txt, want));
	/* every line names the file, the first (the reason) too: it used to
	 * say only "not an rnnpipe model file", the file one line later */
	for (const char *line = txt; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char one[2048];
		snprintf(one, sizeof(one), "%.*s", (int)len, line);
		if (!strstr(one, path))
			fail_msg("a message without the file name: %s", one);
		line += len + (nl != NULL);
	}
	free(p);
}

static void expect_load_error(const char *name, void (*damage)(hid_t f), const char *want)
{
	struct model_meta m;
	fill_meta(&m, cfg(RNN_CELL_GRU, 1, 0));
	expect_load_error_of(&m, name, damage, want);
	model_meta_free(&m);
}

static void drop_fc(hid_t f)
{
	assert_true(H5Ldelete(f, "fc.weight", H5P_DEFAULT) >= 0);
}
static void reshape_emb(hid_t f)
{
	assert_true(H5Ldelete(f, "embedding.weight", H5P_DEFAULT) >= 0);
	float z[50 * 7] = {0};
	hsize_t dims[2] = {50, 7};
	assert_int_equal(h5_write_array(f, "embedding.weight", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
					2, dims, z),
			 0);
}
static void stray(hid_t f)
{
	float z[2] = {0};
	hsize_t dims[1] = {2};
	assert_int_equal(
		h5_write_array(f, "fc2.bias", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dims, z), 0);
}
static void foreign(hid_t f)
{
	assert_int_equal(h5_attr_write_str(f, "format", "rnnpipe-dataset"), 0);
}
static void future(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "format_version", 99), 0);
}
static void no_hidden(hid_t f)
{
	assert_true(H5Adelete(f, "hidden") >= 0);
}

/* NaN and infinite weights: predict printed "negative nan" and evaluate
 * wrote metrics of a model that outputs NaN, both exiting 0 */
static void nan_weight(hid_t f)
{
	assert_true(H5Ldelete(f, "fc.bias", H5P_DEFAULT) >= 0);
	float v[3] = {0.5f, NAN, 0};
	hsize_t dims[1] = {3};
	assert_int_equal(h5_write_array(f, "fc.bias", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dims, v),
			 0);
}
static void inf_weight(hid_t f)
{
	struct rnn_layout l;
	struct rnn_config c = cfg(RNN_CELL_GRU, 1, 0);
	assert_int_equal(rnn_layout_build(&c, &l), 0);
	const struct rnn_tensor *t = rnn_layout_find(&l, "embedding.weight");
	float *w = calloc(t->numel, sizeof(float));
	w[t->cols + 2] = -INFINITY;
	assert_true(H5Ldelete(f, t->name, H5P_DEFAULT) >= 0);
	hsize_t dims[2] = {(hsize_t)t->rows, (hsize_t)t->cols};
	assert_int_equal(h5_write_array(f, t->name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, w),
			 0);
	free(w);
}

/* a special id past the embedding: predict failed in the forward pass
 * ("token id ... outside the vocabulary"), naming no file */
static void cls_past_vocab(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "cls_id", 50), 0);
}

/* sizes no model has: predict and evaluate allocated what they said
 * ("out of memory allocating N MiB", naming no file; a sanitizer build
 * aborted) before the tensors' shapes were compared with them */
static void huge_vocab(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "vocab", INT32_MAX), 0);
	assert_int_equal(h5_attr_write_int(f, "vocab_size", INT32_MAX), 0);
}
static void huge_hidden(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "hidden", 5000000), 0);
}
static void big_hidden(hid_t f) /* under the ceiling, over the tensors */
{
	assert_int_equal(h5_attr_write_int(f, "hidden", 65536), 0);
}
static void huge_max_len(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "max_len", INT32_MAX), 0);
}

/* (the mutation audit: each check below was dropped or loosened without a
 * test failing) */
static void hash_short(hid_t f)
{
	assert_int_equal(h5_attr_write_str(f, "vocab_hash", "0123456789abcde"), 0);
}
static void hash_not_hex(hid_t f)
{
	assert_int_equal(h5_attr_write_str(f, "vocab_hash", "0123456789abcdeg"), 0);
}
static void version0(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "format_version", 0), 0);
}
static void two_labels(hid_t f)
{
	const char *names[2] = {"negative", "positive"};
	assert_int_equal(h5_attr_write_strs(f, "label_names", names, 2), 0);
}
static void vocab_size_off(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "vocab_size", 49), 0);
}
static void sep_past_vocab(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "sep_id", 50), 0);
}
static void nan_last_weight(hid_t f) /* the last value of the last tensor */
{
	assert_true(H5Ldelete(f, "fc.bias", H5P_DEFAULT) >= 0);
	float v[3] = {0.5f, 0, NAN};
	hsize_t dims[1] = {3};
	assert_int_equal(h5_write_array(f, "fc.bias", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dims, v),
			 0);
}
static void no_layers(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "layers", 0), 0);
}
static void bidir2(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "bidirectional", 2), 0);
}
/* more unknown attributes than a model_meta holds: the message did not
 * name the file (error() where the other readers' use file_error()) */
static void many_extras(hid_t f) /* fill_meta's 2 extras and 15 more */
{
	for (int i = 0; i < MODEL_MAX_EXTRA - 1; i++) {
		char name[32];
		snprintf(name, sizeof(name), "extra_%02d", i);
		assert_int_equal(h5_attr_write_str(f, name, "x"), 0);
	}
}

/* A regression model: no vocabulary, no label names, a normalisation */
static void fill_regress_meta(struct model_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->cfg = (struct rnn_config){.cell = RNN_CELL_GRU, .task = RNN_TASK_REGRESS,
				     .input_size = 2, .hidden = 4, .layers = 1, .outputs = 1,
				     .pool = RNN_POOL_LAST};
	m->truncation = strdup("head");
	m->producer = strdup("test");
	m->n_norm = 2;
	m->norm_mean = malloc(2 * sizeof(double));
	m->norm_std = malloc(2 * sizeof(double));
	m->norm_mean[0] = 1, m->norm_mean[1] = 2;
	m->norm_std[0] = 3, m->norm_std[1] = 4;
}
static void labels17(hid_t f) /* one past the labels a model can hold */
{
	const char *names[TOKFILE_MAX_LABELS + 1];
	for (int i = 0; i <= TOKFILE_MAX_LABELS; i++)
		names[i] = "x";
	assert_int_equal(h5_attr_write_strs(f, "label_names", names, TOKFILE_MAX_LABELS + 1), 0);
}
static void norm_uneven(hid_t f)
{
	assert_int_equal(h5_attr_write_doubles(f, "norm_std", (const double[]){3}, 1), 0);
}

static void test_load_errors(void **state)
{
	(void)state;
	expect_load_error("vocab.h5", huge_vocab,
			  "tensor 'embedding.weight' is (50, 6), but the attributes (cell gru, "
			  "vocab 2147483647, embed 6");
	expect_load_error("hidden.h5", huge_hidden, "attribute 'hidden' is 5000000, outside 1..65536");
	expect_load_error("hidden2.h5", big_hidden,
			  "tensor 'rnn.weight_ih_l0' is (15, 6), but the attributes");
	expect_load_error("maxlen.h5", huge_max_len,
			  "attribute 'max_len' is 2147483647, outside 0..1048576");
	expect_load_error("cls.h5", cls_past_vocab,
			  "attribute 'cls_id' is 50, outside the vocabulary of 50 ids");
	expect_load_error("nan.h5", nan_weight, "tensor 'fc.bias' holds a non-finite value (nan) at row 1");
	expect_load_error("inf.h5", inf_weight,
			  "tensor 'embedding.weight' holds a non-finite value (-inf) at row 1, column 2");
	expect_load_error("missing.h5", drop_fc, "'fc.weight'");
	expect_load_error("shape.h5", reshape_emb, "embedding.weight");
	expect_load_error("stray.h5", stray, "'fc2.bias'");
	expect_load_error("foreign.h5", foreign, "not an rnnpipe model file");
	expect_load_error("future.h5", future, "format version 99");
	expect_load_error("nohidden.h5", no_hidden, "'hidden'");
	expect_load_error("hash.h5", hash_short, "bad attribute 'vocab_hash'");
	expect_load_error("hash2.h5", hash_not_hex, "bad attribute 'vocab_hash'");
	expect_load_error("version0.h5", version0, "format version 0, this program reads version 1");
	expect_load_error("labels.h5", two_labels, "2 label names for 3 outputs");
	expect_load_error("vsize.h5", vocab_size_off,
			  "vocab_size 49 differs from the embedding's 50 rows");
	expect_load_error("sep.h5", sep_past_vocab,
			  "attribute 'sep_id' is 50, outside the vocabulary of 50 ids");
	expect_load_error("nanlast.h5", nan_last_weight,
			  "tensor 'fc.bias' holds a non-finite value (nan) at row 2");
	expect_load_error("extras.h5", many_extras, "more than 16 unknown attributes");
	expect_load_error("layers.h5", no_layers, "attribute 'layers' is 0, outside 1..8");
	expect_load_error("bidir.h5", bidir2, "attribute 'bidirectional' is 2, outside 0..1");
	struct model_meta r;
	fill_regress_meta(&r);
	expect_load_error_of(&r, "labels17.h5", labels17, "17 label names for 1 outputs");
	expect_load_error_of(&r, "norm.h5", norm_uneven, "norm_mean has 2 values, norm_std 1");
	model_meta_free(&r);
	/* not HDF5 at all, and missing */
	const char *junk = test_path("junk.h5");
	write_file(junk, "not hdf5", 8);
	struct model_meta back;
	capture_begin();
	assert_null(modelfile_load(junk, &back));
	assert_null(modelfile_load(test_path("absent.h5"), &back));
	const char *txt = capture_end();
	assert_non_null(strstr(txt, junk));
	assert_non_null(strstr(txt, "absent.h5"));
}

static void test_checkpoint(void **state)
{
	(void)state;
	struct model_meta m, mb;
	fill_meta(&m, cfg(RNN_CELL_LSTM, 1, 1));
	struct rnn_model *a = rnn_model_create(&m.cfg, 4, 8, 1);
	assert_non_null(a);
	rnn_model_init(a, 3);
	size_t total = a->layout.total;
	for (size_t i = 0; i < total; i++) {
		a->adam_m[i] = (float)i * 0.5f;
		a->adam_v[i] = (float)i * 0.25f;
	}
	a->adam_step = 123;
	float *best = random_params(&a->layout, 9);
	struct ckpt_state st = {.epoch = 3, .seed = 77, .best_epoch = 2, .best_metric = 0.25,
				.bad_epochs = 1, .seconds = 12.5, .seqs = 999};
	snprintf(st.fingerprint, sizeof(st.fingerprint), "00112233aabbccdd");
	st.fingerprint_text = strdup("cell=lstm;lr=0.001");
	st.stopped = strdup("early-stopping");
	char *log[2] = {"{\"epoch\": 1}", "{\"epoch\": 2}"};
	st.log = log;
	st.n_log = 2;
	m.best_epoch = 2;
	const char *path = test_path("ckpt.h5");
	assert_int_equal(ckpt_save(path, &m, a, best, &st), 0);
	struct ckpt_state back;
	assert_int_equal(ckpt_peek(path, &mb, &back), 0);
	assert_string_equal(back.fingerprint, "00112233aabbccdd");
	assert_string_equal(back.fingerprint_text, "cell=lstm;lr=0.001");
	assert_int_equal(back.epoch, 3);
	assert_int_equal(back.adam_step, 123);
	assert_true(back.seed == 77);
	assert_int_equal(back.best_epoch, 2);
	assert_true(back.best_metric == 0.25);
	assert_int_equal(back.bad_epochs, 1);
	assert_string_equal(back.stopped, "early-stopping");
	assert_true(back.seconds == 12.5);
	assert_int_equal(back.seqs, 999);
	assert_int_equal(back.n_log, 2);
	assert_string_equal(back.log[1], "{\"epoch\": 2}");
	assert_int_equal(mb.cfg.cell, RNN_CELL_LSTM);
	ckpt_state_free(&back);
	model_meta_free(&mb);

	struct rnn_model *b = rnn_model_create(&m.cfg, 4, 8, 1);
	float *best2 = rnn_alloc_floats(total);
	assert_int_equal(ckpt_load_tensors(path, b, best2), 0);
	same_tensors(&a->layout, a->params, b->params);
	same_tensors(&a->layout, a->adam_m, b->adam_m);
	same_tensors(&a->layout, a->adam_v, b->adam_v);
	same_tensors(&a->layout, best, best2);
	assert_int_equal(b->adam_step, 123);
	/* without best weights apart, the best are the current ones */
	st.log = NULL;
	st.n_log = 0;
	assert_int_equal(ckpt_save(path, &m, a, NULL, &st), 0);
	assert_int_equal(ckpt_load_tensors(path, b, best2), 0);
	same_tensors(&a->layout, a->params, best2);
	/* a checkpoint is not a model file, and the other way round */
	capture_begin();
	assert_null(modelfile_load(path, &mb));
	const char *txt = capture_end();
	assert_non_null(strstr(txt, "not an rnnpipe model file: it is a training checkpoint"));
	char first[4096];
	snprintf(first, sizeof(first), "'%s': not an rnnpipe model file", path);
	assert_non_null(strstr(txt, first));
	/* another architecture cannot take these tensors */
	struct rnn_config c2 = cfg(RNN_CELL_GRU, 1, 1);
	struct rnn_model *g = rnn_model_create(&c2, 4, 8, 1);
	capture_begin();
	assert_int_equal(ckpt_load_tensors(path, g, NULL), -1);
	txt = capture_end();
	assert_non_null(strstr(txt, path));
	rnn_model_free(g);
	free(st.fingerprint_text);
	free(st.stopped);
	rnn_model_free(a);
	rnn_model_free(b);
	free(best);
	free(best2);
	model_meta_free(&m);
}

/* Changes the sealed checkpoint at path with edit(f), seals it again (as
 * a faulty writer would leave it) and peeks: the result, messages in *txt. */
static int peek_edited(const char *path, void (*edit)(hid_t), struct ckpt_state *back,
		       const char **txt)
{
	hid_t f = h5_open(path, 1);
	assert_true(f >= 0);
	edit(f);
	assert_int_equal(h5_close(f), 0);
	assert_int_equal(h5_seal(path), 0);
	struct model_meta mb;
	capture_begin();
	int rc = ckpt_peek(path, &mb, back);
	*txt = capture_end();
	if (!rc)
		model_meta_free(&mb);
	return rc;
}

static const char *const pos_attrs[] = {"epoch_batch", "epoch_batches", "epoch_seqs",
					 "epoch_correct", "epoch_loss_sum", "epoch_norm_sum",
					 "epoch_seconds", NULL};
static void to_version1(hid_t f)
{
	for (int i = 0; pos_attrs[i]; i++)
		assert_true(H5Adelete(f, pos_attrs[i]) >= 0);
	assert_int_equal(h5_attr_write_int(f, "format_version", 1), 0);
}
static void past_the_end(hid_t f) { assert_int_equal(h5_attr_write_int(f, "epoch_batch", 11), 0); }
static void nan_sum(hid_t f)
{
	assert_int_equal(h5_attr_write_double(f, "epoch_loss_sum", NAN), 0);
}
static void version3(hid_t f) { assert_int_equal(h5_attr_write_int(f, "format_version", 3), 0); }
static void no_position(hid_t f) { assert_true(H5Adelete(f, "epoch_seqs") >= 0); }

static void neg_batch(hid_t f) { assert_int_equal(h5_attr_write_int(f, "epoch_batch", -1), 0); }
static void right_past_seqs(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "epoch_correct", 113), 0);
}
static void batches_no_seqs(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "epoch_seqs", 0), 0);
	assert_int_equal(h5_attr_write_int(f, "epoch_correct", 0), 0);
}
static void seqs_no_batches(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "epoch_batch", 0), 0);
	assert_int_equal(h5_attr_write_int(f, "epoch", 1), 0);
}
static void neg_norm_sum(hid_t f)
{
	assert_int_equal(h5_attr_write_double(f, "epoch_norm_sum", -1), 0);
}
static void neg_seconds(hid_t f)
{
	assert_int_equal(h5_attr_write_double(f, "epoch_seconds", -0.5), 0);
}
static void short_fingerprint(hid_t f)
{
	assert_int_equal(h5_attr_write_str(f, "fingerprint", "0011223344"), 0);
}
static void bad_seed(hid_t f) { assert_int_equal(h5_attr_write_str(f, "seed", "not a seed"), 0); }
static void no_adam_v(hid_t f) { assert_true(H5Ldelete(f, "adam_v", H5P_DEFAULT) >= 0); }
static void epoch0(hid_t f) { assert_int_equal(h5_attr_write_int(f, "epoch", 0), 0); }
static void neg_epoch(hid_t f) { assert_int_equal(h5_attr_write_int(f, "epoch", -1), 0); }

/* A checkpoint written inside an epoch (train stopped by a signal). */
static void test_checkpoint_position(void **state)
{
	(void)state;
	struct model_meta m, mb;
	fill_meta(&m, cfg(RNN_CELL_GRU, 1, 0));
	struct rnn_model *a = rnn_model_create(&m.cfg, 4, 8, 1);
	assert_non_null(a);
	rnn_model_init(a, 5);
	struct ckpt_state st = {.epoch = 0, .seed = 1, .best_metric = INFINITY, .seconds = 3,
				.seqs = 0, .epoch_batch = 7, .epoch_batches = 10, .epoch_seqs = 112,
				.epoch_correct = 60, .epoch_loss_sum = 77.125, .epoch_norm_sum = 3.5,
				.epoch_seconds = 2.25};
	snprintf(st.fingerprint, sizeof(st.fingerprint), "00112233aabbccdd");
	st.fingerprint_text = strdup("cell=gru");
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("ckpt-pos.h5"));
	assert_int_equal(ckpt_save(path, &m, a, NULL, &st), 0);
	struct ckpt_state back;
	assert_int_equal(ckpt_peek(path, &mb, &back), 0);
	assert_int_equal(back.epoch, 0); /* inside the first epoch */
	assert_true(back.epoch_batch == 7 && back.epoch_batches == 10);
	assert_true(back.epoch_seqs == 112 && back.epoch_correct == 60);
	assert_true(back.epoch_loss_sum == 77.125 && back.epoch_norm_sum == 3.5);
	assert_true(back.epoch_seconds == 2.25);
	ckpt_state_free(&back);
	model_meta_free(&mb);
	/* refused: a position past the epoch's end, a NaN sum, a missing
	 * position attribute, a newer format */
	const char *txt;
	void (*bad[])(hid_t) = {past_the_end, nan_sum, no_position, version3, neg_batch,
				right_past_seqs, batches_no_seqs, seqs_no_batches, neg_norm_sum,
				neg_seconds, short_fingerprint, bad_seed, no_adam_v, neg_epoch};
	const char *want[] = {
		"past the epoch's 10 batches",
		"not finite",
		"epoch_seqs",
		"this program reads versions 1 to 2",
		"attribute 'epoch_batch' is -1, below 0",
		"inconsistent epoch position (7 batches, 112 sequences, 113 right)",
		"inconsistent epoch position (7 batches, 0 sequences, 0 right)",
		"inconsistent epoch position (0 batches, 112 sequences, 60 right)",
		"a running sum is negative or not finite",
		"a running sum is negative or not finite",
		"bad attribute 'fingerprint' (10 characters, not 16)",
		"bad attribute 'seed'",
		"no group 'adam_v'",
		"attribute 'epoch' is -1, outside 0..2147483647",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ckpt_save(path, &m, a, NULL, &st), 0);
		assert_int_equal(peek_edited(path, bad[i], &back, &txt), -1);
		if (!strstr(txt, want[i]))
			fail_msg("case %zu: no '%s' in: %s", i, want[i], txt);
		assert_non_null(strstr(txt, path));
	}
	/* format 1 (no position) reads as at an epoch boundary */
	st.epoch = 2;
	st.epoch_batch = st.epoch_batches = st.epoch_seqs = st.epoch_correct = 0;
	st.epoch_loss_sum = st.epoch_norm_sum = st.epoch_seconds = 0;
	assert_int_equal(ckpt_save(path, &m, a, NULL, &st), 0);
	assert_int_equal(peek_edited(path, to_version1, &back, &txt), 0);
	assert_int_equal(back.epoch, 2);
	assert_true(back.epoch_batch == 0 && back.epoch_seqs == 0);
	ckpt_state_free(&back);
	/* at an epoch boundary, epoch 0 (no epoch finished) is no checkpoint */
	assert_int_equal(ckpt_save(path, &m, a, NULL, &st), 0);
	assert_int_equal(peek_edited(path, epoch0, &back, &txt), -1);
	assert_non_null(strstr(txt, "attribute 'epoch' is 0 at an epoch boundary"));
	free(st.fingerprint_text);
	rnn_model_free(a);
	model_meta_free(&m);
}

/* Crafted checkpoints: sizes in the attributes that the stored tensors do
 * not have, a tensor of another shape, a missing one, a stray one.  The
 * checkpoint's load did not check its attributes against its tensors (the
 * model file's did): hidden 65536 over tensors of 5 read as a good
 * checkpoint.  Now the one check of both refuses them, naming the file,
 * before anything is allocated. */
static void ckpt_big_hidden(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "hidden", 65536), 0);
}
static void ckpt_huge_vocab(hid_t f)
{
	assert_int_equal(h5_attr_write_int(f, "vocab", INT32_MAX), 0);
	assert_int_equal(h5_attr_write_int(f, "vocab_size", INT32_MAX), 0);
}
static void ckpt_reshape_adam(hid_t f) /* adam_v's embedding one column short */
{
	hid_t g = h5_group_open(f, "adam_v");
	assert_true(g >= 0);
	assert_true(H5Ldelete(g, "embedding.weight", H5P_DEFAULT) >= 0);
	float z[50 * 5] = {0};
	hsize_t dims[2] = {50, 5};
	assert_int_equal(h5_write_array(g, "embedding.weight", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
					2, dims, z),
			 0);
	h5_close(g);
}
static void ckpt_drop_best(hid_t f)
{
	assert_true(H5Ldelete(f, "best/fc.bias", H5P_DEFAULT) >= 0);
}
static void ckpt_stray(hid_t f)
{
	float z[2] = {0};
	hsize_t dims[1] = {2};
	hid_t g = h5_group_open(f, "params");
	assert_true(g >= 0);
	assert_int_equal(
		h5_write_array(g, "fc2.bias", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dims, z), 0);
	h5_close(g);
}

static void test_checkpoint_crafted(void **state)
{
	(void)state;
	struct model_meta m;
	fill_meta(&m, cfg(RNN_CELL_GRU, 1, 0));
	struct rnn_model *a = rnn_model_create(&m.cfg, 4, 8, 1);
	assert_non_null(a);
	rnn_model_init(a, 5);
	float *best = random_params(&a->layout, 9);
	struct ckpt_state st = {.epoch = 2, .seed = 1, .best_metric = 0.5, .seconds = 3};
	snprintf(st.fingerprint, sizeof(st.fingerprint), "00112233aabbccdd");
	st.fingerprint_text = strdup("cell=gru");
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("ckpt-crafted.h5"));
	void (*edit[5])(hid_t) = {ckpt_big_hidden, ckpt_huge_vocab, ckpt_reshape_adam,
				  ckpt_drop_best, ckpt_stray};
	const char *want[5] = {
		"tensor 'rnn.weight_ih_l0' is (15, 6), but the attributes (cell gru, vocab 50, "
		"embed 6, input_size 6, hidden 65536",
		"tensor 'embedding.weight' is (50, 6), but the attributes (cell gru, vocab "
		"2147483647",
		"tensor 'embedding.weight' is (50, 5), but the attributes",
		"tensor 'fc.bias' (1-D) is missing",
		"'fc2.bias' is not a tensor of this gru model",
	};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(ckpt_save(path, &m, a, best, &st), 0);
		struct ckpt_state back;
		const char *txt;
		assert_int_equal(peek_edited(path, edit[i], &back, &txt), -1);
		if (!strstr(txt, want[i]))
			fail_msg("case %d: no '%s' in: %s", i, want[i], txt);
		char named[4200];
		snprintf(named, sizeof(named), "'%s': ", path);
		assert_non_null(strstr(txt, named)); /* the reason names the file */
		snprintf(named, sizeof(named), "cannot read checkpoint '%s'", path);
		assert_non_null(strstr(txt, named));
	}
	/* the tensors of another run's model: refused naming the file and
	 * saying whose shapes they are not */
	assert_int_equal(ckpt_save(path, &m, a, best, &st), 0);
	struct rnn_config c2 = cfg(RNN_CELL_GRU, 1, 0);
	c2.hidden = 7;
	struct rnn_model *b = rnn_model_create(&c2, 4, 8, 1);
	capture_begin();
	assert_int_equal(ckpt_load_tensors(path, b, NULL), -1);
	const char *txt = capture_end();
	assert_non_null(strstr(txt, "tensor 'rnn.weight_ih_l0' is (15, 6), but this run's settings "
				    "(cell gru, vocab 50, embed 6, input_size 6, hidden 7"));
	assert_non_null(strstr(txt, path));
	rnn_model_free(b);
	free(st.fingerprint_text);
	free(best);
	rnn_model_free(a);
	model_meta_free(&m);
}

/* model_meta_set_extra's limits: a name of 63 bytes fits its field, one of
 * 64 does not; 16 extras fit, a 17th does not (replacing one still works). */
static void test_extra_limits(void **state)
{
	(void)state;
	struct model_meta m;
	memset(&m, 0, sizeof(m));
	char name[80];
	memset(name, 'a', 64);
	name[63] = 0;
	capture_begin();
	assert_int_equal(model_meta_set_extra(&m, name, "x", NULL, 0), 0);
	name[63] = 'a';
	name[64] = 0;
	assert_int_equal(model_meta_set_extra(&m, name, "x", NULL, 0), -1);
	for (int i = 1; i < MODEL_MAX_EXTRA; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		assert_int_equal(model_meta_set_extra(&m, name, "x", NULL, 0), 0);
	}
	assert_int_equal(m.n_extra, MODEL_MAX_EXTRA);
	assert_int_equal(model_meta_set_extra(&m, "one_more", "x", NULL, 0), -1);
	assert_int_equal(model_meta_set_extra(&m, "e3", NULL, (const double[]){2}, 1), 0);
	const char *txt = capture_end();
	assert_non_null(strstr(txt, "more than 16 extra attributes"));
	assert_int_equal(m.n_extra, MODEL_MAX_EXTRA);
	assert_true(model_meta_extra(&m, "e3")->nums[0] == 2);
	model_meta_free(&m);
}

/* A checkpoint holds Adam's state: an inference-only model (no gradients,
 * no moments) can neither write one nor load one. */
static void test_checkpoint_needs_training_model(void **state)
{
	(void)state;
	struct model_meta m;
	fill_meta(&m, cfg(RNN_CELL_GRU, 1, 0));
	struct rnn_model *tr = rnn_model_create(&m.cfg, 4, 8, 1);
	struct rnn_model *inf = rnn_model_create(&m.cfg, 4, 8, 0);
	assert_non_null(tr);
	assert_non_null(inf);
	rnn_model_init(tr, 5);
	rnn_model_init(inf, 5);
	struct ckpt_state st = {.epoch = 1, .seed = 1, .best_metric = 0.5};
	snprintf(st.fingerprint, sizeof(st.fingerprint), "00112233aabbccdd");
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("ckpt-inference.h5"));
	capture_begin();
	assert_int_equal(ckpt_save(path, &m, inf, NULL, &st), -1);
	const char *txt = capture_end();
	assert_non_null(strstr(txt, "checkpoint: not a training model"));
	struct stat sb;
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(ckpt_save(path, &m, tr, NULL, &st), 0);
	capture_begin();
	assert_int_equal(ckpt_load_tensors(path, inf, NULL), -1);
	txt = capture_end();
	assert_non_null(strstr(txt, "checkpoint: not a training model"));
	rnn_model_free(tr);
	rnn_model_free(inf);
	model_meta_free(&m);
}

/* A save into a folder that cannot be created leaves nothing. */
static void test_failed_save(void **state)
{
	(void)state;
	struct model_meta m;
	fill_meta(&m, cfg(RNN_CELL_RNN, 1, 0));
	struct rnn_layout l;
	assert_int_equal(rnn_layout_build(&m.cfg, &l), 0);
	float *p = random_params(&l, 2);
	const char *file = test_path("plain-file");
	write_file(file, "x", 1);
	char path[4200];
	snprintf(path, sizeof(path), "%s/model.h5", file);
	capture_begin();
	assert_int_equal(modelfile_save(path, &m, p), -1);
	/* refused where the file would be made: the folder is a file */
	assert_non_null(strstr(capture_end(), "/plain-file/model.h5': Not a directory"));
	struct stat sb;
	assert_int_equal(stat(path, &sb), -1);
	model_meta_free(&m);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_checkpoint),
		cmocka_unit_test(test_checkpoint_position),
		cmocka_unit_test(test_checkpoint_crafted),
		cmocka_unit_test(test_extra_limits),
		cmocka_unit_test(test_checkpoint_needs_training_model),
		cmocka_unit_test(test_failed_save),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
