/* The rsh-transport command without Node on the way: bin/rsh-transport.js runs this program
 * (`launcher SCRIPT ARGS...`) where it was built. It starts the remote shell at once with the
 * caller's own stdin and stdout, pumps the remote shell's stderr through the core (forwarded line
 * by line, kept in the bounded capture), passes signals on as the Node command does, and exits
 * with the remote shell's status. Node runs only when there is something to say:
 *
 * - a failure: the capture goes to the Node command in a file without a name, and this process
 *   becomes that command (exec), which writes the last line and exits with the remote shell's
 *   status; the pid the caller waits for ends last, and the caller's stdout stays open until it
 *   does (rsync reads the status of a child that has exited when it sees end-of-file);
 * - anything this program does not do itself (--help, --version, --stall-timeout, a usage error,
 *   a remote shell that would loop back here, one that cannot be started): the Node command runs
 *   from the start, and says it the way it always has. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "handover.h"
#include "node-command.h"
#include "options.h"
#include "pump.h"
#include "remote-argv.h"
#include "signals.h"
#include "sink.h"
#include "spawn.h"
#include "wasm-rt-exceptions.h"
#include "wasm-rt-impl.h"

/* host/options.ts DEFAULT_IDLE_FLUSH_MS: an unfinished line (a prompt) goes out after this quiet. */
#define IDLE_FLUSH_MS 50
#define EXIT_SSH_ERROR 255

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The run's state. Static: a trap of the core returns to main by longjmp, which leaves the
 * locals of the frame it returns to indeterminate. */
static struct {
  pid_t pid;
  int stderr_fd;
  bool exited, eof, stopped_by_caller;
  int wait_status;
  long long drain_deadline, idle_deadline;
} run;

static int remote_status(void) {
  if (WIFSIGNALED(run.wait_status)) return 128 + WTERMSIG(run.wait_status);
  return WEXITSTATUS(run.wait_status);
}

/* A signal from the pipe: the remote shell's end, or the caller's, passed on while the remote
 * shell runs. Returns true when the caller's signal came after the end: the command ends at once
 * with the remote shell's status, as the Node command does. */
static bool take_signal(int signo, uint32_t drain_ms) {
  if (signo == SIGCHLD) {
    if (!run.exited && waitpid(run.pid, &run.wait_status, WNOHANG) == run.pid) {
      run.exited = true;
      run.drain_deadline = now_ms() + drain_ms;
    }
    return false;
  }
  run.stopped_by_caller = true;
  if (run.exited) return true;
  kill(run.pid, signal_to_pass_on(signo));
  return false;
}

/* Until the remote shell has exited and its stderr has ended (or the drain time-out, for a
 * grandchild that holds it): stderr through `read_some`, the sink written as it takes it.
 * Returns true when a caller's signal ends the command now. */
static bool pump_until_end(int signals, struct sink* sink, uint32_t drain_ms, long (*read_some)(int fd),
                           void (*idle)(void)) {
  for (;;) {
    long long now = now_ms();
    if (run.exited && (run.eof || now >= run.drain_deadline)) return false;
    long long wake = run.idle_deadline ? run.idle_deadline : -1;
    if (run.exited && (wake < 0 || run.drain_deadline < wake)) wake = run.drain_deadline;
    int timeout = wake < 0 ? -1 : (int)(wake > now ? wake - now : 0);
    struct pollfd fds[3] = {
        {.fd = signals, .events = POLLIN},
        {.fd = run.eof ? -1 : run.stderr_fd, .events = POLLIN},
        {.fd = sink_pending(sink) ? 2 : -1, .events = POLLOUT},
    };
    if (poll(fds, 3, timeout) < 0 && errno != EINTR) {
      /* Nothing more can be watched: wait for the remote shell's end, stderr left as it is. */
      if (!run.exited && waitpid(run.pid, &run.wait_status, 0) == run.pid) run.exited = true;
      return false;
    }
    if (fds[0].revents) {
      for (int signo; (signo = next_signal()) != 0;) {
        if (take_signal(signo, drain_ms)) return true;
      }
      /* Its SIGCHLD byte may have been dropped by a full pipe: ask at every wake. */
      take_signal(SIGCHLD, drain_ms);
    }
    if (fds[1].revents) {
      long n = read_some(run.stderr_fd);
      if (n == 0) {
        run.eof = true;
        run.idle_deadline = 0;
        close(run.stderr_fd);
      } else if (n > 0) {
        run.idle_deadline = now_ms() + IDLE_FLUSH_MS;
      }
    }
    if (run.idle_deadline && now_ms() >= run.idle_deadline) {
      run.idle_deadline = 0;
      idle();
    }
    if (fds[2].revents) sink_write_some(sink);
  }
}

static struct pump pump;
static struct sink sink;

static long read_into_core(int fd) {
  long n = pump_read(&pump, fd);
  if (n == 0) pump_flush(&pump, true);
  return n;
}

static void flush_unfinished_line(void) { pump_flush(&pump, false); }

/* After a trap of the core (a defect): the rest of stderr passes as it comes, without capture. */
static long read_past_core(int fd) {
  char bytes[65536];
  ssize_t n = read(fd, bytes, sizeof bytes);
  if (n < 0) return errno == EAGAIN || errno == EINTR ? -1 : 0;
  if (n > 0 && sink_admit(&sink, (size_t)n)) sink_add(&sink, bytes, (size_t)n);
  return (long)n;
}

static void nothing_held(void) {}

/* A caller may start this with stdin (or stdout, stderr) closed: the remote shell then gets
 * /dev/null there, as through the Node command, and no pipe of this program's lands on it. */
static void open_standard_fds(void) {
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (null >= 0 && null != fd) {
      dup2(null, fd);
      close(null);
    }
  }
}

int main(int argc, char** argv) {
  open_standard_fds();
  /* The install's check that this build runs here. */
  if (argc == 2 && strcmp(argv[1], "--probe") == 0) return pump_probe() ? 0 : 1;
  if (argc < 2) {
    fprintf(stderr, "rsh-transport launcher: run it as bin/rsh-transport.js runs it: launcher SCRIPT ARGS...\n");
    return 2;
  }
  const char* script = argv[1];
  int command_argc = argc - 2;
  char** command_argv = argv + 2;
  struct options options;
  struct remote_argv remote;
  if (!read_options(command_argc, command_argv, &options) || !build_remote_argv(&options, script, &remote)) {
    int signo = become_node(script, command_argc, command_argv, -1);
    return signo ? 128 + signo : EXIT_SSH_ERROR;
  }

  /* First, while this process is small: a fork copies its page tables. */
  if (!isatty(1)) keep_stdout_past_exit();
  bool sanitize = options.sanitize == SANITIZE_ALWAYS || (options.sanitize == SANITIZE_AUTO && isatty(2));
  int signals = -1;
  if (!sink_open(&sink, 2) || !pump_start(&pump, options.quiet_stderr ? NULL : &sink, sanitize) ||
      (signals = catch_signals()) < 0 ||
      (run.pid = start_remote_shell(remote.argv, remote.chain_entry, &run.stderr_fd)) == 0) {
    /* Nothing ran: a caller's signal that came meanwhile ends the command, as before a start. */
    int signo = become_node(script, command_argc, command_argv, -1);
    return signo ? 128 + signo : EXIT_SSH_ERROR;
  }
  release_signals();
  /* The remote shell holds the caller's stdin now: the caller's writes must fail with EPIPE once
   * it is gone, not fill a pipe this process keeps. A terminal is left alone. */
  if (!isatty(0)) {
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0 && null != 0) {
      dup2(null, 0);
      close(null);
    }
  }

  if (wasm_rt_impl_try() != WASM_RT_TRAP_NONE) {
    const char* said = "rsh-transport: the stderr core failed; the rest of stderr is passed on as it comes\n";
    if (sink_admit(&sink, strlen(said))) sink_add(&sink, said, strlen(said));
    bool now = pump_until_end(signals, &sink, options.drain_timeout_ms, read_past_core, nothing_held);
    if (!now) sink_finish(&sink, signals, caller_signal_waiting);
    return remote_status();
  }
  /* A caller's signal once the remote shell has exited ends the command at once, with its status,
   * what stderr still holds unwritten included. */
  if (pump_until_end(signals, &sink, options.drain_timeout_ms, read_into_core, flush_unfinished_line))
    return remote_status();
  if (!run.eof) pump_flush(&pump, true);
  if (!sink_finish(&sink, signals, caller_signal_waiting)) return remote_status();
  if (WIFEXITED(run.wait_status) && WEXITSTATUS(run.wait_status) == 0) return 0;
  /* Stopped by the caller, who said what happened: no last line, so no Node either. */
  if (run.stopped_by_caller && !options.quiet_stderr) return remote_status();
  /* A caller's signal from here on ends the command at once, as it would end the Node one. */
  if (hold_signals_and_check()) return remote_status();
  struct ending ending = {
      .code = WIFEXITED(run.wait_status) ? WEXITSTATUS(run.wait_status) : -1,
      .signal = WIFSIGNALED(run.wait_status) ? WTERMSIG(run.wait_status) : 0,
      .stopped_by_caller = run.stopped_by_caller,
  };
  int handover = write_handover(remote.argv, remote.count, ending, &pump, sink.not_forwarded);
  if (handover < 0) return remote_status();
  become_node(script, command_argc, command_argv, handover);
  return remote_status();
}
