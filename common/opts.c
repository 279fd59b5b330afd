/* opts.c - table-driven option parsing and generated help (see opts.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "grow.h"
#include "opts.h"
#include "pretok.h"

/* 0, or an error naming what (an option or an argument) is not UTF-8 and
 * where: the text before the first bad byte, and that byte. */
static int utf8_arg(const char *what, const char *v)
{
	size_t n = strlen(v), ok = utf8_check(v, n);
	if (ok == n)
		return 0;
	return error("%s: '%.*s' then byte 0x%02x is not valid UTF-8 (names and values "
		     "are written into JSON and HDF5 text; rename the file)",
		     what, (int)ok, v, (unsigned char)v[ok]);
}

static const struct opt *find_opt(const struct opt *o, const char *name, size_t n)
{
	for (; o->name; o++)
		if (strlen(o->name) == n && !strncmp(o->name, name, n))
			return o;
	return NULL;
}

static int choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;
	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && !strncmp(p, v, n))
			return 1;
		p = bar ? bar + 1 : NULL;
	}
	return 0;
}

static int set_value(const struct opt *o, const char *v)
{
	char *end;
	switch (o->type) {
	case OPT_FLAG:
		*(int *)o->dst = 1;
		return 0;
	case OPT_STR:
		*(const char **)o->dst = v;
		return 0;
	case OPT_LIST: {
		struct opt_list *l = o->dst;
		if (GROW_ARRAY(l->items, l->cap, (size_t)l->n + 1, 8))
			return -1;
		l->items[l->n++] = v;
		return 0;
	}
	case OPT_INT: {
		errno = 0;
		long x = strtol(v, &end, 10);
		if (errno || end == v || *end)
			return error("--%s: '%s' is not an integer", o->name, v);
		if (o->min != o->max && (x < o->min || x > o->max))
			return error("--%s: %ld is out of range [%.0f, %.0f]", o->name,
				     x, o->min, o->max);
		*(long *)o->dst = x;
		return 0;
	}
	case OPT_DOUBLE: {
		errno = 0;
		double x = strtod(v, &end);
		if (errno || end == v || *end || !isfinite(x))
			return error("--%s: '%s' is not a number", o->name, v);
		if (o->min != o->max && (x < o->min || x > o->max))
			return error("--%s: %g is out of range [%g, %g]", o->name, x,
				     o->min, o->max);
		*(double *)o->dst = x;
		return 0;
	}
	case OPT_CHOICE:
		if (!choice_ok(o->metavar, v))
			return error("--%s: '%s' is not one of %s", o->name, v, o->metavar);
		*(const char **)o->dst = v;
		return 0;
	}
	return error("--%s: bad option table", o->name);
}

int opts_parse(const struct opts_program *prog, int argc, char **argv,
	       char ***args, int *nargs)
{
	int npos = 0, only_pos = 0;
	char **pos = argv + 1; /* positional args are compacted in place */
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		/* "-", and a negative number ("-3.5", "-.5"), are positional */
		if (only_pos || a[0] != '-' || !a[1] || isdigit((unsigned char)a[1]) ||
		    (a[1] == '.' && isdigit((unsigned char)a[2]))) {
			pos[npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			opts_help(prog);
			return OPTS_HELP;
		}
		if (a[1] != '-') {
			error("unknown option '%s' (see --help)", a);
			return OPTS_ERROR;
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);
		const struct opt *o = find_opt(prog->opts, name, n);
		if (!o) {
			error("unknown option '%s' (see --help)", a);
			return OPTS_ERROR;
		}
		const char *v = NULL;
		if (o->type == OPT_FLAG) {
			if (eq) {
				error("--%s takes no value", o->name);
				return OPTS_ERROR;
			}
		} else if (eq) {
			v = eq + 1;
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			error("--%s needs a value (%s)", o->name, o->metavar ? o->metavar : "VALUE");
			return OPTS_ERROR;
		}
		char what[80];
		snprintf(what, sizeof(what), "--%s", o->name);
		if ((v && utf8_arg(what, v)) || set_value(o, v))
			return OPTS_ERROR;
	}
	if (npos < prog->min_args || (prog->max_args >= 0 && npos > prog->max_args)) {
		if (prog->max_args == 0)
			error("unexpected argument '%s' (see --help)", pos[0]);
		else
			error("expected %s%d argument%s, got %d (see --help)",
			      prog->max_args < 0 ? "at least " : "", prog->min_args,
			      prog->min_args == 1 ? "" : "s", npos);
		return OPTS_ERROR;
	}
	for (int i = 0; i < npos && !prog->args_any_bytes; i++) {
		char what[32];
		snprintf(what, sizeof(what), "argument %d", i + 1);
		if (utf8_arg(what, pos[i]))
			return OPTS_ERROR;
	}
	*args = pos;
	*nargs = npos;
	return OPTS_OK;
}

void opts_help(const struct opts_program *prog)
{
	printf("usage: %s %s\n\n%s\n\noptions:\n", prog->name, prog->usage, prog->summary);
	for (const struct opt *o = prog->opts; o->name; o++) {
		char lhs[96];
		if (o->type == OPT_FLAG)
			snprintf(lhs, sizeof(lhs), "--%s", o->name);
		else
			snprintf(lhs, sizeof(lhs), "--%s %s", o->name,
				 o->metavar ? o->metavar : "VALUE");
		printf("  %-28s %s", lhs, o->help);
		switch (o->type) {
		case OPT_STR:
		case OPT_CHOICE:
			if (*(const char **)o->dst)
				printf(" (default: %s)", *(const char **)o->dst);
			break;
		case OPT_INT:
			printf(" (default: %ld)", *(long *)o->dst);
			break;
		case OPT_DOUBLE:
			printf(" (default: %g)", *(double *)o->dst);
			break;
		default:
			break;
		}
		putchar('\n');
	}
	printf("  %-28s %s\n", "--help", "print this help and exit");
}

void opt_list_free(struct opt_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

void opts_parse_or_exit(const struct opts_program *prog, int argc, char **argv,
			char ***args, int *nargs)
{
	int rc = opts_parse(prog, argc, argv, args, nargs);
	if (rc == OPTS_HELP)
		exit(EXIT_OK);
	if (rc != OPTS_OK)
		exit(EXIT_USAGE);
}
