/* recvtty SOCKET [--once] [--input TEXT]: the host side of `create --console-socket SOCKET`.
 * Listens on the unix stream socket SOCKET, creates SOCKET.ready once listening (tests wait for
 * it), accepts one connection and receives one fd with SCM_RIGHTS: the pty master the runtime
 * sends. Writes TEXT to the pty if given, then copies what the pty prints to stdout until it
 * closes (EOF, or EIO once no slave is open) and exits 0. It serves one connection only
 * (--once says so and is accepted for clarity). Errors print one line to stderr and exit 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *what, const char *arg) {
  fprintf(stderr, "recvtty: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
  return 1;
}

static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Listens on PATH and makes PATH.ready; returns the listening socket or -1. */
static int listen_on(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  char ready[sizeof addr.sun_path + 8];
  if (strlen(path) >= sizeof addr.sun_path) return errno = ENAMETOOLONG, -1;
  strcpy(addr.sun_path, path);
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -1;
  unlink(path); /* a stale socket of an earlier run */
  if (bind(sock, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(sock, 1) != 0) return -1;
  snprintf(ready, sizeof ready, "%s.ready", path);
  int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  close(fd);
  return sock;
}

/* Receives one fd from CONN. runc-style senders add the file's name as the message's bytes,
 * so the buffer takes any short payload; the fd is in the control message. */
static int receive_fd(int conn) {
  char data[4096];
  char control[CMSG_SPACE(sizeof(int))];
  for (;;) {
    struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return fd;
    }
    if (n == 0) return errno = EPROTO, -1; /* closed without sending an fd */
  }
}

int main(int argc, char **argv) {
  const char *path = NULL, *input = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--once")) continue;
    if (!strcmp(argv[i], "--input") && i + 1 < argc) {
      input = argv[++i];
    } else if (!path && argv[i][0] != '-') {
      path = argv[i];
    } else {
      return fail("usage", "recvtty SOCKET [--once] [--input TEXT]");
    }
  }
  if (!path) return fail("usage", "recvtty SOCKET [--once] [--input TEXT]");

  int sock = listen_on(path);
  if (sock < 0) return fail(path, strerror(errno));
  int conn;
  while ((conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (conn < 0) return fail("accept", strerror(errno));
  close(sock);
  int pty = receive_fd(conn);
  if (pty < 0) return fail("receive fd", strerror(errno));
  close(conn);

  if (input && write_all(pty, input, strlen(input)) != 0) return fail("write", strerror(errno));
  char buf[4096];
  for (;;) {
    ssize_t n = read(pty, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (n < 0 && errno == EIO)) return 0; /* EIO: the last slave fd closed */
    if (n < 0) return fail("read", strerror(errno));
    if (write_all(STDOUT_FILENO, buf, (size_t)n) != 0) return fail("write", strerror(errno));
  }
}
