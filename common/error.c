/* error.c - the one place messages are printed (see error.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const char *prog = "rnnpipe";
static int quiet;

void error_set_prog(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	prog = slash ? slash + 1 : (argv0 ? argv0 : "rnnpipe");
}

const char *error_prog(void) { return prog; }
void error_set_quiet(int q) { quiet = q; }

/* "prog: <kind><message>\n" on stderr: every message below. */
static void say(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", prog, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static _Thread_local unsigned long n_oom;

unsigned long error_oom_count(void) { return n_oom; }

int error(const char *fmt, ...)
{
	va_list ap;
	char msg[1024];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strstr(msg, "out of memory") || strstr(msg, strerror(ENOMEM)))
		n_oom++;
	va_start(ap, fmt);
	say("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("warning: ", fmt, ap);
	va_end(ap);
}

void info(const char *fmt, ...)
{
	va_list ap;
	if (quiet)
		return;
	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}

void notice(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}

char *bad_input_fmt(char *buf, size_t size, const char *file, long line,
		    const char *fmt, va_list ap)
{
	int n = line > 0 ? snprintf(buf, size, "%s:%ld: ", file, line)
			 : snprintf(buf, size, "%s: ", file);
	if (n < 0 || (size_t)n >= size)
		return buf;
	vsnprintf(buf + n, size - n, fmt, ap);
	return buf;
}

int bad_input(const char *file, long line, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	bad_input_fmt(buf, sizeof(buf), file, line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", buf);
	return -1;
}

int getline_end(FILE *f, const char *name)
{
	int err = errno; /* getline's, before anything else can change it */
	if (feof(f) && !ferror(f))
		return 0;
	return error("cannot read '%s': %s", name, strerror(err ? err : EIO));
}

void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("error: ", fmt, ap);
	va_end(ap);
	exit(code);
}
