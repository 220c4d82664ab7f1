/* rw FILE COUNT SIZE
 * Creates FILE and writes COUNT chunks of SIZE bytes (chunk 1 is all 'a',
 * chunk 2 all 'b', ...), closes it, then reads it back in SIZE-byte reads
 * until end of file:
 *   openat out.txt -> 3
 *   write 3 #1 -> 4
 *   ...
 *   close 3 -> 0
 *   openat out.txt -> 3
 *   read 3 #1 -> 4
 *   ...
 *   read 3 #4 -> 0
 *   close 3 -> 0
 *   total write 12 read 12
 * A failed call is reported and the loop goes on. The file's content shows
 * which writes really happened. Exit status 0 when every call succeeded. */
#include "target.h"
#include <fcntl.h>
#include <unistd.h>

static int failed;

static void close_fd(int fd)
{
    int r = close(fd);
    int e = errno;
    printf("close %d", fd);
    print_result(r, e);
    if (r < 0) failed = 1;
}

int main(int argc, char **argv)
{
    buffer_stdout();
    if (argc != 4) {
        fprintf(stderr, "usage: rw FILE COUNT SIZE\n");
        return 2;
    }
    const char *path = argv[1];
    long count = parse_count(argv[2], "COUNT", 10000);
    long size = parse_count(argv[3], "SIZE", 1 << 20);
    char *chunk = malloc(size + 1);
    long written = 0, total_read = 0;

    int fd = openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int e = errno;
    printf("openat %s", path);
    print_result(fd, e);
    if (fd < 0) {
        failed = 1;
    } else {
        for (long i = 1; i <= count; i++) {
            memset(chunk, 'a' + (i - 1) % 26, size);
            ssize_t r = write(fd, chunk, size);
            e = errno;
            printf("write %d #%ld", fd, i);
            print_result(r, e);
            if (r < 0) failed = 1;
            else written += r;
        }
        close_fd(fd);
    }

    fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    e = errno;
    printf("openat %s", path);
    print_result(fd, e);
    if (fd < 0) {
        failed = 1;
    } else {
        /* Bounded, so that a rule failing every read cannot loop forever. */
        for (long i = 1; i <= 2 * count + 2; i++) {
            ssize_t r = read(fd, chunk, size);
            e = errno;
            printf("read %d #%ld", fd, i);
            print_result(r, e);
            if (r < 0) failed = 1;
            else total_read += r;
            if (r == 0) break;
        }
        close_fd(fd);
    }
    printf("total write %ld read %ld\n", written, total_read);
    free(chunk);
    return failed;
}
