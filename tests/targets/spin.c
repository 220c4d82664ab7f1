/* spin SECONDS PATH
 * Calls faccessat(AT_FDCWD, PATH, R_OK) as fast as it can for SECONDS seconds
 * (the clock is read through the vDSO: no syscall of its own), then prints
 *   calls N
 *   errno NAME K      (one line per errno the calls failed with)
 * For the feedback-loop tests of `rate`: the achieved error rate is K / N.
 * faccessat holds no resource, so an EXIT rule's injected failure (the call
 * really ran) leaks nothing, unlike an openat whose fd the program never learns. */
#include "target.h"
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: spin SECONDS PATH\n");
        return 2;
    }
    long seconds = parse_count(argv[1], "SECONDS", 3600);
    static long failures[4096];
    long calls = 0;
    double end = now() + seconds;
    while (now() < end) {
        long r = syscall(SYS_faccessat, AT_FDCWD, argv[2], R_OK);
        int e = errno;
        calls++;
        if (r < 0 && e > 0 && e < 4096) failures[e]++;
    }
    printf("calls %ld\n", calls);
    for (int e = 1; e < 4096; e++)
        if (failures[e] > 0) printf("errno %s %ld\n", errno_name(e), failures[e]);
    return 0;
}
