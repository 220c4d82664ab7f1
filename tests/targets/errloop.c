/* errloop [-f] N M K
 * Makes exact numbers of failing and succeeding calls, for the monitor's
 * tests: N openat of a missing file (ENOENT), M openat of /etc/hostname, each
 * closed (success), and K close(-1) (EBADF). It first prints "ready PID" and
 * waits for SIGUSR1, so a monitor can attach before the calls; with -f a
 * forked child makes them (the parent only waits). Then it prints
 *   enoent N / opened M / ebadf K
 * (the counts it saw, from the process that made the calls) and exits 0 when
 * every call ended as expected. */
#include "target.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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
    return enoent == n && opened == m && ebadf == k ? 0 : 1;
}

int main(int argc, char **argv)
{
    int fork_first = argc > 1 && strcmp(argv[1], "-f") == 0;
    if (argc != 4 + fork_first) {
        fprintf(stderr, "usage: errloop [-f] N M K\n");
        return 2;
    }
    long n = parse_count(argv[1 + fork_first], "N", 1000000);
    long m = parse_count(argv[2 + fork_first], "M", 1000000);
    long k = parse_count(argv[3 + fork_first], "K", 1000000);

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
