#include "csignals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int spk_signal_fds[2] = {-1, -1};

static void spk_signal_handler(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t n = write(spk_signal_fds[1], &b, 1);
    (void)n;
    errno = saved;
}

int spk_signal_pipe_install(void) {
    if (pipe(spk_signal_fds) != 0) return -1;
    fcntl(spk_signal_fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(spk_signal_fds[1], F_SETFD, FD_CLOEXEC);
    fcntl(spk_signal_fds[1], F_SETFL, O_NONBLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = spk_signal_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        if (sigaction(sigs[i], &sa, NULL) != 0) return -1;
    }
    return 0;
}

int spk_signal_wait(void) {
    unsigned char b;
    for (;;) {
        ssize_t n = read(spk_signal_fds[0], &b, 1);
        if (n == 1) return (int)b;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}
