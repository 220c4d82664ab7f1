/*
 * openloop N [PATH]: makes N openat(AT_FDCWD, PATH, O_RDONLY) calls that fail
 * (PATH defaults to a file that does not exist) and reports, on stderr, how many
 * failed with ENOENT and how long the loop took by its own clock, like dd's
 * "copied, X s" line:
 *
 *   openloop: 200000 openat calls, 200000 ENOENT, 0.123456 s
 *
 * Built statically (bench/injection/run.sh does it) so that the program makes no
 * openat call of its own before the loop: an unconditional rule on openat then
 * touches only the loop's calls, not the dynamic loader's.
 * Exits 1 if any call did not fail with ENOENT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: openloop N [PATH]\n");
        return 2;
    }
    long n = strtol(argv[1], NULL, 10);
    const char *path = argc > 2 ? argv[2] : "/nonexistent-phoebe-bench/x";
    long enoent = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        int fd = openat(AT_FDCWD, path, O_RDONLY);
        if (fd >= 0)
            close(fd);
        else if (errno == ENOENT)
            enoent++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "openloop: %ld openat calls, %ld ENOENT, %.6f s\n", n, enoent, s);
    return enoent == n ? 0 : 1;
}
