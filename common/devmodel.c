/* devmodel.c - the CPU / CUDA dispatch of devmodel.h: each call is the
 * rnn_model.h call when d->cuda is NULL, else its rnn_cuda.h pair.  The
 * only place the train and evaluate loops choose between the two.
 * Builds without CUDA link rnn_cuda_absent.c: no device, and asking for
 * one is an error.  Reads and writes no files.
 */
#include <stdio.h>
#include <string.h>

#include "blascore.h"
#include "devmodel.h"
#include "error.h"
#include "rnn_cuda.h"

const char *device_kind_name(enum device_kind k)
{
	return k == DEVICE_CUDA ? "cuda" : "cpu";
}

int device_resolve(const char *name, enum device_kind *kind)
{
#ifdef RNNPIPE_CUDA
	const char *why = "no usable CUDA device was found (no GPU, no driver, or a driver older "
			  "than the CUDA runtime)";
#else
	const char *why = "this build has no CUDA support (nvcc was not found at build time, or "
			  "HAVE_CUDA=0)";
#endif
	*kind = DEVICE_CPU;
	if (!strcmp(name, "cpu"))
		return 0;
	if (strcmp(name, "auto") && strcmp(name, "cuda"))
		return error("unknown device '%s' (auto, cpu or cuda)", name);
	if (cuda_device_available()) {
		*kind = DEVICE_CUDA;
		return 0;
	}
	if (!strcmp(name, "cuda"))
		return error("--device cuda: %s; use --device cpu (or auto)", why);
#ifdef RNNPIPE_CUDA
	info("note: no CUDA device found; running on the CPU");
#else
	info("note: no CUDA support built in; running on the CPU");
#endif
	return 0;
}

int devmodel_open(struct devmodel *d, struct rnn_model *host, enum device_kind kind,
		  int max_batch, int max_steps)
{
	memset(d, 0, sizeof(*d));
	d->host = host;
	if (kind == DEVICE_CPU) {
		snprintf(d->desc, sizeof(d->desc), "cpu, OpenBLAS's %s kernels", blascore_name());
		return 0;
	}
	if (!(d->cuda = rnn_cuda_create(&host->layout.cfg, max_batch, max_steps, host->training,
					NULL)) ||
	    rnn_cuda_upload(d->cuda, host)) {
		devmodel_close(d);
		return -1;
	}
	rnn_cuda_describe(d->cuda, d->desc, sizeof(d->desc));
	return 0;
}

void devmodel_close(struct devmodel *d)
{
	rnn_cuda_free(d->cuda);
	d->cuda = NULL;
}

int devmodel_train_step(struct devmodel *d, const struct rnn_batch *b, const struct rnn_optim *o,
			float max_norm, float *loss, double *norm)
{
	if (d->cuda)
		return rnn_cuda_train_step(d->cuda, b, o, max_norm, loss, norm);
	return rnn_model_train_step(d->host, b, o, max_norm, loss, norm);
}

int devmodel_forward(struct devmodel *d, const struct rnn_batch *b, float *loss)
{
	if (d->cuda)
		return rnn_cuda_forward(d->cuda, b, NULL, loss);
	return rnn_model_forward(d->host, b, loss);
}

void devmodel_outputs(const struct devmodel *d, const float **out, const float **logits)
{
	if (d->cuda) {
		rnn_cuda_outputs(d->cuda, out, logits);
		return;
	}
	const int classify = d->host->layout.cfg.task == RNN_TASK_CLASSIFY;
	*out = classify ? d->host->probs : d->host->out;
	*logits = classify ? d->host->out : NULL;
}

int devmodel_to_host(struct devmodel *d)
{
	return d->cuda ? rnn_cuda_download(d->cuda, d->host) : 0;
}

int devmodel_timing(const struct devmodel *d, struct rnn_cuda_timing *t)
{
	if (!d->cuda)
		return 0;
	rnn_cuda_timing(d->cuda, t);
	return 1;
}
