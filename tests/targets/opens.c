/* opens PATH...
 * Opens each PATH read-only, in order, and closes it again:
 *   openat /etc/hostname -> 3
 *   close 3 -> 0
 *   openat /nonexistent -> -1 ENOENT
 * Exit status 0 when every call succeeded, 1 otherwise. */
#include "target.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int failed = 0;
    buffer_stdout();
    if (argc < 2) {
        fprintf(stderr, "usage: opens PATH...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        int fd = openat(AT_FDCWD, argv[i], O_RDONLY | O_CLOEXEC);
        int e = errno;
        printf("openat %s", argv[i]);
        print_result(fd, e);
        if (fd < 0) {
            failed = 1;
            continue;
        }
        int r = close(fd);
        e = errno;
        printf("close %d", fd);
        print_result(r, e);
        if (r < 0) failed = 1;
    }
    return failed;
}
