/* stage.c - see stage.h */
#include "stage.h"

#include <string.h>

#include "afile.h"
#include "error.h"

void stage_start(const struct opts_program *prog, int argc, char **argv,
		 char ***args, int *nargs, const int *quiet)
{
	error_set_prog(argv[0]);
	opts_parse_or_exit(prog, argc, argv, args, nargs);
	if (quiet)
		error_set_quiet(*quiet);
	afile_install_signal_cleanup();
	afile_track_outputs();
}

void stage_reject_empty(const struct opt *opts)
{
	static const char *const kinds[][2] = {
		{"FILE", "file name"}, {"DIR", "folder name"}, {"NAME", "field name"},
	};
	for (const struct opt *o = opts; o->name; o++) {
		const char *kind = NULL;
		for (size_t k = 0; o->metavar && k < sizeof(kinds) / sizeof(*kinds); k++)
			if (!strcmp(o->metavar, kinds[k][0]))
				kind = kinds[k][1];
		int empty = 0;
		if (kind && o->type == OPT_STR) {
			const char *v = *(const char **)o->dst;
			empty = v && !*v;
		} else if (kind && o->type == OPT_LIST) {
			const struct opt_list *l = o->dst;
			for (int i = 0; i < l->n; i++)
				empty |= !*l->items[i];
		}
		if (empty)
			die(EXIT_USAGE, "--%s: empty %s", o->name, kind);
	}
}
