/* devmodel.h - where a model computes: the CPU engine (rnn_model.h) or the
 * CUDA backend (rnn_cuda.h), behind the few calls the train and evaluate
 * loops make (train step, forward, outputs, copy back), so the loops are
 * written once.  The host struct rnn_model is always the one that is
 * initialised, loaded and saved; on CUDA a device copy does the compute
 * and is emptied into the host on request (devmodel_to_host).
 * Reads and writes no files.  On the CPU every call is exactly the
 * rnn_model.h call it replaces (same results, bit for bit).
 */
#ifndef RNNPIPE_DEVMODEL_H
#define RNNPIPE_DEVMODEL_H

#include <stddef.h>

#include "rnn_model.h"

enum device_kind { DEVICE_CPU = 0, DEVICE_CUDA = 1 };

/* "cpu" or "cuda". */
const char *device_kind_name(enum device_kind k);

/* Resolves a --device choice ("auto", "cpu" or "cuda") into *kind.  auto:
 * CUDA when cuda_device_available(), else the CPU with a one-line note
 * through info() that says why.  cuda with no device (or a build without
 * CUDA): -1 after error() naming the reason and the way out (--device
 * cpu).  Any other name: -1 after error(). */
int device_resolve(const char *name, enum device_kind *kind);

struct rnn_cuda_model;

struct devmodel {
	struct rnn_model *host;      /* not owned; the compute model on the CPU */
	struct rnn_cuda_model *cuda; /* owned; NULL: the CPU computes */
	char desc[192];              /* "cpu, OpenBLAS's Haswell kernels", or
					rnn_cuda_describe()'s text */
};

/* Prepares host for compute on kind.  CPU: nothing is allocated; host
 * must hold the batches (its max_batch x max_steps).  CUDA: a device model
 * for batches up to max_batch x max_steps (training when host is a
 * training model), filled from host (parameters, Adam state and step):
 * open it after host is initialised or loaded.  0, or -1 after error()
 * (d is then closed).  Close with devmodel_close (a closed or zeroed d is
 * fine). */
int devmodel_open(struct devmodel *d, struct rnn_model *host, enum device_kind kind,
		  int max_batch, int max_steps);
void devmodel_close(struct devmodel *d);

/* rnn_model_train_step on the device: same arguments, same return values
 * (0 stepped, 1 NaN guard, -1 after error()). */
int devmodel_train_step(struct devmodel *d, const struct rnn_batch *b, const struct rnn_optim *o,
			float max_norm, float *loss, double *norm);

/* rnn_model_forward on the device (loss may be NULL; with labels or
 * targets in b and loss given, *loss = the mean loss).  0, or -1 after
 * error(). */
int devmodel_forward(struct devmodel *d, const struct rnn_batch *b, float *loss);

/* The outputs of the last train step or forward, (B, K) each: *out the
 * class probabilities or the predictions, *logits the classifier's outputs
 * before the softmax (NULL for regression).  Owned by d (or its host),
 * valid until the next call. */
void devmodel_outputs(const struct devmodel *d, const float **out, const float **logits);

/* Device -> host: the parameters, and for training models the Adam
 * moments and step, so host can be saved or checkpointed.  Nothing to do
 * on the CPU.  0, or -1 after error(). */
int devmodel_to_host(struct devmodel *d);

struct rnn_cuda_timing;
/* On CUDA: *t = the device's busy and idle time over the train steps so
 * far (rnn_cuda_timing, rnn_cuda.h) and 1; on the CPU: 0, *t untouched. */
int devmodel_timing(const struct devmodel *d, struct rnn_cuda_timing *t);

#endif
