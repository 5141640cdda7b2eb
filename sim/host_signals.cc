#include "sim/host_signals.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <initializer_list>

namespace sim {

namespace {

volatile sig_atomic_t g_signal = 0;

void on_interrupt(int sig) {
  if (g_signal) {
    // The second one: the default action, now (the trace keeps what it
    // committed and is marked incomplete).
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  g_signal = sig;
}

void say(const char* s) { (void)!::write(2, s, strlen(s)); }

void on_crash(int sig) {
  // Only async-signal-safe calls here: the process state is broken.
  say("\nditto: internal error: Ditto itself crashed (host signal SIG");
  say(sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
  say("). This is a bug in Ditto, not in the guest; a trace being recorded keeps the events it "
      "committed. Please report it with the command line.\n");
  ::_exit(125);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

int interrupt_signal() { return g_signal; }

void install_crash_handlers() {
  // Its own stack, so that a stack overflow is reported too.
  static char stack[64 * 1024];
  stack_t ss{};
  ss.ss_sp = stack;
  ss.ss_size = sizeof stack;
  ::sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_handler = on_crash;
  sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) ::sigaction(sig, &sa, nullptr);
}

}  // namespace sim
