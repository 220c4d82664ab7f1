/* demo-load: steady traffic for demo-kv (server.c), so that the service has
 * work to do while Phoebe observes it and injects faults.
 *
 *   demo-load [PORT [OPS_PER_SECOND]]      (7480, 50)
 *   cc -O2 -Wall -Werror -o demo-load load.c
 *
 * It sends SET and GET requests for random keys (load-0 ... load-999), one at
 * a time, at about OPS_PER_SECOND, and opens a new connection every 100
 * requests, as clients come and go. Whatever goes wrong (refused connection,
 * reset, no answer within a second, an unexpected answer) it reconnects and
 * goes on: it never exits on its own. Every 10 seconds it prints what it saw
 * on stderr. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long ops, errors, broken;

static void pause_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct timeval second = { 1, 0 };
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &second, sizeof second);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends one request and reads one answer line into `answer`; 0 on any failure. */
static int request(int fd, const char *text, char *answer, size_t size)
{
    size_t len = strlen(text);
    if (send(fd, text, len, MSG_NOSIGNAL) != (ssize_t)len) return 0;
    size_t have = 0;
    while (have + 1 < size) {
        ssize_t n = recv(fd, answer + have, size - 1 - have, 0);
        if (n <= 0) return 0;  /* closed, reset, or a second without an answer */
        have += (size_t)n;
        answer[have] = '\0';
        char *newline = memchr(answer, '\n', have);
        if (newline) {
            *newline = '\0';
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 7480;
    long rate = argc > 2 ? atol(argv[2]) : 50;
    if (argc > 3 || port < 1 || port > 65535 || rate < 1 || rate > 10000) {
        fprintf(stderr, "usage: demo-load [PORT [OPS_PER_SECOND]]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    time_t last_report = time(NULL);

    for (;;) {
        int fd = connect_to(port);
        if (fd < 0) {
            pause_ms(200);  /* the server is (re)starting */
            continue;
        }
        for (int sent = 0; sent < 100; sent++) {
            char text[128], answer[512];
            int key = rand() % 1000, set = rand() % 2, ok;
            if (set) snprintf(text, sizeof text, "SET load-%d %08x%08x\n", key, (unsigned)rand(), (unsigned)rand());
            else snprintf(text, sizeof text, "GET load-%d\n", key);
            ok = request(fd, text, answer, sizeof answer);
            ops++;
            if (ok && strncmp(answer, "ERR", 3) == 0) errors++;
            if (ok && !(set ? strcmp(answer, "OK") == 0 || strncmp(answer, "ERR", 3) == 0
                            : strncmp(answer, "VALUE ", 6) == 0 || strcmp(answer, "NOTFOUND") == 0)) ok = 0;

            if (time(NULL) - last_report >= 10) {
                fprintf(stderr, "demo-load: %ld requests, %ld ERR answers, %ld broken connections\n", ops, errors, broken);
                last_report = time(NULL);
            }
            if (!ok) {
                /* Lost, late or garbled: this connection's answers can no
                 * longer be matched to its requests. Start afresh. */
                broken++;
                break;
            }
            pause_ms(1000 / rate);
        }
        close(fd);
    }
}
