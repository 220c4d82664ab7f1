/* errloop [-f] [-s MS] N M K
 * Makes exact numbers of failing and succeeding calls, for the monitor's
 * tests: N openat of a missing file (ENOENT), M openat of /etc/hostname, each
 * closed (success), and K close(-1) (EBADF). It first prints "ready PID" and
 * waits for SIGUSR1, so a monitor can attach before the calls; with -f a
 * forked child makes them (the parent only waits). Then it prints
 *   enoent N / opened M / ebadf K
 * (the counts it saw, from the process that made the calls) and exits 0 when
 * every call ended as expected. With -s, the process that made the calls then
 * sleeps MS milliseconds before exiting (so a scraper sees the live counts). */
#include "target.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long sleep_ms;

static int calls(long n, long m, long k)
{
    long enoent = 0, opened = 0, ebadf = 0;
    for (long i = 0; i < n; i++)
        if (openat(AT_FDCWD, "/nonexistent/phoebe-errloop", O_RDONLY | O_CLOEXEC) < 0 && errno == ENOENT) enoent++;
    for (long i = 0; i < m; i++) {
        int fd = openat(AT_FDCWD, "/etc/hostname", O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && close(fd) == 0) opened++;
    }
    for (long i = 0; i < k; i++)
        if (close(-1) < 0 && errno == EBADF) ebadf++;
    printf("enoent %ld\nopened %ld\nebadf %ld\n", enoent, opened, ebadf);
    fflush(stdout); /* before the -s sleep: a reader sees the counts while it sleeps */
    if (sleep_ms > 0) {
        struct timespec t = { sleep_ms / 1000, (sleep_ms % 1000) * 1000000L };
        while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
    }
    return enoent == n && opened == m && ebadf == k ? 0 : 1;
}

int main(int argc, char **argv)
{
    int fork_first = 0, first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "-f") == 0) fork_first = 1;
        else if (strcmp(argv[first], "-s") == 0 && first + 1 < argc) sleep_ms = parse_count(argv[++first], "MS", 3600000);
        else break;
    }
    if (argc != first + 3) {
        fprintf(stderr, "usage: errloop [-f] [-s MS] N M K\n");
        return 2;
    }
    long n = parse_count(argv[first], "N", 1000000);
    long m = parse_count(argv[first + 1], "M", 1000000);
    long k = parse_count(argv[first + 2], "K", 1000000);

    buffer_stdout();
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    int sig;
    if (sigwait(&usr1, &sig) != 0) return 2;

    if (!fork_first) return calls(n, m, k);
    pid_t child = fork();
    if (child == 0) {
        int r = calls(n, m, k);
        fflush(stdout);
        _exit(r);
    }
    if (child < 0) {
        printf("fork -> -1 %s\n", errno_name(errno));
        return 1;
    }
    int status;
    if (waitpid(child, &status, 0) < 0) return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
