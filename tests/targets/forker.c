/* forker PATH
 * Forks a child that opens PATH and exits with 0 (opened) or the errno; the
 * parent waits for it, reports how it ended, then opens PATH itself:
 *   child openat /etc/hostname -> 3
 *   parent waitpid -> exited 0
 *   parent openat /etc/hostname -> 3
 * The child's openat always comes first (the parent waits), so a rule's
 * "call == 1" is the child's and "call == 2" the parent's.
 * Exit status 0 when both opens succeeded, 1 otherwise. */
#include "target.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static int open_and_close(const char *who, const char *path)
{
    int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    int e = errno;
    printf("%s openat %s", who, path);
    print_result(fd, e);
    if (fd < 0) return e;
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    buffer_stdout();
    if (argc != 2) {
        fprintf(stderr, "usage: forker PATH\n");
        return 2;
    }
    int failed = 0;
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int e = open_and_close("child", argv[1]);
        exit(e > 125 ? 125 : e);
    }
    if (child < 0) {
        int e = errno;
        printf("parent fork -> -1 %s\n", errno_name(e));
        failed = 1;
    } else {
        int status;
        pid_t r = waitpid(child, &status, 0);
        int e = errno;
        if (r < 0) {
            printf("parent waitpid -> -1 %s\n", errno_name(e));
            failed = 1;
        } else if (WIFEXITED(status)) {
            printf("parent waitpid -> exited %d\n", WEXITSTATUS(status));
            if (WEXITSTATUS(status) != 0) failed = 1;
        } else {
            printf("parent waitpid -> killed by %s\n", sigabbrev_np(WTERMSIG(status)));
            failed = 1;
        }
    }
    if (open_and_close("parent", argv[1]) != 0) failed = 1;
    return failed;
}
