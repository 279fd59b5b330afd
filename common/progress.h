/* progress.h - progress display for long loops (train, evaluate): a bar
 * updated in place on a terminal, plain timestamped lines otherwise (cron,
 * log files: no control characters).
 *
 * Writes only to the stream it is given (stderr in the stages).  It does
 * not decide what is measured: the caller passes the counts and a short
 * status text.
 */
#ifndef RNNPIPE_PROGRESS_H
#define RNNPIPE_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

enum progress_mode {
	PROGRESS_AUTO = 0,  /* BAR when the stream is a terminal, else LINES */
	PROGRESS_BAR,       /* one line redrawn with '\r' */
	PROGRESS_LINES,     /* a timestamped line every interval seconds */
	PROGRESS_NONE,
};

/* "auto" "bar" "lines" "none" -> enum, -1 when unknown. */
int progress_mode_parse(const char *s);

struct progress {
	FILE *out;
	int mode;             /* resolved: BAR, LINES or NONE */
	char label[64];       /* "epoch 2/8" */
	uint64_t total;       /* units of work (batches) */
	uint64_t items;       /* items (sequences) done, for the rate */
	double start, last_draw, interval;
	int drawn;            /* a bar is on screen */
};

/* Monotonic seconds. */
double progress_now(void);

/* Starts a phase of total units.  interval: seconds between LINES output
 * (the bar redraws at most 10 times a second). */
void progress_start(struct progress *p, FILE *out, int mode, const char *label,
		    uint64_t total, double interval);

/* Reports done units and items so far; status is a short text ("loss
 * 0.512 acc 0.750").  Draws when due. */
void progress_update(struct progress *p, uint64_t done, uint64_t items, const char *status);

/* Ends the phase: clears the bar (a final summary is the caller's). */
void progress_end(struct progress *p);

/* Prints one timestamped line "prog: 2026-11-30 10:20:00 text" (LINES and
 * BAR modes; the bar is cleared first).  Nothing in NONE mode. */
void progress_log(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
