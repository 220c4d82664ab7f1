/* exec [-o PATH] PROG [ARG...]
 * With -o, first opens PATH (and closes it); then replaces itself with PROG
 * (a path, no PATH search), whose output follows. Only a failed exec is
 * printed:
 *   openat /etc/hostname -> 3
 *   close 3 -> 0
 *   execve ./nope -> -1 ENOENT
 * A rule's syscall counting goes on across the exec: with -o, PROG's first
 * openat is the tree's second. Exit status 127 when the exec failed. */
#include "target.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int opt;
    buffer_stdout();
    while ((opt = getopt(argc, argv, "+o:")) != -1) {
        if (opt != 'o') return 2;
        int fd = openat(AT_FDCWD, optarg, O_RDONLY | O_CLOEXEC);
        int e = errno;
        printf("openat %s", optarg);
        print_result(fd, e);
        if (fd >= 0) {
            int r = close(fd);
            e = errno;
            printf("close %d", fd);
            print_result(r, e);
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: exec [-o PATH] PROG [ARG...]\n");
        return 2;
    }
    fflush(stdout);
    execv(argv[optind], argv + optind);
    int e = errno;
    printf("execve %s -> -1 %s\n", argv[optind], errno_name(e));
    return 127;
}
