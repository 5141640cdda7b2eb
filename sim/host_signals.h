// Signals to Ditto's own host process. Ctrl-C: the first SIGINT, SIGTERM or
// SIGHUP asks the run to stop at its next scheduling point, so that a
// recording ends complete and marked interrupted; a second one ends Ditto at
// once (as rr does). A crash of Ditto itself (a host SIGSEGV, SIGBUS, ...)
// is a Ditto bug: it ends with exit 125 and a message, never a host signal.
#pragma once

namespace sim {

// Installs the Ctrl-C handlers (without SA_RESTART: a host read that waits
// for stdin returns, and the guest's read fails with EINTR).
void install_interrupt_handlers();
// 0, or the signal that asked the run to stop.
int interrupt_signal();
// Installs the handlers that turn a crash of Ditto into exit 125.
void install_crash_handlers();

}  // namespace sim
