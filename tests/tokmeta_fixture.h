/* tokmeta_fixture.h - the token-file header the unit tests write: ids 0
 * [PAD], 1 [UNK], 2 [CLS], 3 [SEP], head truncation, producer "test", and
 * with labels the classes negative and positive.  The caller sets what
 * differs (pad_id, sources) and frees it with tokmeta_free(). */
#ifndef RNNPIPE_TOKMETA_FIXTURE_H
#define RNNPIPE_TOKMETA_FIXTURE_H

#include <string.h>

#include "tokfile.h"

static inline void test_tokmeta(struct tokmeta *m, uint64_t vocab_hash, uint32_t vocab_size,
				uint32_t max_len, int labels)
{
	memset(m, 0, sizeof(*m));
	m->vocab_hash = vocab_hash;
	m->vocab_size = vocab_size;
	m->max_len = max_len;
	m->pad_id = 0;
	m->unk_id = 1;
	m->cls_id = 2;
	m->sep_id = 3;
	m->truncation = strdup("head");
	m->producer = strdup("test");
	if (labels) {
		m->labels[m->n_labels++] = strdup("negative");
		m->labels[m->n_labels++] = strdup("positive");
	}
}

#endif
