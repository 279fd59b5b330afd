/* train_fixture.h - a training configuration for the unit tests: the
 * defaults of train_cfg_defaults(), reading data and writing
 * name.model.h5, name.log, name.json and name.ckpt.h5 in the test folder
 * (test_path_kept: freed at exit).  The caller sets the model's shape and
 * the rest of what differs. */
#ifndef RNNPIPE_TRAIN_FIXTURE_H
#define RNNPIPE_TRAIN_FIXTURE_H

#include <stdio.h>

#include "testutil.h"
#include "trainloop.h"

static inline struct train_cfg test_train_cfg(const char *data, const char *name)
{
	struct train_cfg c;
	train_cfg_defaults(&c);
	char buf[256];
	c.data = data;
	snprintf(buf, sizeof(buf), "%s.model.h5", name);
	c.model_out = test_path_kept(buf);
	snprintf(buf, sizeof(buf), "%s.log", name);
	c.log_out = test_path_kept(buf);
	snprintf(buf, sizeof(buf), "%s.json", name);
	c.summary_out = test_path_kept(buf);
	snprintf(buf, sizeof(buf), "%s.ckpt.h5", name);
	c.checkpoint = test_path_kept(buf);
	return c;
}

#endif
