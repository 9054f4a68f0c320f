#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "handover.h"

extern char** environ;

/* The command's own variables between its processes, which the Node command never passes on
 * either: a stale copy in the caller's environment must not reach the remote shell. */
static const char* const INTERNAL_VARIABLES[] = {
    "RSH_TRANSPORT_CHAIN=",         "RSH_TRANSPORT_NODE_EXTRA_CA_CERTS=",    "RSH_TRANSPORT_LAUNCHER=",
    "RSH_TRANSPORT_FROM_LAUNCHER=", "RSH_TRANSPORT_NO_PARENT_DEATH_SIGNAL=", HANDOVER_VARIABLE "=",
};

static bool internal_variable(const char* entry) {
  for (size_t i = 0; i < sizeof INTERNAL_VARIABLES / sizeof INTERNAL_VARIABLES[0]; i++) {
    if (strncmp(entry, INTERNAL_VARIABLES[i], strlen(INTERNAL_VARIABLES[i])) == 0) return true;
  }
  return false;
}

/* The caller's environment for the remote shell, with the chain entry; no DISPLAY unless
 * SSH_ASKPASS is set, as rsync does (host/shell-spawn.ts). */
static char** remote_environment(const char* chain_entry) {
  size_t count = 0;
  while (environ[count]) count++;
  char** env = calloc(count + 2, sizeof *env);
  if (!env) return NULL;
  bool askpass = getenv("SSH_ASKPASS") != NULL;
  size_t n = 0;
  for (size_t i = 0; i < count; i++) {
    if (internal_variable(environ[i])) continue;
    if (!askpass && strncmp(environ[i], "DISPLAY=", 8) == 0) continue;
    env[n++] = environ[i];
  }
  env[n++] = (char*)chain_entry;
  env[n] = NULL;
  return env;
}

/* Set by a child whose exec failed. Linux starts the child with vfork(), which shares this
 * memory until the exec; elsewhere a pipe brings it back. */
static volatile int exec_errno;

/* The child: default signal dispositions and mask (as libuv gives its children), the stderr
 * pipe as fd 2, then the remote shell. It writes no memory it shares with the parent (a vfork
 * child) but `exec_errno`, and calls nothing that allocates. */
static void run_remote_shell(char** argv, char** env, int stderr_fd, int exec_report, pid_t parent) {
#ifdef __linux__
  /* Killed outright, this command takes the remote shell with it, as ssh's end would end the
   * connection; the same signal the Node command's remote shell gets then. */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(128 + SIGTERM);
#endif
  /* Every disposition back to the default, an ignored SIGINT or SIGQUIT of a background job's
   * included, as libuv does for the Node command's children. */
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = SIG_DFL;
  for (int signo = 1; signo < NSIG; signo++) {
    if (signo != SIGKILL && signo != SIGSTOP) sigaction(signo, &action, NULL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (dup2(stderr_fd, 2) < 0) {
    exec_errno = errno;
    _exit(127);
  }
#ifdef __linux__
  execvpe(argv[0], argv, env);
  exec_errno = errno;
  (void)exec_report;
#else
  environ = env;
  execvp(argv[0], argv);
  int err = errno;
  ssize_t ignored = write(exec_report, &err, sizeof err);
  (void)ignored;
#endif
  _exit(127);
}

static int cloexec_pipe(int fds[2]) {
  if (pipe(fds) != 0) return -1;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return 0;
}

pid_t start_remote_shell(char** argv, const char* chain_entry, int* stderr_fd) {
  char** env = remote_environment(chain_entry);
  int stderr_pipe[2];
  if (!env || cloexec_pipe(stderr_pipe) != 0) return 0;
  pid_t parent = getpid();
  int exec_error = 0;
  exec_errno = 0;
#ifdef __linux__
  /* vfork: no copy of this process's page tables, and this process waits until the exec. */
  pid_t pid = vfork();
  if (pid == 0) run_remote_shell(argv, env, stderr_pipe[1], -1, parent);
  exec_error = exec_errno;
#else
  int exec_pipe[2];
  if (cloexec_pipe(exec_pipe) != 0) {
    close(stderr_pipe[0]);
    close(stderr_pipe[1]);
    return 0;
  }
  pid_t pid = fork();
  if (pid == 0) run_remote_shell(argv, env, stderr_pipe[1], exec_pipe[1], parent);
  close(exec_pipe[1]);
  /* The exec report closes at the exec (close-on-exec), or brings the errno of a failed one. */
  if (pid > 0) {
    ssize_t got;
    do got = read(exec_pipe[0], &exec_error, sizeof exec_error);
    while (got < 0 && errno == EINTR);
    if (got <= 0) exec_error = 0;
  }
  close(exec_pipe[0]);
#endif
  free(env);
  close(stderr_pipe[1]);
  if (pid < 0 || exec_error != 0) {
    if (pid > 0) waitpid(pid, NULL, 0);
    close(stderr_pipe[0]);
    return 0;
  }
  *stderr_fd = stderr_pipe[0];
  return pid;
}

/* The caller's end-of-file on stdout must come no earlier than this process can be reaped with
 * the remote shell's status: rsync reads the status only of a child that has already exited when
 * it sees end-of-file (waitpid with WNOHANG), and the kernel closes an exiting process's fds
 * before it becomes a zombie, so whoever holds stdout last until exit loses that race now and
 * then (as plain ssh does). A keeper holds a copy of stdout, and nothing it should not, until
 * this process is gone: the kernel sends its parent-death signal in the same locked step that
 * makes this process a zombie, so the caller's waitpid after the keeper's end always finds the
 * status. Linux only (no parent-death signal elsewhere: there the race stays as with ssh).
 *
 * The keeper shares this process's memory (clone with CLONE_VM): no page tables to copy, and no
 * copy-on-write faults here after it starts, which made a forked keeper cost a third of the
 * launcher's CPU. So it runs on a stack of its own and makes only calls that cannot fail (a
 * failure would write errno, which it shares with this process): dispositions of the standard
 * signals, the parent-death signal, closing stdin and stderr (open: open_standard_fds() saw to
 * it). Other fds inherited from the caller it keeps, as this process does until it exits. */
#ifdef __linux__
static pid_t keeper_parent;
static char keeper_stack[16384] __attribute__((aligned(16)));

static int keeper(void* unused) {
  (void)unused;
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN; /* a terminal's ^C is for the others */
  for (int signo = 1; signo < 32; signo++) {
    if (signo != SIGKILL && signo != SIGSTOP) sigaction(signo, &ignore, NULL);
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != keeper_parent) _exit(0);
  close(0);
  close(2);
  for (;;) pause();
  return 0;
}
#endif

void keep_stdout_past_exit(void) {
#ifdef __linux__
  keeper_parent = getpid();
  clone(keeper, keeper_stack + sizeof keeper_stack, CLONE_VM | SIGCHLD, NULL);
#endif
}
