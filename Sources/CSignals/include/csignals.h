#ifndef CSIGNALS_H
#define CSIGNALS_H

/// Routes SIGINT, SIGTERM and SIGHUP to a pipe: the handler only writes the signal's number
/// (async-signal-safe), and a thread of the program reads it with spk_signal_wait() and does
/// the cleanup outside signal context, whatever the program's other threads are doing.
/// Returns 0, or -1 if the pipe or a handler could not be set up.
int spk_signal_pipe_install(void);

/// Blocks until one of the routed signals arrives; returns its number, or -1 on error.
int spk_signal_wait(void);

#endif
