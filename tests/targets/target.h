/* Shared by the test targets: every target prints one line per system-call
 * result, "<what> -> <value>" on success and "<what> -> -1 <ERRNO NAME>" on
 * failure, so a test asserts the exact errno the target saw. */
#ifndef PHOEBE_TARGET_H
#define PHOEBE_TARGET_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "EACCES"; "E<number>" for a value glibc has no name for. */
static inline const char *errno_name(int e)
{
    static char unknown[32];
    const char *name = strerrorname_np(e);
    if (name != NULL) return name;
    snprintf(unknown, sizeof unknown, "E%d", e);
    return unknown;
}

/* Prints " -> R" or " -> -1 NAME" and the newline; e is errno right after the call. */
static inline void print_result(long r, int e)
{
    if (r < 0) printf(" -> -1 %s\n", errno_name(e));
    else printf(" -> %ld\n", r);
}

/* One write(1) at exit instead of one per line: the target's own output then
 * never interleaves with, or is counted among, the calls a test injects into
 * (up to 1 MiB of output). */
static inline void buffer_stdout(void)
{
    static char buffer[1 << 20];
    setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
}

static inline long parse_count(const char *text, const char *what, long max)
{
    char *end;
    long n = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || n < 0 || n > max) {
        fprintf(stderr, "bad %s: %s (0..%ld)\n", what, text, max);
        exit(2);
    }
    return n;
}

#endif
