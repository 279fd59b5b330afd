/* rnn_cuda_absent.c - rnn_cuda.h in a build without CUDA (HAVE_CUDA=0, no
 * nvcc): there is no device, and every call that would need one reports
 * that this build has no CUDA support.  Lets the train stage call the API
 * without #ifdef; compiled to nothing when RNNPIPE_CUDA is defined (then
 * rnn_model_cuda.cu and cuda_util.cu provide these functions).
 */
#ifndef RNNPIPE_CUDA

#include <string.h>

#include "error.h"
#include "kernels_cuda.h"
#include "rnn_cuda.h"

static int no_cuda(void)
{
	return error("cuda: this build has no CUDA support (nvcc was not found at build time; "
		     "install the CUDA toolkit and rebuild, or use --device cpu)");
}

int cuda_device_available(void)
{
	return 0;
}

void rnn_cuda_options_defaults(struct rnn_cuda_options *o)
{
	memset(o, 0, sizeof(*o));
	o->recurrence = CUDA_REC_DEFAULT;
}

struct rnn_cuda_model *rnn_cuda_create(const struct rnn_config *cfg, int max_batch,
				       int max_steps, int training,
				       const struct rnn_cuda_options *opt)
{
	no_cuda();
	return NULL;
}

void rnn_cuda_free(struct rnn_cuda_model *m)
{
}

const struct rnn_layout *rnn_cuda_layout(const struct rnn_cuda_model *m)
{
	return NULL;
}

const char *rnn_cuda_describe(const struct rnn_cuda_model *m, char *buf, size_t size)
{
	if (size)
		strncpy(buf, "cuda (not built in)", size - 1)[size - 1] = '\0';
	return buf;
}

int rnn_cuda_upload(struct rnn_cuda_model *m, const struct rnn_model *host)
{
	return no_cuda();
}

int rnn_cuda_download(struct rnn_cuda_model *m, struct rnn_model *host)
{
	return no_cuda();
}

int rnn_cuda_train_step(struct rnn_cuda_model *m, const struct rnn_batch *b,
			const struct rnn_optim *o, float max_norm, float *loss, double *norm)
{
	return no_cuda();
}

int rnn_cuda_forward(struct rnn_cuda_model *m, const struct rnn_batch *b, float *out,
		     float *loss)
{
	return no_cuda();
}

int rnn_cuda_outputs(const struct rnn_cuda_model *m, const float **out, const float **logits)
{
	*out = *logits = NULL;
	return 0;
}

int rnn_cuda_predict(struct rnn_cuda_model *m, const struct rnn_batch *b, float *out)
{
	return no_cuda();
}

int rnn_cuda_download_grads(struct rnn_cuda_model *m, float *grads)
{
	return no_cuda();
}

void rnn_cuda_timing(const struct rnn_cuda_model *m, struct rnn_cuda_timing *t)
{
	(void)m;
	memset(t, 0, sizeof(*t));
}

#else
/* CUDA is built in: nothing here (ISO C wants one declaration). */
typedef int rnn_cuda_absent_unused;
#endif
