/* vocab_trie.h - the code-point trie a vocabulary builds at load time, for
 * greedy longest-match WordPiece (internal: vocab.c builds it, wordpiece.c
 * walks it; nothing else should include this file).
 *
 * Every token is a path of code points from node 0 (the root); "##" pieces
 * are ordinary paths through the node of "##" (cont_root).  Edges live in
 * one open-addressing table keyed by (parent node, code point); an edge also
 * carries the token id of the node it leads to, so walking a word costs one
 * probe per code point and no string compare.  Read-only after load, so one
 * vocabulary can serve any number of threads.
 */
#ifndef RNNPIPE_VOCAB_TRIE_H
#define RNNPIPE_VOCAB_TRIE_H

#include <stddef.h>
#include <stdint.h>

#include "vocab.h"

#define VTRIE_EMPTY 0xffffffffu /* cp of an unused slot */
#define VTRIE_NONE 0xffffffffu  /* no such node */

struct vtrie_edge {
	uint32_t parent; /* node the edge leaves */
	uint32_t cp;     /* code point on the edge, VTRIE_EMPTY = free slot */
	uint32_t child;  /* node the edge leads to */
	int32_t tok;     /* token id spelled by the path to child, or -1 */
};

struct vtrie {
	struct vtrie_edge *e; /* (mask + 1) slots */
	uint32_t mask;
	uint32_t shift;     /* 64 - log2(mask + 1), for Fibonacci hashing */
	uint32_t n_nodes;   /* root included */
	uint32_t n_edges;
	uint32_t cont_root; /* node of "##", VTRIE_NONE when no token has it */
};

static inline size_t vtrie_slot(const struct vtrie *t, uint32_t node, uint32_t cp)
{
	uint64_t k = ((uint64_t)node << 21) ^ cp;
	return (size_t)((k * 0x9e3779b97f4a7c15ULL) >> t->shift);
}

/* The edge leaving node by cp, or NULL. */
static inline const struct vtrie_edge *vtrie_step(const struct vtrie *t, uint32_t node,
						  uint32_t cp)
{
	size_t i = vtrie_slot(t, node, cp);
	for (;;) {
		const struct vtrie_edge *e = &t->e[i];
		if (e->cp == cp && e->parent == node)
			return e;
		if (e->cp == VTRIE_EMPTY)
			return NULL;
		i = (i + 1) & t->mask;
	}
}

/* The vocabulary's trie (owned by v). */
const struct vtrie *vocab_trie(const struct vocab *v);

#endif
