/* capture.h - captures what the code under test prints to stderr, so a
 * test can check that an error message names the file and the fix. */
#ifndef RNNPIPE_TEST_CAPTURE_H
#define RNNPIPE_TEST_CAPTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static int capture_saved_fd = -1;

static inline void capture_begin(void)
{
	fflush(stderr);
	capture_saved_fd = dup(2);
	int fd = open(test_path("stderr.txt"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
	assert_true(fd >= 0 && capture_saved_fd >= 0);
	dup2(fd, 2);
	close(fd);
}

/* Restores stderr, echoes what was captured (for the test log) and
 * returns it (static buffer). */
static inline const char *capture_end(void)
{
	static char buf[16384];
	fflush(stderr);
	dup2(capture_saved_fd, 2);
	close(capture_saved_fd);
	FILE *f = fopen(test_path("stderr.txt"), "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	fprintf(stderr, "%s", buf);
	return buf;
}

#endif
