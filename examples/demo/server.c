/* demo-kv: a small TCP key-value service, the target of Phoebe's bundled chaos
 * campaign (examples/demo/README.md) and of the experiment orchestrator's
 * end-to-end test.
 *
 *   demo-kv [PORT [DATADIR]]        (or DEMO_KV_PORT, DEMO_KV_DATA; 7480, ./data)
 *   cc -O2 -Wall -Werror -o demo-kv server.c
 *
 * It listens on 127.0.0.1:PORT and speaks a line protocol, one request per
 * line, one answer per request:
 *
 *   PING             PONG
 *   SET key value    OK | ERR disk full | ERR read-only | ERR usage: ...
 *   GET key          VALUE value | NOTFOUND
 *   anything else    ERR unknown command
 *
 * Keys are 1 to 64 characters without spaces; a value is the rest of the line
 * (1 to 256 bytes). One thread serves every client with poll() on
 * non-blocking sockets. Every SET is appended to DATADIR/demo-kv.log before it
 * is answered; the log is fsync'ed every second, and compacted every 3 seconds
 * into DATADIR/snapshot. Start-up replays the snapshot, then the log.
 * DATADIR/demo-kv.conf, optional, may set `fsync_interval_ms` and
 * `snapshot_interval_ms`; it is re-read when it changes.
 *
 * The service meets errors in normal operation (EAGAIN when a non-blocking
 * accept4 or read finds nothing more, ENOENT for the missing optional config
 * and for the stale temp file compaction removes), and it has weaknesses, on
 * purpose, for the campaign to find. Each is marked where it lives:
 *   HANDLED (resilient)   spurious EAGAIN/EINTR on client sockets
 *   DEGRADED              a full disk fails SETs while it lasts
 *   WEAKNESS (corrupted)  a failed log write or fsync latches read-only mode
 *   WEAKNESS (crash)      compaction does not check fopen() */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define MAX_KEY 64
#define MAX_VALUE 256
#define MAX_LINE 1024
#define OUT_BUFFER 8192
#define BUCKETS 4096

struct entry {
    struct entry *next;
    char *key;
    char *value;
};

struct client {
    int fd;
    size_t in_len, out_len;
    char in[MAX_LINE];
    char out[OUT_BUFFER];
};

static struct entry *table[BUCKETS];
static size_t key_count;

static struct client clients[MAX_CLIENTS];
static int client_count;

static const char *data_dir;
static char log_path[4096], snapshot_path[4096], temp_path[4096], config_path[4096];
static int log_fd = -1;
static off_t log_size;          /* where the next record starts: a torn record is cut back to it */
static int log_dirty;           /* records written since the last fsync */
static long records_since_snapshot;
static int read_only;           /* see enter_read_only(): never cleared */
static int disk_full_reported;

static long fsync_interval_ms = 1000;
static long snapshot_interval_ms = 3000;
static struct timespec config_mtime;
static int config_loaded;

static volatile sig_atomic_t stopping;

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void die(const char *what)
{
    fprintf(stderr, "demo-kv: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* ------------------------------------------------------------------ store */

static unsigned long hash(const char *s)
{
    unsigned long h = 5381;
    while (*s) h = h * 33 + (unsigned char)*s++;
    return h % BUCKETS;
}

static const char *store_get(const char *key)
{
    for (struct entry *e = table[hash(key)]; e; e = e->next)
        if (strcmp(e->key, key) == 0) return e->value;
    return NULL;
}

static void store_set(const char *key, const char *value)
{
    struct entry **head = &table[hash(key)];
    for (struct entry *e = *head; e; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            free(e->value);
            e->value = strdup(value);
            return;
        }
    }
    struct entry *e = malloc(sizeof *e);
    if (!e) die("malloc");
    e->key = strdup(key);
    e->value = strdup(value);
    if (!e->key || !e->value) die("strdup");
    e->next = *head;
    *head = e;
    key_count++;
}

/* Splits "key value" (value: the rest of the line); 0 when malformed. */
static int parse_pair(char *text, char **key, char **value)
{
    char *space = strchr(text, ' ');
    if (!space) return 0;
    *space = '\0';
    *key = text;
    *value = space + 1;
    size_t k = strlen(*key), v = strlen(*value);
    return k >= 1 && k <= MAX_KEY && v >= 1 && v <= MAX_VALUE;
}

/* Replays "SET key value" lines from a snapshot or the log, and returns the
 * size of its complete lines. A missing file is normal (the first start, or
 * no compaction yet); a torn last record, left by a crash in the middle of a
 * write, is skipped (and main() cuts it off the log). */
static off_t replay(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        die(path);
    }
    char line[MAX_LINE + 2];
    long applied = 0, skipped = 0;
    off_t complete = 0;
    while (fgets(line, sizeof line, f)) {
        char *key, *value;
        size_t n = strlen(line);
        if (n == 0 || line[n - 1] != '\n') {
            skipped++;
            continue;
        }
        complete = ftello(f);
        line[n - 1] = '\0';
        if (strncmp(line, "SET ", 4) != 0 || !parse_pair(line + 4, &key, &value)) {
            skipped++;
            continue;
        }
        store_set(key, value);
        applied++;
    }
    fclose(f);
    fprintf(stderr, "demo-kv: replayed %s: %ld records, %ld skipped\n", path, applied, skipped);
    return complete;
}

/* -------------------------------------------------------------- durability */

/* WEAKNESS (corrupted). One failed write or fsync of the log latches the store
 * into read-only mode for the rest of the process's life: nothing clears
 * read_only, no write is ever retried, and PING still answers PONG, so a
 * readiness probe sees a healthy server that refuses every SET long after the
 * disk has recovered. Since "fsyncgate" (PostgreSQL, 2018) it is known that
 * an fsync error must not simply be retried, as the kernel may have dropped
 * the dirty pages; but the data is still here, in memory. A robust server
 * would rewrite it (a fresh snapshot from memory, then a new log) and go on,
 * or exit so that its supervisor restarts it and it replays its files.
 * Reached by rules.phb `log_fsync_fails` and `log_write_fails`. */
static void enter_read_only(const char *why)
{
    if (!read_only) fprintf(stderr, "demo-kv: %s: %s; refusing writes from now on\n", why, strerror(errno));
    read_only = 1;
}

/* Appends one SET to the log; 0 when it is there, else the errno. */
static int log_append(const char *key, const char *value)
{
    char record[MAX_LINE + 8];
    int len = snprintf(record, sizeof record, "SET %s %s\n", key, value);
    ssize_t n = write(log_fd, record, (size_t)len);
    if (n == len) {
        log_size += n;
        log_dirty = 1;
        records_since_snapshot++;
        disk_full_reported = 0;
        return 0;
    }
    int error = n < 0 ? errno : ENOSPC;  /* a short write: the disk filled up mid-record */
    /* Cut a torn record off, so that the next one starts on its own line. */
    if (n > 0 && ftruncate(log_fd, log_size) != 0) error = errno;
    errno = error;
    return error;
}

static void log_sync(void)
{
    if (!log_dirty || read_only) return;
    if (fsync(log_fd) != 0) {
        enter_read_only("fsync of the log failed");
        return;
    }
    log_dirty = 0;
}

/* Compaction: every key goes to snapshot.tmp, which is fsync'ed and renamed
 * over snapshot; then the log, whose records the snapshot now holds, is
 * emptied. A failure leaves the previous snapshot and the log as they were
 * (replaying both gives the same store, since SETs can be replayed twice). */
static void compact(void)
{
    if (records_since_snapshot == 0 || read_only) return;
    /* A leftover of a compaction that crashed; normally absent (ENOENT). */
    unlink(temp_path);

    /* WEAKNESS (crash). The result of fopen() is not checked: when the temp
     * file cannot be created (ENOSPC or EDQUOT on a full disk, EACCES, EMFILE
     * when the process is out of descriptors), f is NULL and the first
     * fprintf() below dereferences it: SIGSEGV. Reached by rules.phb
     * `snapshot_create_fails`, and by the standard library's `fd-exhaustion`. */
    FILE *f = fopen(temp_path, "w");
    for (int b = 0; b < BUCKETS; b++)
        for (struct entry *e = table[b]; e; e = e->next) fprintf(f, "SET %s %s\n", e->key, e->value);

    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        fprintf(stderr, "demo-kv: writing %s: %s; keeping the log\n", temp_path, strerror(errno));
        fclose(f);
        unlink(temp_path);
        return;
    }
    fclose(f);
    if (rename(temp_path, snapshot_path) != 0) {
        fprintf(stderr, "demo-kv: renaming %s: %s; keeping the log\n", temp_path, strerror(errno));
        unlink(temp_path);
        return;
    }
    /* (A server that must survive power loss would fsync DATADIR here too.) */
    if (ftruncate(log_fd, 0) == 0) log_size = 0;
    records_since_snapshot = 0;
}

/* Reads the optional config when it appeared or changed. Called every second:
 * with no config file, every call meets ENOENT, which is fine. */
static void config_check(void)
{
    struct stat st;
    if (stat(config_path, &st) != 0) {
        if (errno != ENOENT) fprintf(stderr, "demo-kv: %s: %s\n", config_path, strerror(errno));
        config_loaded = 0;
        return;
    }
    if (config_loaded && st.st_mtim.tv_sec == config_mtime.tv_sec && st.st_mtim.tv_nsec == config_mtime.tv_nsec) return;
    FILE *f = fopen(config_path, "r");
    if (!f) return;
    char line[256], name[64];
    long value;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, " %63[a-z_] = %ld", name, &value) != 2 || value < 10) continue;
        if (strcmp(name, "fsync_interval_ms") == 0) fsync_interval_ms = value;
        else if (strcmp(name, "snapshot_interval_ms") == 0) snapshot_interval_ms = value;
    }
    fclose(f);
    config_mtime = st.st_mtim;
    config_loaded = 1;
    fprintf(stderr, "demo-kv: config: fsync every %ld ms, snapshot every %ld ms\n", fsync_interval_ms, snapshot_interval_ms);
}

/* ---------------------------------------------------------------- clients */

static int reply(struct client *c, const char *text)
{
    size_t n = strlen(text);
    if (c->out_len + n + 1 > sizeof c->out) return 0;  /* a client that never reads: drop it */
    memcpy(c->out + c->out_len, text, n);
    c->out[c->out_len + n] = '\n';
    c->out_len += n + 1;
    return 1;
}

static int handle_set(struct client *c, char *args)
{
    char *key, *value;
    if (!parse_pair(args, &key, &value) || strchr(key, '\t'))
        return reply(c, "ERR usage: SET key value (key: 1-64 characters, value: 1-256 bytes)");
    if (read_only) return reply(c, "ERR read-only");
    if (log_append(key, value) == 0) {
        store_set(key, value);
        return reply(c, "OK");
    }
    if (errno == ENOSPC || errno == EDQUOT) {
        /* DEGRADED, by design. A full disk fails this SET and leaves the store
         * as it was; the next SET tries the log again, so the service recovers
         * by itself as soon as there is space. Clients see "ERR disk full"
         * meanwhile. Reached by rules.phb `log_disk_full`. */
        if (!disk_full_reported) fprintf(stderr, "demo-kv: log write: %s; failing SETs until it passes\n", strerror(errno));
        disk_full_reported = 1;
        return reply(c, "ERR disk full");
    }
    enter_read_only("log write failed");
    return reply(c, "ERR read-only");
}

static int handle_line(struct client *c, char *line)
{
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\r') line[n - 1] = '\0';
    if (strcmp(line, "PING") == 0) return reply(c, "PONG");
    if (strncmp(line, "SET ", 4) == 0) return handle_set(c, line + 4);
    if (strncmp(line, "GET ", 4) == 0) {
        const char *value = store_get(line + 4);
        if (!value) return reply(c, "NOTFOUND");
        char answer[MAX_VALUE + 8];
        snprintf(answer, sizeof answer, "VALUE %s", value);
        return reply(c, answer);
    }
    return reply(c, "ERR unknown command");
}

static void client_close(int i)
{
    close(clients[i].fd);
    clients[i] = clients[--client_count];
}

/* Sends what is buffered; 0 when the connection is broken. */
static int client_flush(struct client *c)
{
    while (c->out_len > 0) {
        ssize_t n = write(c->fd, c->out, c->out_len);
        if (n < 0) {
            /* HANDLED (resilient): the socket buffer is full, or a signal
             * came first; poll() says when to go on (POLLOUT). */
            if (errno == EAGAIN || errno == EINTR) return 1;
            return 0;
        }
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
    }
    return 1;
}

/* Reads what the client sent and answers every complete line; 0 when the
 * connection is over (closed by the client, broken, or misbehaving). */
static int client_read(struct client *c)
{
    for (;;) {
        ssize_t n = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
        if (n == 0) return 0;
        if (n < 0) {
            /* HANDLED (resilient): EAGAIN is how a non-blocking read says
             * "nothing more for now" (every request ends with one), and a
             * spurious EAGAIN or an EINTR is treated the same way: back to
             * poll(), which reports the socket readable again if it is.
             * Reached by rules.phb `client_io_interrupted`. */
            if (errno == EAGAIN || errno == EINTR) return 1;
            return 0;
        }
        c->in_len += (size_t)n;
        char *start = c->in, *newline;
        while ((newline = memchr(start, '\n', c->in_len - (size_t)(start - c->in)))) {
            *newline = '\0';
            if (!handle_line(c, start)) return 0;
            start = newline + 1;
        }
        c->in_len -= (size_t)(start - c->in);
        memmove(c->in, start, c->in_len);
        if (c->in_len == sizeof c->in) {
            reply(c, "ERR line too long");
            client_flush(c);
            return 0;
        }
    }
}

static void accept_clients(int listener)
{
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            /* EAGAIN: no more pending connections (the normal end of this
             * loop); ECONNABORTED, EINTR, EMFILE...: try again at the next
             * poll() rather than give up on the listener. */
            if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR)
                fprintf(stderr, "demo-kv: accept4: %s\n", strerror(errno));
            return;
        }
        if (client_count == MAX_CLIENTS) {
            static const char busy[] = "ERR too many clients\n";
            if (write(fd, busy, sizeof busy - 1) < 0) { /* it is being closed anyway */ }
            close(fd);
            continue;
        }
        struct client *c = &clients[client_count++];
        c->fd = fd;
        c->in_len = c->out_len = 0;
    }
}

/* ------------------------------------------------------------------- main */

static void on_stop(int signal)
{
    (void)signal;
    stopping = 1;
}

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) die("bind");
    if (listen(fd, 64) != 0) die("listen");
    return fd;
}

static void data_file(char *buffer, size_t size, const char *name)
{
    if ((size_t)snprintf(buffer, size, "%s/%s", data_dir, name) >= size) {
        fprintf(stderr, "demo-kv: data directory path too long\n");
        exit(2);
    }
}

int main(int argc, char **argv)
{
    const char *port_text = argc > 1 ? argv[1] : getenv("DEMO_KV_PORT") ? getenv("DEMO_KV_PORT") : "7480";
    data_dir = argc > 2 ? argv[2] : getenv("DEMO_KV_DATA") ? getenv("DEMO_KV_DATA") : "data";
    int port = atoi(port_text);
    if (argc > 3 || port < 1 || port > 65535) {
        fprintf(stderr, "usage: demo-kv [PORT [DATADIR]]\n");
        return 2;
    }
    data_file(log_path, sizeof log_path, "demo-kv.log");
    data_file(snapshot_path, sizeof snapshot_path, "snapshot");
    data_file(temp_path, sizeof temp_path, "snapshot.tmp");
    data_file(config_path, sizeof config_path, "demo-kv.conf");

    signal(SIGPIPE, SIG_IGN);
    struct sigaction stop = { .sa_handler = on_stop };  /* no SA_RESTART: poll() returns EINTR */
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGINT, &stop, NULL);

    if (mkdir(data_dir, 0755) != 0 && errno != EEXIST) die(data_dir);
    config_check();
    replay(snapshot_path);
    log_size = replay(log_path);
    log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (log_fd < 0) die(log_path);
    /* A torn last record would glue itself to the next one: cut it off. */
    struct stat st;
    if (fstat(log_fd, &st) != 0) die(log_path);
    if (st.st_size > log_size && ftruncate(log_fd, log_size) != 0) die(log_path);

    int listener = listen_on(port);
    fprintf(stderr, "demo-kv: listening on 127.0.0.1:%d, data in %s, %zu keys\n", port, data_dir, key_count);

    long next_sync = now_ms() + fsync_interval_ms, next_config = now_ms() + 1000;
    long next_snapshot = now_ms() + snapshot_interval_ms;
    struct pollfd fds[MAX_CLIENTS + 1];
    while (!stopping) {
        fds[0] = (struct pollfd){ .fd = listener, .events = POLLIN };
        for (int i = 0; i < client_count; i++)
            fds[i + 1] = (struct pollfd){ .fd = clients[i].fd, .events = POLLIN | (clients[i].out_len ? POLLOUT : 0) };
        int polled = client_count;

        long now = now_ms(), wait = next_sync;
        if (next_config < wait) wait = next_config;
        if (next_snapshot < wait) wait = next_snapshot;
        wait = wait > now ? wait - now : 0;
        if (poll(fds, (nfds_t)polled + 1, (int)wait) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }

        if (fds[0].revents & POLLIN) accept_clients(listener);
        /* Backwards, since closing moves the last client into the hole. */
        for (int i = polled - 1; i >= 0; i--) {
            short events = fds[i + 1].revents;
            if (!events) continue;
            struct client *c = &clients[i];
            int ok = 1;
            if (events & (POLLIN | POLLHUP | POLLERR)) ok = client_read(c);
            if (ok) ok = client_flush(c);
            if (!ok) client_close(i);
        }

        now = now_ms();
        if (now >= next_sync) {
            log_sync();
            next_sync = now + fsync_interval_ms;
        }
        if (now >= next_config) {
            config_check();
            next_config = now + 1000;
        }
        if (now >= next_snapshot) {
            compact();
            next_snapshot = now + snapshot_interval_ms;
        }
    }
    log_sync();
    fprintf(stderr, "demo-kv: stopped, %zu keys\n", key_count);
    return 0;
}
