/* berth-init: a tiny PID 1 for `--init` (the role of tini/docker-init), mounted at /sbin/docker-init.
 *   berth-init [--] COMMAND [ARG...]
 * Runs COMMAND as its child in its own foreground process group, forwards every signal it receives to it,
 * reaps every zombie (orphans are reparented to PID 1), and exits with the child's status: its exit code,
 * or 128+N when signal N killed it. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int first = 1;
  if (first < argc && !strcmp(argv[first], "--")) first++;
  if (first >= argc) {
    fprintf(stderr, "usage: %s [--] COMMAND [ARG...]\n", argv[0]);
    return 1;
  }
  sigset_t all, old;
  sigfillset(&all);
  /* Synchronous faults must stay deliverable to us; everything else is waited for with sigwaitinfo. */
  sigdelset(&all, SIGSEGV);
  sigdelset(&all, SIGBUS);
  sigdelset(&all, SIGILL);
  sigdelset(&all, SIGFPE);
  sigdelset(&all, SIGABRT);
  sigprocmask(SIG_SETMASK, &all, &old);

  pid_t child = fork();
  if (child < 0) {
    perror("berth-init: fork");
    return 1;
  }
  if (child == 0) {
    /* Own process group in the foreground of the terminal (if any), so ^C reaches the command. */
    setpgid(0, 0);
    signal(SIGTTOU, SIG_IGN);
    tcsetpgrp(STDIN_FILENO, getpgrp());
    signal(SIGTTOU, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    execvp(argv[first], argv + first);
    int e = errno;
    fprintf(stderr, "berth-init: exec %s failed: %s\n", argv[first], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }

  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) {
      if (errno == EINTR) continue;
      perror("berth-init: sigwaitinfo");
      return 1;
    }
    if (sig != SIGCHLD) {
      /* SIGTTIN/SIGTTOU/SIGTSTP would stop the command for good, with nobody to continue it: as tini, pass them on */
      kill(child, sig);
      continue;
    }
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
      if (p != child) continue;
      /* Keep reaping what the command left behind, then leave with its status. */
      while (waitpid(-1, NULL, WNOHANG) > 0) {}
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return WEXITSTATUS(status);
    }
  }
}
