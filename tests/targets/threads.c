/* threads K M PATH
 * Starts K threads that wait for each other on a barrier, then each opens
 * PATH M times (closing it again). Output is collected per thread and
 * printed after all joined, in thread order, so it is deterministic even
 * though the calls interleave:
 *   thread 0 openat /etc/hostname #1 -> ok
 *   thread 0 openat /etc/hostname #2 -> -1 EACCES
 *   ...
 *   failures 1
 * ("ok" rather than the fd: concurrent opens get fds in any order.)
 * Exit status 0 when every call succeeded, 1 otherwise. */
#include "target.h"
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#define MAX_THREADS 64

struct worker {
    pthread_t thread;
    int index;
    long opens;
    const char *path;
    char *out;
    size_t out_len;
    int failures;
};

static pthread_barrier_t start;

static void *work(void *arg)
{
    struct worker *w = arg;
    FILE *out = open_memstream(&w->out, &w->out_len);
    pthread_barrier_wait(&start);
    for (long j = 1; j <= w->opens; j++) {
        int fd = openat(AT_FDCWD, w->path, O_RDONLY | O_CLOEXEC);
        int e = errno;
        if (fd >= 0) {
            fprintf(out, "thread %d openat %s #%ld -> ok\n", w->index, w->path, j);
            if (close(fd) < 0) {
                e = errno;
                fprintf(out, "thread %d close #%ld -> -1 %s\n", w->index, j, errno_name(e));
                w->failures++;
            }
        } else {
            fprintf(out, "thread %d openat %s #%ld -> -1 %s\n", w->index, w->path, j, errno_name(e));
            w->failures++;
        }
    }
    fclose(out);
    return NULL;
}

int main(int argc, char **argv)
{
    static struct worker workers[MAX_THREADS];
    buffer_stdout();
    if (argc != 4) {
        fprintf(stderr, "usage: threads K M PATH\n");
        return 2;
    }
    int k = (int)parse_count(argv[1], "K", MAX_THREADS);
    long m = parse_count(argv[2], "M", 100000);
    pthread_barrier_init(&start, NULL, k + 1);
    for (int i = 0; i < k; i++) {
        workers[i] = (struct worker){ .index = i, .opens = m, .path = argv[3] };
        int r = pthread_create(&workers[i].thread, NULL, work, &workers[i]);
        if (r != 0) {
            /* Cannot go on: the barrier waits for k threads. */
            printf("pthread_create %d -> -1 %s\n", i, errno_name(r));
            return 1;
        }
    }
    pthread_barrier_wait(&start);
    int failures = 0;
    for (int i = 0; i < k; i++) {
        pthread_join(workers[i].thread, NULL);
        fwrite(workers[i].out, 1, workers[i].out_len, stdout);
        free(workers[i].out);
        failures += workers[i].failures;
    }
    printf("failures %d\n", failures);
    return failures != 0;
}
