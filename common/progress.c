/* progress.c - the progress bar and the plain progress lines (progress.h).
 * The bar is drawn with '\r' and cleared with spaces (no escape codes), at
 * most ten times a second; lines carry a local timestamp and only printable
 * ASCII besides the caller's text.
 */
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "progress.h"

#define BAR_WIDTH 24
#define LINE_WIDTH 100

int progress_mode_parse(const char *s)
{
	static const char *names[] = {"auto", "bar", "lines", "none"};
	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

double progress_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fmt_duration(char *buf, size_t size, double s)
{
	if (!(s >= 0) || s > 360000) {
		snprintf(buf, size, "--:--");
		return;
	}
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

static void stamp(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

void progress_start(struct progress *p, FILE *out, int mode, const char *label,
		    uint64_t total, double interval)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	if (mode == PROGRESS_AUTO)
		mode = isatty(fileno(out)) ? PROGRESS_BAR : PROGRESS_LINES;
	p->mode = mode;
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->total = total;
	p->start = p->last_draw = progress_now();
	p->interval = interval > 0 ? interval : 30;
}

static void clear_bar(struct progress *p)
{
	if (p->mode == PROGRESS_BAR && p->drawn) {
		fprintf(p->out, "\r%*s\r", LINE_WIDTH, "");
		fflush(p->out);
		p->drawn = 0;
	}
}

void progress_update(struct progress *p, uint64_t done, uint64_t items, const char *status)
{
	if (p->mode == PROGRESS_NONE)
		return;
	double now = progress_now(), el = now - p->start;
	p->items = items;
	int final = done >= p->total;
	if (p->mode == PROGRESS_BAR ? (now - p->last_draw < 0.1 && !final)
				    : (now - p->last_draw < p->interval || final))
		return;
	p->last_draw = now;
	double rate = el > 0 ? items / el : 0;
	double eta = done > 0 && p->total >= done ? el * (p->total - done) / done : -1;
	char eta_s[32];
	fmt_duration(eta_s, sizeof(eta_s), eta);
	if (p->mode == PROGRESS_BAR) {
		char bar[BAR_WIDTH + 1];
		int fill = p->total ? (int)(BAR_WIDTH * (double)done / p->total) : 0;
		for (int i = 0; i < BAR_WIDTH; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[BAR_WIDTH] = 0;
		char line[256];
		int n = snprintf(line, sizeof(line), "%s [%s] %llu/%llu %s %.0f seq/s ETA %s",
				 p->label, bar, (unsigned long long)done,
				 (unsigned long long)p->total, status ? status : "", rate, eta_s);
		if (n > LINE_WIDTH)
			line[LINE_WIDTH] = 0, n = LINE_WIDTH;
		fprintf(p->out, "\r%s%*s", line, LINE_WIDTH - n, "");
		fflush(p->out);
		p->drawn = 1;
	} else {
		char ts[32];
		stamp(ts, sizeof(ts));
		fprintf(p->out, "%s: %s %s batch %llu/%llu %s %.1f seq/s eta %s\n", error_prog(), ts,
			p->label, (unsigned long long)done, (unsigned long long)p->total,
			status ? status : "", rate, eta_s);
		fflush(p->out);
	}
}

void progress_end(struct progress *p)
{
	clear_bar(p);
}

void progress_log(struct progress *p, const char *fmt, ...)
{
	if (p->mode == PROGRESS_NONE)
		return;
	clear_bar(p);
	char ts[32], msg[1024];
	stamp(ts, sizeof(ts));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(p->out, "%s: %s %s\n", error_prog(), ts, msg);
	fflush(p->out);
}
