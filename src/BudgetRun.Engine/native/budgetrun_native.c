/*
 * budget-run's native process helpers.
 *
 * .NET's Process.Start cannot put the child in its own process group, reset the signal
 * dispositions the runtime changed (SIGPIPE is ignored by .NET), clear the signal mask, hand the
 * terminal to the child or set a parent-death signal. posix_spawn covers the first three but not
 * PR_SET_PDEATHSIG, which must be set in the child between fork and exec. So this file does what
 * glibc's posix_spawn does (vfork with every signal blocked, reset handlers in the child before
 * unblocking, report exec errors through shared memory) plus the two steps posix_spawn lacks.
 *
 * When budget-run has a cgroup for the attempt, the child is created inside it by clone3 with
 * CLONE_INTO_CGROUP, so that it is contained from its first instruction (a fork-then-move would let
 * it fork first). That clone has fork semantics (its own copy of memory, the parent suspended until
 * it execs, as with vfork); exec errors come back through a close-on-exec pipe.
 *
 * Everything here is async-signal-safe in the child; the child never returns into managed code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define BR_EXPORT __attribute__((visibility("default")))

/* clone3's arguments (linux/sched.h, Linux 5.7+), spelled out here: glibc has no clone3 wrapper and
 * its <sched.h> clashes with the kernel header. */
struct br_clone_args
{
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};
#define BR_CLONE_VFORK 0x00004000ULL
#define BR_CLONE_INTO_CGROUP 0x200000000ULL
#ifndef SYS_clone3
#define SYS_clone3 435 /* the same number on every architecture */
#endif
#ifndef __WCLONE
#define __WCLONE 0x80000000
#endif

/* The signal dispositions budget-run was started with, captured before the runtime changes them.
 * The runtime installs its own SIGSEGV and SIGFPE handlers (and ignores SIGPIPE) at start, which
 * overwrites a SIG_IGN that `trap "" SEGV` or nohup-like wrappers handed down; a child must still
 * inherit that SIG_IGN. Linked statically into the Native AOT binary, this constructor runs before
 * main and so before the runtime. Loaded late as a shared library (the framework-dependent build)
 * it runs after the runtime's set-up: a signal with a handler proves that (exec resets every
 * handler, so only SIG_DFL and SIG_IGN can be inherited), and the capture is then not used. */
static sigset_t inherited_ignored;
static int inherited_known;

__attribute__((constructor)) static void br_capture_at_start(void)
{
    /* Also first of all: no process of the same uid may read budget-run's memory or its original
     * environment block (/proc/PID/environ, /proc/PID/mem, ptrace), which hold the secrets that are
     * removed from the child's environment. Non-dumpable makes the files of /proc/PID root's and denies
     * ptrace; execve resets it to dumpable for the child. */
    (void)prctl(PR_SET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);

    sigemptyset(&inherited_ignored);
    for (int sig = 1; sig < NSIG; sig++)
    {
        struct sigaction current;
        if (sigaction(sig, NULL, &current) != 0)
            continue;
        if ((current.sa_flags & SA_SIGINFO) || (current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN))
            return; /* the runtime got here first: inherited_known stays 0 */
        if (current.sa_handler == SIG_IGN)
            sigaddset(&inherited_ignored, sig);
    }
    inherited_known = 1;
}

/* 1 when the start-time dispositions were captured before the runtime ran (Native AOT), else 0. */
BR_EXPORT int br_inherited_known(void)
{
    return inherited_known;
}

/* Process-wide set-up: become the child subreaper so that descendants that escape the child's
 * process group (setsid, double fork) are reparented to us and can be found, killed and reaped.
 * Also make sure SIGCHLD is not ignored: with SIG_IGN the kernel reaps children itself and their
 * exit statuses are lost. Returns 0 or an errno value. */
BR_EXPORT int br_init(void)
{
    struct sigaction current;
    if (sigaction(SIGCHLD, NULL, &current) == 0 &&
        !(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN)
    {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGCHLD, &dfl, NULL);
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL) != 0)
        return errno;
    return 0;
}

/* 1 when the signal is ignored (SIG_IGN) in this process, 0 otherwise, -1 on error. */
BR_EXPORT int br_signal_is_ignored(int sig)
{
    struct sigaction current;
    if (sigaction(sig, NULL, &current) != 0)
        return -1;
    return (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) ? 1 : 0;
}

/* This process's disposition of sig now: 0 SIG_DFL, 1 SIG_IGN, 2 a handler, -1 an invalid or
 * C-library-reserved signal. */
BR_EXPORT int br_signal_disposition(int sig)
{
    struct sigaction current;
    if (sig <= 0 || sig >= NSIG || sigaction(sig, NULL, &current) != 0)
        return -1;
    if (current.sa_flags & SA_SIGINFO)
        return 2;
    return current.sa_handler == SIG_DFL ? 0 : current.sa_handler == SIG_IGN ? 1 : 2;
}

/* Counts a NULL-terminated vector. */
static size_t vector_length(char *const vector[])
{
    size_t n = 0;
    while (vector[n] != NULL)
        n++;
    return n;
}

/* Reports the child's errno to the parent and ends the child: through the pipe when it was
 * cloned with its own memory (report_fd >= 0), else through the memory it shares with the
 * vfork parent. */
__attribute__((noreturn)) static void child_fail(int report_fd, volatile int *shared_errno, int error)
{
    if (report_fd >= 0)
        (void)!write(report_fd, &error, sizeof error);
    else
        *shared_errno = error;
    _exit(127);
}

/* The child's side of a spawn: process group, terminal, parent-death signal, signal dispositions
 * and mask, then exec. Runs with every signal blocked; never returns. */
__attribute__((noreturn)) static void child_exec(const char *path, char *const argv[], char *const envp[],
                                                char *const sh_argv[], int tty_fd, int pdeath_signal,
                                                pid_t parent, int report_fd, volatile int *shared_errno,
                                                int stdout_fd, int stderr_fd)
{
    if (setpgid(0, 0) != 0)
        child_fail(report_fd, shared_errno, errno);
    /* Output budget-run taps (--retry-if-output): the pipe's write end becomes fd 1 or 2. The pipe's
     * own descriptors are close-on-exec and above 2 (br_pipe), so the dup2 copies are all the child keeps. */
    if (stdout_fd >= 0 && dup2(stdout_fd, 1) < 0)
        child_fail(report_fd, shared_errno, errno);
    if (stderr_fd >= 0 && dup2(stderr_fd, 2) < 0)
        child_fail(report_fd, shared_errno, errno);
    if (tty_fd >= 0)
        (void)tcsetpgrp(tty_fd, getpid()); /* SIGTTOU is blocked, so this cannot stop us */
    if (pdeath_signal > 0)
    {
        if (prctl(PR_SET_PDEATHSIG, (unsigned long)pdeath_signal, 0UL, 0UL, 0UL) != 0)
            child_fail(report_fd, shared_errno, errno);
        if (getppid() != parent) /* the supervisor died before we armed the signal */
            _exit(128 + pdeath_signal);
    }
    /* Caught signals would run the runtime's handlers in this child (in the parent's own memory, on
     * the vfork path) if one arrived before exec: reset them. Signals inherited as ignored (nohup, a background job's
     * SIGINT, `trap "" SEGV`) stay ignored. When the start-time dispositions are known
     * (inherited_known), exactly those are ignored, whatever the runtime did since; otherwise
     * what is ignored now stays ignored. SIGPIPE is always reset: .NET ignores it for itself,
     * .NET parents (a CI agent, a test host) hand it down ignored, and a pipeline needs it. */
    for (int sig = 1; sig < NSIG; sig++)
    {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        struct sigaction current;
        if (sigaction(sig, NULL, &current) != 0)
            continue; /* reserved by the C library */
        int is_info = (current.sa_flags & SA_SIGINFO) != 0;
        int is_ignored = !is_info && current.sa_handler == SIG_IGN;
        int is_default = !is_info && current.sa_handler == SIG_DFL;
        int keep_ignored = sig != SIGPIPE &&
                           (inherited_known ? sigismember(&inherited_ignored, sig) == 1 : is_ignored);
        struct sigaction want;
        memset(&want, 0, sizeof want);
        if (keep_ignored)
        {
            if (is_ignored)
                continue;
            want.sa_handler = SIG_IGN;
        }
        else
        {
            if (is_default)
                continue;
            want.sa_handler = SIG_DFL;
        }
        sigaction(sig, &want, NULL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    execve(path, argv, envp);
    if (errno == ENOEXEC)
    {
        execve("/bin/sh", sh_argv, envp);
        errno = ENOEXEC; /* no usable /bin/sh: report the script's own error */
    }
    child_fail(report_fd, shared_errno, errno);
}

/* clone3 into the cgroup open as cgroup_fd, suspending the caller until the child execs or exits
 * (CLONE_VFORK, without CLONE_VM: the child has its own copy of memory and returns from the syscall
 * as from fork). exit_signal 0 makes a child that waitpid(-1) does not see (a "clone" child). */
static long clone_into_cgroup(int cgroup_fd, int exit_signal)
{
    struct br_clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = BR_CLONE_VFORK | BR_CLONE_INTO_CGROUP;
    args.exit_signal = (uint64_t)exit_signal;
    args.cgroup = (uint64_t)cgroup_fd;
    return syscall(SYS_clone3, &args, sizeof args);
}

/* Starts path with argv/envp in a new process group whose leader is the child.
 * tty_fd >= 0: make the child's group the terminal's foreground group (as a shell or tini does).
 * pdeath_signal > 0: the signal the child gets when the spawning thread (or process) dies.
 * cgroup_fd >= 0: an open cgroup v2 directory the child is created in (clone3, CLONE_INTO_CGROUP);
 * when that clone fails, nothing is started and *cgroup_errno says why (ENOSYS, EPERM, EACCES...),
 * so the caller can start it without the cgroup.
 * Returns the pid (> 0) with *exec_errno == 0 on success; the pid with *exec_errno != 0 when the
 * child could not exec (it has already exited with 127 and must still be reaped); -1 with
 * *exec_errno (or *cgroup_errno) set when no child could be created. */
BR_EXPORT pid_t br_spawn(const char *path, char *const argv[], char *const envp[],
                         int tty_fd, int pdeath_signal, int cgroup_fd, int stdout_fd, int stderr_fd,
                         int *exec_errno, int *cgroup_errno)
{
    *exec_errno = 0;
    *cgroup_errno = 0;
    /* A file that is executable but has no #! line makes execve fail with ENOEXEC; then, as
     * execvp, posix_spawnp, env and shells do, it runs as a /bin/sh script: sh PATH ARGS. The
     * vector is built here because the vfork child must not allocate. */
    size_t argc = vector_length(argv);
    char **volatile sh_argv = malloc((argc + 2) * sizeof(char *));
    if (sh_argv == NULL)
    {
        *exec_errno = ENOMEM;
        return -1;
    }
    sh_argv[0] = "sh";
    sh_argv[1] = (char *)path;
    for (size_t i = 1; i <= argc; i++) /* argv[argc] is the terminating NULL */
        sh_argv[i + 1] = argv[i];
    if (argc == 0)
        sh_argv[2] = NULL;

    int report[2] = {-1, -1};
    if (cgroup_fd >= 0 && pipe2(report, O_CLOEXEC) != 0)
    {
        *exec_errno = errno;
        free(sh_argv);
        return -1;
    }

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);

    volatile int child_errno = 0;
    pid_t parent = getpid();
    pid_t pid;
    if (cgroup_fd >= 0)
    {
        pid = (pid_t)clone_into_cgroup(cgroup_fd, SIGCHLD);
        if (pid == 0)
            child_exec(path, argv, envp, sh_argv, tty_fd, pdeath_signal, parent, report[1], NULL, stdout_fd, stderr_fd);
    }
    else
    {
        pid = vfork();
        if (pid == 0) /* shares our memory until exec */
            child_exec(path, argv, envp, sh_argv, tty_fd, pdeath_signal, parent, -1, &child_errno, stdout_fd, stderr_fd);
    }

    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    free(sh_argv);
    if (cgroup_fd >= 0)
    {
        close(report[1]);
        if (pid > 0)
        {
            /* The child has exec'd or exited; its end of the pipe closes on exec, or holds its errno. */
            int reported = 0;
            ssize_t got;
            do
                got = read(report[0], &reported, sizeof reported);
            while (got < 0 && errno == EINTR);
            if (got == (ssize_t)sizeof reported)
                child_errno = reported;
        }
        close(report[0]);
        if (pid < 0)
        {
            *cgroup_errno = fork_errno;
            return -1;
        }
    }
    if (pid < 0)
    {
        *exec_errno = fork_errno;
        return -1;
    }
    /* Also set the group from the parent: harmless when the child already did, and it closes the
     * window in which a signal to the group could miss the child. */
    (void)setpgid(pid, pid);
    *exec_errno = child_errno;
    return pid;
}

/* Whether a child can be created in the cgroup open as cgroup_fd: clone3 with CLONE_INTO_CGROUP of
 * a child that exits at once and is reaped here (a "clone" child: the reaper's waitpid(-1) never
 * sees it). Returns 0, or the errno of the clone (ENOSYS or EPERM under a seccomp filter or an
 * older kernel, EACCES without write access to the cgroups concerned...). */
BR_EXPORT int br_cgroup_probe(int cgroup_fd)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    long pid = clone_into_cgroup(cgroup_fd, 0);
    if (pid == 0)
        _exit(0);
    int error = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0)
        return error;
    int status;
    while (waitpid((pid_t)pid, &status, __WCLONE) < 0 && errno == EINTR)
        ;
    return 0;
}

/* Calls tcsetpgrp with SIGTTOU blocked: a process outside the foreground group would otherwise be
 * stopped by it. */
static int tty_give(int tty_fd, pid_t pgrp)
{
    sigset_t ttou, old;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    pthread_sigmask(SIG_BLOCK, &ttou, &old);
    int rc = tcsetpgrp(tty_fd, pgrp);
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc == 0 ? 0 : err;
}

/* Takes the terminal back for our own process group when the child's group still has it (its
 * number stays the foreground after its last member died). If someone else has the foreground,
 * e.g. the shell after `bg`, it is left alone. Returns 1 when the child's group had the terminal
 * (so a Ctrl-C there went to it), 0 when it did not. */
BR_EXPORT int br_tty_reclaim(int tty_fd, pid_t child_pgrp)
{
    if (tcgetpgrp(tty_fd) != child_pgrp)
        return 0;
    (void)tty_give(tty_fd, getpgrp());
    return 1;
}

/* Job control, as sudo does it: the child's group was stopped by sig (SIGTSTP, SIGTTIN, SIGTTOU)
 * while it had the terminal, typically Ctrl-Z. Takes the terminal back and stops this process
 * with the same signal, so that the shell, which waits for us, sees its job stopped and prints
 * its prompt. Returns once we are continued (`fg` or `bg`): if our group then has the terminal
 * (`fg`), the child's group gets it again; either way the child's group is continued.
 * Returns 1 after such a suspension, 0 when the child's group did not have our terminal (no
 * controlling terminal, a background run, a stop sent from outside) and nothing was done. */
BR_EXPORT int br_job_stop(int tty_fd, pid_t child_pgrp, int sig)
{
    if (tcgetpgrp(tty_fd) != child_pgrp)
        return 0;
    (void)tty_give(tty_fd, getpgrp());

    /* Stop with the default action even if the runtime catches sig. raise() signals this very
     * thread with sig unblocked, so the stop happens before raise returns: no other thread can
     * take the signal after the handler is restored. In an orphaned process group (no shell
     * above us, e.g. PID 1 of a container) the kernel discards the signal and we go straight on:
     * Ctrl-Z is then a no-op, as it is for any process there. */
    struct sigaction dfl, saved;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigset_t only, old;
    sigemptyset(&only);
    sigaddset(&only, sig);
    sigaction(sig, &dfl, &saved);
    pthread_sigmask(SIG_UNBLOCK, &only, &old);
    raise(sig);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    sigaction(sig, &saved, NULL);

    /* Continued. `fg` made our group the foreground; `bg` left it with the shell. */
    if (tcgetpgrp(tty_fd) == getpgrp())
        (void)tty_give(tty_fd, child_pgrp);
    (void)killpg(child_pgrp, SIGCONT);
    return 1;
}

/* 1 when fd is a terminal whose foreground group is ours, so the child may take it over. */
BR_EXPORT int br_tty_is_foreground(int tty_fd)
{
    if (!isatty(tty_fd))
        return 0;
    return tcgetpgrp(tty_fd) == getpgrp() ? 1 : 0;
}

/* Blocks until any child exits or is stopped (WUNTRACED: job control needs to see the stop).
 * Returns the pid, 0 with *status unset when there is no child (ECHILD), or -1 on another error.
 * Retries on EINTR. */
BR_EXPORT pid_t br_wait_any(int *status)
{
    for (;;)
    {
        pid_t pid = waitpid(-1, status, WUNTRACED);
        if (pid >= 0)
            return pid;
        if (errno == EINTR)
            continue;
        return errno == ECHILD ? 0 : -1;
    }
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same number on every architecture (Linux 5.3+) */
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424 /* Linux 5.1+ */
#endif

/* A pidfd for pid (close-on-exec), or -errno: it names that process and no later one of the same
 * pid, so a check of the process made after opening it holds for the signal sent through it. */
BR_EXPORT int br_pidfd_open(pid_t pid)
{
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd >= 0 ? (int)fd : -errno;
}

/* Sends signal to the process of pidfd: 0, or the errno (ESRCH once it has exited). */
BR_EXPORT int br_pidfd_signal(int pidfd, int signal)
{
    return syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0) == 0 ? 0 : errno;
}

/* lstat of path: its owner's uid, and its mode bits with the file type (S_IFDIR, S_IFREG, S_IFLNK...).
 * 0, or the errno. A symbolic link is described, never followed. */
BR_EXPORT int br_path_owner(const char *path, uint32_t *uid, uint32_t *mode)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno;
    *uid = (uint32_t)st.st_uid;
    *mode = (uint32_t)st.st_mode;
    return 0;
}

/* ---- The output tap (--retry-if-output, --report-output-tail) ----
 *
 * When asked, a child's stdout or stderr is a pipe that budget-run copies to its own, byte for
 * byte and as it comes, keeping the last bytes for the retry decision. The copy is zero-copy where
 * the kernel allows: tee(2) duplicates what the child wrote into a private "side" pipe (page
 * references, no copy), splice(2) moves it to budget-run's output, and the side pipe keeps the
 * tail, its excess dropped by a splice into /dev/null. Where budget-run's output takes no splice
 * (a terminal, a file opened O_APPEND), it is read() and write(). */

/* A pipe whose two descriptors are close-on-exec and above 2 (so that a child's dup2 onto 1 or 2
 * never meets its own source, even when budget-run was started with one of them closed), holding
 * `size` bytes where the system allows it (a larger pipe means fewer wake-ups of the writer, the
 * pump and the reader after it). 0 or errno. */
BR_EXPORT int br_pipe(int fds[2], int size)
{
    int raw[2];
    if (pipe2(raw, O_CLOEXEC) != 0)
        return errno;
    if (size > 0)
        (void)fcntl(raw[1], F_SETPIPE_SZ, size); /* else the default, 64 KiB */
    for (int i = 0; i < 2; i++)
    {
        if (raw[i] > 2)
            continue;
        int moved = fcntl(raw[i], F_DUPFD_CLOEXEC, 3);
        int error = errno;
        close(raw[i]);
        if (moved < 0)
        {
            close(raw[1 - i]);
            return error;
        }
        raw[i] = moved;
    }
    fds[0] = raw[0];
    fds[1] = raw[1];
    return 0;
}

/* 1 when descriptors a and b are open on the same file (a terminal, a pipe, a file), 0 when not,
 * -1 when either is not open. */
BR_EXPORT int br_same_file(int a, int b)
{
    struct stat sa, sb;
    if (fstat(a, &sa) != 0 || fstat(b, &sb) != 0)
        return -1;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino ? 1 : 0;
}

struct br_ring
{
    unsigned char *data;
    size_t cap, len, head; /* head: the oldest byte */
};

static void ring_add(struct br_ring *ring, const unsigned char *bytes, size_t count)
{
    if (count >= ring->cap)
    {
        memcpy(ring->data, bytes + count - ring->cap, ring->cap);
        ring->head = 0;
        ring->len = ring->cap;
        return;
    }
    size_t at = (ring->head + ring->len) % ring->cap;
    size_t first = count < ring->cap - at ? count : ring->cap - at;
    memcpy(ring->data + at, bytes, first);
    memcpy(ring->data, bytes + first, count - first);
    ring->len += count;
    if (ring->len > ring->cap)
    {
        ring->head = (ring->head + ring->len - ring->cap) % ring->cap;
        ring->len = ring->cap;
    }
}

/* Everything the side pipe holds goes to the ring (it is non-blocking). */
static void side_to_ring(int side, struct br_ring *ring, unsigned char *buffer, size_t size)
{
    ssize_t got;
    while ((got = read(side, buffer, size)) > 0 || (got < 0 && errno == EINTR))
        if (got > 0)
            ring_add(ring, buffer, (size_t)got);
}

/* Waits until fd takes more output (a full pipe whose reader is slow, a non-blocking descriptor). */
static void wait_writable(int fd)
{
    struct pollfd out = {fd, POLLOUT, 0};
    while (poll(&out, 1, -1) < 0 && errno == EINTR)
    {
    }
}

static int write_all(int fd, const unsigned char *bytes, size_t count)
{
    while (count > 0)
    {
        ssize_t put = write(fd, bytes, count);
        if (put > 0)
        {
            bytes += put;
            count -= (size_t)put;
        }
        else if (put < 0 && errno == EAGAIN)
            wait_writable(fd);
        else if (put < 0 && errno != EINTR)
            return errno;
    }
    return 0;
}

/* Moves count bytes from the pipe in_fd to out_fd (no copy); 0, or the errno that stopped it. */
static int splice_out(int in_fd, int out_fd, size_t count, int64_t *total)
{
    while (count > 0)
    {
        ssize_t put = splice(in_fd, NULL, out_fd, NULL, count, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (put > 0)
        {
            count -= (size_t)put;
            *total += put;
        }
        else if (put < 0 && errno == EAGAIN)
            wait_writable(out_fd);
        else if (put < 0 && errno != EINTR)
            return errno;
        else if (put == 0)
            return EIO;
    }
    return 0;
}

#define BR_PUMP_CHUNK (256 * 1024)
#define BR_SIDE_SIZE (1024 * 1024)

/* Copies the pipe in_fd to out_fd until in_fd's end of file, or, once wake_fd is readable, until
 * in_fd has nothing more waiting (the writers are dead: what they wrote is all in the pipe). The
 * last `keep` bytes are left in tail (*tail_len of them), the count in *total. Returns 0, or the
 * errno that ended it: the write's (EPIPE when whoever read budget-run's output has gone; the
 * caller then closes in_fd, so that the child meets the same broken pipe), or the read's. */
BR_EXPORT int br_pump(int in_fd, int out_fd, int wake_fd, unsigned char *tail, int32_t keep, int32_t *tail_len, int64_t *total)
{
    *tail_len = 0;
    *total = 0;
    struct br_ring ring = {malloc(keep > 0 ? (size_t)keep : 1), keep > 0 ? (size_t)keep : 1, 0, 0};
    unsigned char *buffer = malloc(BR_PUMP_CHUNK);
    if (ring.data == NULL || buffer == NULL)
    {
        free(ring.data);
        free(buffer);
        return ENOMEM;
    }
    int side[2] = {-1, -1};
    int devnull = -1;
    int splicing = pipe2(side, O_CLOEXEC | O_NONBLOCK) == 0;
    if (splicing)
    {
        (void)fcntl(side[1], F_SETPIPE_SZ, BR_SIDE_SIZE); /* room for the tail and chunks; else 64 KiB */
        devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        splicing = devnull >= 0;
    }
    size_t in_side = 0;
    /* The side pipe's excess is dropped only when the next chunk might not fit: fewer calls. */
    int side_size = side[1] >= 0 ? fcntl(side[1], F_GETPIPE_SZ) : 0;
    size_t drop_above = side_size > BR_PUMP_CHUNK + keep ? (size_t)(side_size - BR_PUMP_CHUNK) : (size_t)keep;
    int woken = 0, error = 0;
    for (;;)
    {
        struct pollfd fds[2] = {{in_fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
        int ready = poll(fds, woken || wake_fd < 0 ? 1 : 2, woken ? 0 : -1);
        if (ready < 0)
        {
            if (errno == EINTR)
                continue;
            error = errno;
            break;
        }
        if (!woken && wake_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0)
        {
            woken = 1;
            continue;
        }
        if (ready == 0)
            break; /* woken, and nothing more is waiting */
        if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
            continue;
        if (!splicing)
        {
            ssize_t got = read(in_fd, buffer, BR_PUMP_CHUNK);
            if (got < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (got <= 0)
            {
                error = got < 0 ? errno : 0;
                break;
            }
            ring_add(&ring, buffer, (size_t)got);
            if ((error = write_all(out_fd, buffer, (size_t)got)) != 0)
                break;
            *total += got;
            continue;
        }
        if (in_side > drop_above)
        {
            /* The side pipe alone holds the tail: drop what is older, and the ring's older bytes too. */
            while (in_side > (size_t)keep)
            {
                ssize_t dropped = splice(side[0], NULL, devnull, NULL, in_side - (size_t)keep, SPLICE_F_NONBLOCK);
                if (dropped <= 0)
                    break;
                in_side -= (size_t)dropped;
            }
            ring.len = 0;
            ring.head = 0;
        }
        int waiting = 0;
        if (ioctl(in_fd, FIONREAD, &waiting) == 0 && waiting > keep)
        {
            /* A byte with at least `keep` more waiting behind it can never be in the tail: it goes
             * straight through, not teed. Only the last bytes of what is waiting are. */
            int put_errno = splice_out(in_fd, out_fd, (size_t)(waiting - keep), total);
            if (put_errno == EINVAL && *total == 0)
            {
                splicing = 0; /* budget-run's output takes no splice: copy (nothing was teed yet) */
                continue;
            }
            if (put_errno != 0)
            {
                error = put_errno;
                break;
            }
        }
        ssize_t got = tee(in_fd, side[1], BR_PUMP_CHUNK, SPLICE_F_NONBLOCK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && errno == EAGAIN)
        {
            /* The side pipe is out of slots (many small writes fill them with few bytes): keep its bytes in the ring. */
            side_to_ring(side[0], &ring, buffer, BR_PUMP_CHUNK);
            in_side = 0;
            continue;
        }
        if (got < 0 && errno == EINVAL)
        {
            splicing = 0; /* no tee here: copy */
            continue;
        }
        if (got <= 0)
        {
            error = got < 0 ? errno : 0;
            break;
        }
        in_side += (size_t)got;
        int put_errno = splice_out(in_fd, out_fd, (size_t)got, total);
        if (put_errno == 0)
            continue;
        if (put_errno == EINVAL && *total == 0)
        {
            /* budget-run's output takes no splice (a terminal, O_APPEND): copy from here on. The
             * chunk is still in in_fd and in the side pipe, which holds nothing else yet: drop it there. */
            while (in_side > 0)
            {
                ssize_t dropped = splice(side[0], NULL, devnull, NULL, in_side, SPLICE_F_NONBLOCK);
                if (dropped <= 0)
                    break;
                in_side -= (size_t)dropped;
            }
            splicing = 0;
            continue;
        }
        error = put_errno;
        break;
    }
    if (side[0] >= 0)
    {
        side_to_ring(side[0], &ring, buffer, BR_PUMP_CHUNK);
        close(side[0]);
        close(side[1]);
    }
    if (devnull >= 0)
        close(devnull);
    for (size_t i = 0; i < ring.len; i++)
        tail[i] = ring.data[(ring.head + i) % ring.cap];
    *tail_len = (int32_t)ring.len;
    free(ring.data);
    free(buffer);
    return error;
}
