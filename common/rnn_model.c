/* rnn_model.c - model configuration, the parameter layout under PyTorch's
 * state_dict names, our deterministic PRNG, PyTorch's default
 * initialisation, and the thread setting (see rnn_model.h).
 *
 * Reads and writes nothing on disk.  The training API (forward, backward,
 * optimiser) lives in model_step.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernels_cpu.h"
#include "rnn_model.h"

static const char *cell_names[] = {"rnn", "lstm", "gru"};
static const char *task_names[] = {"classify", "regress"};
static const char *pool_names[] = {"last", "mean", "max", "last-padded"};

static int parse_name(const char *s, const char **names, int n)
{
	for (int i = 0; s && i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

const char *rnn_cell_name(enum rnn_cell c)
{
	return (unsigned)c < 3 ? cell_names[c] : "?";
}
const char *rnn_task_name(enum rnn_task t)
{
	return (unsigned)t < 2 ? task_names[t] : "?";
}
const char *rnn_pool_name(enum rnn_pool p)
{
	return (unsigned)p < 4 ? pool_names[p] : "?";
}
int rnn_cell_parse(const char *s)
{
	return parse_name(s, cell_names, 3);
}
int rnn_task_parse(const char *s)
{
	return parse_name(s, task_names, 2);
}
int rnn_pool_parse(const char *s)
{
	return parse_name(s, pool_names, 4);
}

int rnn_cell_gates(enum rnn_cell c)
{
	return c == RNN_CELL_LSTM ? 4 : c == RNN_CELL_GRU ? 3 : 1;
}

size_t rnn_cell_forward_ws(enum rnn_cell c, int B, int H)
{
	return c == RNN_CELL_LSTM ? lstm_forward_ws(B, H)
	       : c == RNN_CELL_GRU ? gru_forward_ws(B, H)
				   : rnn_tanh_forward_ws(B, H);
}

size_t rnn_cell_backward_ws(enum rnn_cell c, int T, int B, int H)
{
	return c == RNN_CELL_LSTM ? lstm_backward_ws(T, B, H)
	       : c == RNN_CELL_GRU ? gru_backward_ws(T, B, H)
				   : rnn_tanh_backward_ws(T, B, H);
}

int rnn_layer_input(const struct rnn_config *c, int l)
{
	return l == 0 ? c->input_size : c->hidden * rnn_dirs(c);
}

int rnn_config_check(struct rnn_config *c)
{
	if ((unsigned)c->cell > RNN_CELL_GRU)
		return error("model: unknown cell type %d", (int)c->cell);
	if ((unsigned)c->task > RNN_TASK_REGRESS)
		return error("model: unknown task %d", (int)c->task);
	if ((unsigned)c->pool > RNN_POOL_LAST_PADDED)
		return error("model: unknown pooling %d", (int)c->pool);
	if (c->task == RNN_TASK_CLASSIFY) {
		if (c->vocab < 1 || c->embed < 1)
			return error("model: vocabulary size %d and embedding size %d must be >= 1",
				     c->vocab, c->embed);
		if (c->outputs < 2)
			return error("model: a classifier needs >= 2 classes, got %d", c->outputs);
		c->input_size = c->embed;
	} else {
		if (c->vocab != 0 || c->embed != 0)
			return error("model: a regression model has no embedding (vocab %d, embed %d)",
				     c->vocab, c->embed);
		if (c->input_size < 1 || c->outputs < 1)
			return error("model: regression input size %d and outputs %d must be >= 1",
				     c->input_size, c->outputs);
	}
	if (c->hidden < 1 || c->layers < 1 || c->layers > RNN_MAX_LAYERS)
		return error("model: hidden %d must be >= 1 and layers %d in 1..%d", c->hidden,
			     c->layers, RNN_MAX_LAYERS);
	if (c->bidirectional != 0 && c->bidirectional != 1)
		return error("model: bidirectional must be 0 or 1, got %d", c->bidirectional);
	/* one tensor must stay addressable with int dimensions */
	long long g = rnn_cell_gates(c->cell);
	if ((long long)c->vocab * c->embed > ((1LL << 40)) || g * c->hidden > (1 << 24) ||
	    c->input_size > (1 << 24))
		return error("model: sizes too large");
	return 0;
}

static void add_tensor(struct rnn_layout *l, const char *name, int rows, int cols, int ndim)
{
	struct rnn_tensor *t = &l->tensors[l->n_tensors++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->ndim = ndim;
	t->rows = rows;
	t->cols = cols;
	t->numel = (size_t)rows * cols;
	t->offset = l->total;
	l->total += (t->numel + RNN_ALIGN_FLOATS - 1) / RNN_ALIGN_FLOATS * RNN_ALIGN_FLOATS;
}

int rnn_layout_build(const struct rnn_config *cfg, struct rnn_layout *out)
{
	memset(out, 0, sizeof(*out));
	out->cfg = *cfg;
	if (rnn_config_check(&out->cfg))
		return -1;
	const struct rnn_config *c = &out->cfg;
	int G = rnn_cell_gates(c->cell), H = c->hidden;
	char name[48];
	if (c->task == RNN_TASK_CLASSIFY)
		add_tensor(out, "embedding.weight", c->vocab, c->embed, 2);
	for (int l = 0; l < c->layers; l++)
		for (int d = 0; d < rnn_dirs(c); d++) {
			const char *sfx = d ? "_reverse" : "";
			snprintf(name, sizeof(name), "rnn.weight_ih_l%d%s", l, sfx);
			add_tensor(out, name, G * H, rnn_layer_input(c, l), 2);
			snprintf(name, sizeof(name), "rnn.weight_hh_l%d%s", l, sfx);
			add_tensor(out, name, G * H, H, 2);
			snprintf(name, sizeof(name), "rnn.bias_ih_l%d%s", l, sfx);
			add_tensor(out, name, G * H, 1, 1);
			snprintf(name, sizeof(name), "rnn.bias_hh_l%d%s", l, sfx);
			add_tensor(out, name, G * H, 1, 1);
		}
	add_tensor(out, "fc.weight", c->outputs, H * rnn_dirs(c), 2);
	add_tensor(out, "fc.bias", c->outputs, 1, 1);
	return 0;
}

const struct rnn_tensor *rnn_layout_find(const struct rnn_layout *l, const char *name)
{
	for (int i = 0; i < l->n_tensors; i++)
		if (!strcmp(l->tensors[i].name, name))
			return &l->tensors[i];
	return NULL;
}

void rnn_view_of(const struct rnn_layout *l, float *base, struct rnn_view *out)
{
	memset(out, 0, sizeof(*out));
	if (!base)
		return;
	const struct rnn_tensor *t = l->tensors;
	if (l->cfg.task == RNN_TASK_CLASSIFY)
		out->embedding = base + (t++)->offset;
	for (int i = 0; i < l->cfg.layers; i++)
		for (int d = 0; d < rnn_dirs(&l->cfg); d++) {
			out->rnn[i][d].w_ih = base + (t++)->offset;
			out->rnn[i][d].w_hh = base + (t++)->offset;
			out->rnn[i][d].b_ih = base + (t++)->offset;
			out->rnn[i][d].b_hh = base + (t++)->offset;
		}
	out->fc_w = base + (t++)->offset;
	out->fc_b = base + t->offset;
}

float *rnn_alloc_floats(size_t n)
{
	size_t bytes = (n ? n : 1) * sizeof(float);
	bytes = (bytes + 63) / 64 * 64;
	float *p = aligned_alloc(64, bytes);
	if (!p) {
		error("out of memory allocating %zu MiB", bytes >> 20);
		return NULL;
	}
	memset(p, 0, bytes);
	return p;
}

void rnn_params_init(const struct rnn_layout *l, float *params, uint64_t seed)
{
	struct rng r;
	rng_seed(&r, seed);
	double k_rnn = 1.0 / sqrt((double)l->cfg.hidden);
	double k_fc = 1.0 / sqrt((double)(l->cfg.hidden * rnn_dirs(&l->cfg)));
	for (int i = 0; i < l->n_tensors; i++) {
		const struct rnn_tensor *t = &l->tensors[i];
		float *p = params + t->offset;
		if (!strcmp(t->name, "embedding.weight")) {
			/* Box-Muller using both values of each pair (the
			 * embedding is most of the parameters) */
			for (size_t j = 0; j < t->numel; j += 2) {
				double u1 = 1.0 - rng_uniform(&r), u2 = rng_uniform(&r);
				double rad = sqrt(-2.0 * log(u1)), a = 6.283185307179586476925 * u2;
				p[j] = (float)(rad * cos(a));
				if (j + 1 < t->numel)
					p[j + 1] = (float)(rad * sin(a));
			}
			continue;
		}
		double k = !strncmp(t->name, "fc.", 3) ? k_fc : k_rnn;
		for (size_t j = 0; j < t->numel; j++)
			p[j] = (float)(k * (2.0 * rng_uniform(&r) - 1.0));
	}
}

/* ---- threads ---- */

static int threads_set;

void rnn_set_threads(int n)
{
	threads_set = 1;
	cpu_set_threads(n); /* OpenBLAS itself stays single-threaded */
}

int rnn_threads(void)
{
	if (!threads_set)
		rnn_set_threads(1);
	return cpu_threads();
}
