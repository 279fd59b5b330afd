/* error.h - how the library reports problems, and how programs exit.
 *
 * The library (common/, kernels/) never exits: it prints one message through
 * error() and returns -1 (or NULL) to its caller.  Only stages/ call exit(),
 * with the codes below.  Messages are lower case and name files in quotes;
 * bad input is reported as "file:line: reason" through bad_input().
 */
#ifndef RNNPIPE_ERROR_H
#define RNNPIPE_ERROR_H

#include <stdarg.h>
#include <stdio.h>

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,   /* bad input, I/O failure, anything at run time */
	EXIT_USAGE = 2,  /* bad command line */
	EXIT_LOCKED = 3, /* another run holds the lock (retrain) */
	EXIT_STOPPED = 75, /* stopped by a signal, resumable (train; EX_TEMPFAIL) */
};

/* Name printed before every message ("tokenize: ..."); set once by main. */
void error_set_prog(const char *argv0);
const char *error_prog(void);

/* Prints "prog: error: <message>\n" to stderr and returns -1. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How many error() messages of the calling thread said that memory ran
 * out ("out of memory", or strerror(ENOMEM) in it).  A caller that would
 * explain a failure by the file (not an HDF5 file, failed its integrity
 * check: re-run the stage that made it) takes a mark first and says
 * nothing more when the count moved: the file may well be fine. */
unsigned long error_oom_count(void);
/* Prints "prog: warning: <message>\n" to stderr. */
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "prog: <message>\n" to stderr unless quiet mode is on. */
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "prog: <message>\n" to stderr even in quiet mode: what a run
 * must always say (train: stopped by a signal, where the checkpoint is). */
void notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void error_set_quiet(int quiet);

/* Prints "file:line: reason\n" (line 0 = no line) and returns -1. */
int bad_input(const char *file, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes "file:line: reason" into buf (for stats files); returns buf. */
char *bad_input_fmt(char *buf, size_t size, const char *file, long line,
		    const char *fmt, va_list ap);

/* After a getline() loop on f (read from the file name, "stdin" for
 * stdin) ended with -1: 0 at the real end of the file, else -1 after
 * error("cannot read 'name': reason").  glibc's getline() also returns -1
 * when it cannot grow its buffer (ENOMEM), with neither the end-of-file
 * nor the error flag set: a loop that checks only ferror() took that for
 * the end and dropped the rest of the file silently. */
int getline_end(FILE *f, const char *name);

/* Prints a message and exits with code (only for stages/). */
void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
