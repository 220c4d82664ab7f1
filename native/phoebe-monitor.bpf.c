// SPDX-License-Identifier: GPL-2.0
/* phoebe-monitor: counts the system calls of a set of processes, per
 * (syscall, result), with their latency. Loaded by Phoebe.Runtime.Monitoring
 * (SyscallMonitor) through libbpf; see native/README.md.
 *
 * Only tracepoints (raw_syscalls, sched): kprobes and fentry are not available
 * on every kernel Phoebe runs on. The hot pair, raw_syscalls sys_enter and
 * sys_exit, is attached as raw tracepoints (BPF_PROG_TYPE_RAW_TRACEPOINT,
 * Linux 4.17): the program gets the tracepoint's arguments as they are, with
 * no perf record built for it on every syscall of the machine, which is most
 * of a classic tracepoint program's cost (docs/performance.md). The sched
 * events are rare and stay classic tracepoints, whose records are declared by
 * hand instead of coming from vmlinux.h, so building needs no kernel BTF. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Must match Phoebe.Runtime.Monitoring.SyscallMonitor. */
#define PHOEBE_MAX_TRACED 8192
#define PHOEBE_MAX_THREADS 32768
#define PHOEBE_MAX_SYSCALLS 512   /* successes of calls numbered below this go to an array */
#define PHOEBE_MAX_KEYS 1024      /* distinct (syscall, errno) failures over the whole run */
#define PHOEBE_HIST_BUCKETS 32
#define PHOEBE_MAX_ERRNO 4095
#define PHOEBE_CANDIDATE_SLOTS 65536 /* a power of two */

/* Arguments of the raw tracepoints (include/trace/events/syscalls.h):
 * sys_enter(struct pt_regs *regs, long id), sys_exit(struct pt_regs *regs, long ret). */
#define RAW_ARG_ID_OR_RET 1

/* The running syscall of a thread: its number and entry time (0: none). */
struct syscall_entry {
    __u64 start;
    __s64 nr;
};

/* Key of the failure counters: result is the errno (0 only for a success of a
 * call numbered PHOEBE_MAX_SYSCALLS or above). */
struct syscall_result {
    __u32 nr;
    __u32 result;
};

/* Counters only grow: user space subtracts the previous reading, so nothing
 * is lost between reading and resetting. */
struct syscall_stats {
    __u64 count;        /* calls that returned with this result */
    __u64 latency_ns;   /* sum of their latencies */
    __u64 hist[PHOEBE_HIST_BUCKETS]; /* calls by floor(log2(latency ns)), last bucket open-ended */
};

/* Processes (tgids) to count. User space adds the target; forks add children. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, PHOEBE_MAX_TRACED);
    __type(key, __u32);
    __type(value, __u8);
} traced SEC(".maps");

/* A cheap first test for every syscall of the machine: slot tgid % SLOTS is
 * set for each traced tgid (by user space and at fork) and never cleared. A
 * clear slot means "not traced" after one array load that the verifier
 * inlines, where the hash lookups below cost a call and a hash; a set slot
 * only means "maybe", and the hash maps decide. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, PHOEBE_CANDIDATE_SLOTS);
    __type(key, __u32);
    __type(value, __u8);
} candidates SEC(".maps");

/* One entry per thread of a traced process, created at its first syscall:
 * its running syscall (start 0 between syscalls). Having an entry is what
 * makes a thread counted, so the hot path is one lookup each way. The number
 * is kept from the entry because sys_exit's raw arguments do not carry it. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, PHOEBE_MAX_THREADS);
    __type(key, __u32);
    __type(value, struct syscall_entry);
} entered SEC(".maps");

/* Successes by syscall number: an array lookup, the common case. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, PHOEBE_MAX_SYSCALLS);
    __type(key, __u32);
    __type(value, struct syscall_stats);
} successes SEC(".maps");

/* Failures by (syscall, errno). Per-CPU, so no atomics; user space sums the CPUs. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, PHOEBE_MAX_KEYS);
    __type(key, struct syscall_result);
    __type(value, struct syscall_stats);
} failures SEC(".maps");

/* Index 0: syscall results not counted because `failures` was full;
 * index 1: threads not counted because `entered` was full;
 * index 2: forked processes not followed because `traced` was full. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 3);
    __type(key, __u32);
    __type(value, __u64);
} lost SEC(".maps");

/* Index 0: offset of child_pid in the sched_process_fork record, which moved
 * between kernel versions; user space reads it from the event's format file. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} config SEC(".maps");

static __always_inline void count_lost(__u32 what)
{
    __u64 *n = bpf_map_lookup_elem(&lost, &what);
    if (n) *n += 1;
}

static __always_inline int may_be_traced(__u32 tgid)
{
    __u32 slot = tgid & (PHOEBE_CANDIDATE_SLOTS - 1);
    __u8 *set = bpf_map_lookup_elem(&candidates, &slot);
    return set && *set;
}

static __always_inline int is_traced(__u32 tgid)
{
    return bpf_map_lookup_elem(&traced, &tgid) != NULL;
}

static __always_inline __u32 log2_bucket(__u64 v)
{
    __u32 r = 0;
    /* Unrolled binary search: floor(log2(v)), 0 for v <= 1. */
    if (v >> 32) { v >>= 32; r += 32; }
    if (v >> 16) { v >>= 16; r += 16; }
    if (v >> 8) { v >>= 8; r += 8; }
    if (v >> 4) { v >>= 4; r += 4; }
    if (v >> 2) { v >>= 2; r += 2; }
    if (v >> 1) { r += 1; }
    return r < PHOEBE_HIST_BUCKETS ? r : PHOEBE_HIST_BUCKETS - 1;
}

/* A call whose number is negative at entry was cancelled by a tracer before
 * the tracepoint (ptrace sets -1 to skip it): start 0, it is not counted. A
 * call skipped by seccomp never reaches sys_enter: its exit finds start 0. */
SEC("raw_tracepoint/sys_enter")
int phoebe_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    __u32 tid = (__u32)id;
    if (!may_be_traced(id >> 32)) return 0;
    long nr = (long)ctx->args[RAW_ARG_ID_OR_RET];
    struct syscall_entry *entry = bpf_map_lookup_elem(&entered, &tid);
    if (entry) {
        entry->nr = nr;
        entry->start = nr < 0 ? 0 : bpf_ktime_get_ns();
        return 0;
    }
    /* First syscall of this thread since the monitor started. */
    if (!is_traced(id >> 32)) return 0;
    struct syscall_entry first = { .start = nr < 0 ? 0 : bpf_ktime_get_ns(), .nr = nr };
    if (bpf_map_update_elem(&entered, &tid, &first, BPF_ANY) != 0) count_lost(1);
    return 0;
}

/* Only calls whose entry was seen are counted: not one running when the
 * monitor attached, nor a new child's return from fork (the parent made
 * that call), as strace -c -f counts. */
SEC("raw_tracepoint/sys_exit")
int phoebe_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    if (!may_be_traced(id >> 32)) return 0;
    __u32 tid = (__u32)id;
    struct syscall_entry *entry = bpf_map_lookup_elem(&entered, &tid);
    if (!entry) return 0;
    __u64 start = entry->start;
    if (start == 0) return 0;
    entry->start = 0;
    long nr = entry->nr;
    __u64 now = bpf_ktime_get_ns();
    __u64 latency = now > start ? now - start : 0;

    long ret = (long)ctx->args[RAW_ARG_ID_OR_RET];
    __u32 result = (ret < 0 && ret >= -PHOEBE_MAX_ERRNO) ? (__u32)-ret : 0;
    struct syscall_stats *s;
    if (result == 0 && nr < PHOEBE_MAX_SYSCALLS) {
        __u32 index = (__u32)nr;
        s = bpf_map_lookup_elem(&successes, &index);
        if (!s) return 0;
    } else {
        struct syscall_result key = { .nr = (__u32)nr, .result = result };
        s = bpf_map_lookup_elem(&failures, &key);
        if (!s) {
            struct syscall_stats zero = {};
            /* NOEXIST: another CPU may have created it; then the lookup finds ours. */
            bpf_map_update_elem(&failures, &key, &zero, BPF_NOEXIST);
            s = bpf_map_lookup_elem(&failures, &key);
            if (!s) {
                count_lost(0);
                return 0;
            }
        }
    }
    s->count += 1;
    s->latency_ns += latency;
    s->hist[log2_bucket(latency)] += 1;
    return 0;
}

/* Runs in the parent. Children of traced processes are traced too. A new
 * thread also comes here (its child_pid is a tid, not a tgid): that key is
 * harmless while the thread lives and removed when it exits. */
SEC("tracepoint/sched/sched_process_fork")
int phoebe_fork(void *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    if (!is_traced(id >> 32)) return 0;
    __u32 zero = 0;
    __u32 *offset = bpf_map_lookup_elem(&config, &zero);
    if (!offset || *offset == 0 || *offset > 256) return 0;
    __s32 child = 0;
    if (bpf_probe_read_kernel(&child, sizeof child, (char *)ctx + *offset) != 0 || child <= 0) return 0;
    __u32 tgid = (__u32)child;
    __u8 one = 1;
    __u32 slot = tgid & (PHOEBE_CANDIDATE_SLOTS - 1);
    bpf_map_update_elem(&candidates, &slot, &one, BPF_ANY); /* an array: cannot fail */
    if (bpf_map_update_elem(&traced, &tgid, &one, BPF_ANY) != 0) count_lost(2);
    return 0;
}

/* Runs in the exiting thread. Its entry goes (exit and exit_group never
 * return, and the tid may be reused). A thread that is not its process's
 * leader also drops the key its creation added to `traced`; a leader's tgid
 * stays (its process may have threads left) and user space prunes dead ones. */
SEC("tracepoint/sched/sched_process_exit")
int phoebe_exit(void *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    __u32 tid = (__u32)id;
    bpf_map_delete_elem(&entered, &tid);
    /* A live non-leader's tid is no live process's tgid: never a key to keep. */
    if (tid != (__u32)(id >> 32)) bpf_map_delete_elem(&traced, &tid);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
