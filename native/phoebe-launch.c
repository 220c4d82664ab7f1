/*
 * phoebe-launch: starts a target for Phoebe's seccomp + ptrace injector.
 *
 *   phoebe-launch [--filter FILE [--notify]] [--tracer-timeout MS] -- PROGRAM [ARGS...]
 *
 * .NET cannot run managed code between fork and exec, so Phoebe spawns this
 * program, PTRACE_SEIZEs it, and lets it install the seccomp filter and exec
 * the target. The protocol is described in native/README.md.
 *
 * Nothing is printed on success: the target's stdout and stderr are its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#define EXIT_LAUNCHER 125 /* bad usage, filter or tracer problem */
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

#define USAGE "usage: phoebe-launch [--filter FILE [--notify]] [--tracer-timeout MS] -- PROGRAM [ARGS...]"

extern char **environ;

/* One line, one write(2): after the filter is installed every syscall the
 * launcher makes is filtered too, so it makes as few as it can. */
static void die(int status, int err, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof line - 64)
        n = (int)sizeof line - 64;
    if (err != 0)
        n += snprintf(line + n, sizeof line - (size_t)n, ": %s", strerror(err));
    line[n++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
    (void)ignored;
    _exit(status);
}

/* Reads FILE as a raw array of struct sock_filter and unlinks it; it is a
 * private temp file, removed even when its contents are rejected. */
static struct sock_fprog read_filter(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die(EXIT_LAUNCHER, errno, "phoebe: launcher: cannot open filter %s", path);
    if (unlink(path) != 0)
        die(EXIT_LAUNCHER, errno, "phoebe: launcher: cannot remove filter %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0)
        die(EXIT_LAUNCHER, errno, "phoebe: launcher: cannot stat filter %s", path);
    const off_t insn = (off_t)sizeof(struct sock_filter);
    if (st.st_size <= 0 || st.st_size % insn != 0 || st.st_size / insn > BPF_MAXINSNS)
        die(EXIT_LAUNCHER, 0,
            "phoebe: launcher: filter %s: size %lld is not 1..%d instructions of %zu bytes",
            path, (long long)st.st_size, BPF_MAXINSNS, sizeof(struct sock_filter));

    size_t size = (size_t)st.st_size;
    struct sock_filter *insns = malloc(size);
    if (insns == NULL)
        die(EXIT_LAUNCHER, errno, "phoebe: launcher: filter %s", path);
    for (size_t done = 0; done < size;) {
        ssize_t n = read(fd, (char *)insns + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die(EXIT_LAUNCHER, errno, "phoebe: launcher: cannot read filter %s", path);
        if (n == 0)
            die(EXIT_LAUNCHER, 0, "phoebe: launcher: filter %s: shrank while being read", path);
        done += (size_t)n;
    }
    close(fd);
    return (struct sock_fprog){
        .len = (unsigned short)(size / sizeof(struct sock_filter)),
        .filter = insns,
    };
}

/* Returns the TracerPid field of /proc/self/status. */
static long tracer_pid(void)
{
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die(EXIT_LAUNCHER, errno, "phoebe: launcher: cannot open /proc/self/status");
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die(EXIT_LAUNCHER, errno, "phoebe: launcher: cannot read /proc/self/status");
        if (n == 0 || (len += (size_t)n) == sizeof buf - 1)
            break;
    }
    close(fd);
    buf[len] = '\0';
    const char *field = strstr(buf, "\nTracerPid:");
    if (field == NULL)
        die(EXIT_LAUNCHER, 0, "phoebe: launcher: /proc/self/status has no TracerPid");
    return strtol(field + sizeof "\nTracerPid:" - 1, NULL, 10);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The tracer uses PTRACE_SEIZE, which stops nothing: poll until it is there. */
static void wait_for_tracer(long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    const struct timespec interval = {.tv_sec = 0, .tv_nsec = 100 * 1000};
    while (tracer_pid() == 0) {
        if (now_ms() >= deadline)
            die(EXIT_LAUNCHER, 0,
                "phoebe: launcher: waiting for the tracer: none attached within %ld ms",
                timeout_ms);
        nanosleep(&interval, NULL);
    }
}

/* With --notify the filter has SECCOMP_RET_USER_NOTIF actions and is installed
 * with a listener. The listener is close-on-exec; the filter makes our execve
 * stop for the tracer (SECCOMP_RET_TRACE), which takes its own copy of the
 * listener with pidfd_getfd(2) at that stop. So no syscall runs between the
 * filter and the exec but the exec itself: the target's counts start clean. */
static void install_filter(struct sock_fprog *prog, int notify)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        die(EXIT_LAUNCHER, errno, "phoebe: launcher: prctl(PR_SET_NO_NEW_PRIVS)");
    if (notify) {
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, prog) < 0)
            die(EXIT_LAUNCHER, errno, "phoebe: launcher: seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)");
        return;
    }
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) == 0)
        return;
    if (errno != ENOSYS)
        die(EXIT_LAUNCHER, errno, "phoebe: launcher: seccomp(SECCOMP_SET_MODE_FILTER)");
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) != 0)
        die(EXIT_LAUNCHER, errno, "phoebe: launcher: prctl(PR_SET_SECCOMP)");
}

/* The target sees default dispositions and an empty mask, whatever the .NET
 * process left behind (it ignores SIGPIPE; handled signals reset on exec, but
 * ignored ones and the mask are inherited). */
static void reset_signals(void)
{
    static const int defaults[] = {SIGPIPE, SIGINT, SIGQUIT};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        signal(defaults[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Finds PROGRAM on PATH as execvp(3) would, before the filter is installed, so
 * that afterwards the launcher makes a single execve rather than one per PATH
 * entry. Returns the path to execute, or NULL with errno ENOENT or EACCES. */
static const char *resolve_program(const char *program)
{
    if (*program == '\0') {
        errno = ENOENT;
        return NULL;
    }
    if (strchr(program, '/') != NULL)
        return program;
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/bin:/usr/bin";
    int denied = 0;
    size_t plen = strlen(program);
    for (const char *dir = path;; dir++) {
        const char *end = strchrnul(dir, ':');
        size_t dlen = (size_t)(end - dir);
        char *candidate = malloc(dlen + plen + 2);
        if (candidate == NULL)
            die(EXIT_LAUNCHER, errno, "phoebe: launcher: resolving %s", program);
        if (dlen == 0) { /* an empty entry is the current directory */
            memcpy(candidate, program, plen + 1);
        } else {
            memcpy(candidate, dir, dlen);
            candidate[dlen] = '/';
            memcpy(candidate + dlen + 1, program, plen + 1);
        }
        if (is_executable_file(candidate))
            return candidate;
        if (access(candidate, F_OK) == 0)
            denied = 1;
        free(candidate);
        if (*end == '\0')
            break;
        dir = end;
    }
    errno = denied ? EACCES : ENOENT;
    return NULL;
}

/* execve, then as execvp does, a file without a valid executable format is
 * run as a shell script. */
static void exec_program(const char *file, char **argv)
{
    execve(file, argv, environ);
    if (errno == ENOEXEC) {
        int argc = 0;
        while (argv[argc] != NULL)
            argc++;
        char **sh_argv = calloc((size_t)argc + 2, sizeof *sh_argv);
        if (sh_argv != NULL) {
            sh_argv[0] = "sh";
            sh_argv[1] = (char *)file;
            for (int i = 1; i <= argc; i++)
                sh_argv[i + 1] = argv[i];
            execve("/bin/sh", sh_argv, environ);
            free(sh_argv);
            errno = ENOEXEC;
        }
    }
}

static long parse_timeout(const char *text)
{
    char *end;
    errno = 0;
    long ms = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || ms < 0 || ms > INT_MAX)
        die(EXIT_LAUNCHER, 0, "phoebe: launcher: --tracer-timeout: not a number of milliseconds: %s", text);
    return ms;
}

int main(int argc, char **argv)
{
    const char *filter_path = NULL;
    long timeout_ms = 10000;
    int notify = 0;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--notify") == 0) {
            notify = 1;
            continue;
        }
        int known = strcmp(argv[i], "--filter") == 0 || strcmp(argv[i], "--tracer-timeout") == 0;
        if (!known)
            die(EXIT_LAUNCHER, 0, "phoebe: launcher: unexpected argument %s; " USAGE, argv[i]);
        if (i + 1 >= argc)
            die(EXIT_LAUNCHER, 0, "phoebe: launcher: %s needs a value; " USAGE, argv[i]);
        if (argv[i][2] == 'f')
            filter_path = argv[++i];
        else
            timeout_ms = parse_timeout(argv[++i]);
    }
    if (i + 1 >= argc)
        die(EXIT_LAUNCHER, 0, "phoebe: launcher: no program given; " USAGE);
    char **target = argv + i + 1;

    struct sock_fprog prog = {0};
    if (filter_path != NULL)
        prog = read_filter(filter_path);

    reset_signals();
    const char *file = resolve_program(target[0]);
    if (file == NULL)
        die(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC, errno,
            "phoebe: cannot run %s", target[0]);

    wait_for_tracer(timeout_ms);

    /* Only now: a SECCOMP_RET_TRACE filter without a tracer fails the
     * filtered syscalls with ENOSYS. */
    if (notify && filter_path == NULL)
        die(EXIT_LAUNCHER, 0, "phoebe: launcher: --notify needs --filter; " USAGE);
    if (filter_path != NULL)
        install_filter(&prog, notify);

    exec_program(file, target);
    die(errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC, errno,
        "phoebe: cannot run %s", target[0]);
}
