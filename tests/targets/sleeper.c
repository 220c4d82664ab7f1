/* sleeper [-n N] [-i MS] PATH
 * Every MS milliseconds (default 100) calls getpid and opens PATH (closing
 * it again), printing and flushing a line per call, until killed or, with
 * -n, after N ticks:
 *   tick 1 getpid -> ok
 *   tick 1 openat /etc/hostname -> 3
 *   tick 2 getpid -> ok
 *   ...
 * For attach/detach tests: a test reads the lines as they come.
 * Exit status 0 when every call succeeded, 1 otherwise. */
#include "target.h"
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long ticks = 0, interval_ms = 100;
    int opt, failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt(argc, argv, "n:i:")) != -1) {
        if (opt == 'n') ticks = parse_count(optarg, "N", 1L << 40);
        else if (opt == 'i') interval_ms = parse_count(optarg, "MS", 3600 * 1000);
        else return 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: sleeper [-n N] [-i MS] PATH\n");
        return 2;
    }
    const char *path = argv[optind];
    for (long i = 1; ticks == 0 || i <= ticks; i++) {
        /* syscall() rather than getpid(): it turns an injected error into -1/errno. */
        long pid = syscall(SYS_getpid);
        int e = errno;
        if (pid > 0) printf("tick %ld getpid -> ok\n", i);
        else {
            printf("tick %ld getpid -> -1 %s\n", i, errno_name(e));
            failed = 1;
        }
        int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        e = errno;
        printf("tick %ld openat %s", i, path);
        print_result(fd, e);
        if (fd >= 0) close(fd);
        else failed = 1;
        if (ticks != 0 && i == ticks) break;
        struct timespec pause = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };
        nanosleep(&pause, NULL);
    }
    return failed;
}
