"""`netkit ipc pipe|socketpair --show-c`: the reference's pipe and socketpair programs with the
message (and reply) filled in, printing the lines netkit's demos print."""

from netkit.ipc.demos import MAX_MESSAGE_BYTES, encode_message
from netkit.showc.cstring import c_string
from netkit.showc.program import ERROR_HELPERS, WRITE_ALL, Header, assemble, render

_HEADERS = ["errno.h", "poll.h", "stdio.h", "stdlib.h", "string.h", "unistd.h", "sys/wait.h"]

# A message travels with its NUL, as the reference's C sends it (strlen + 1 bytes), and is at
# most PIPE_BUF bytes long so that the pipe writes it atomically.
_MESSAGE = r"""
#define MESSAGE_MAX ${limit} /* PIPE_BUF: a write of at most this many bytes is atomic */

/* Read from fd until a NUL has arrived (until_eof 0) or until end of file (until_eof 1), into
 * buf, which always ends NUL-terminated. read() returns whatever has arrived, which may be part
 * of what the other side wrote, so one read is not enough in general; it can also be
 * interrupted by a signal (EINTR) and is then simply retried. Bytes beyond the buffer are read
 * and dropped, so the writer never blocks on a reader that stopped. */
static size_t read_message(int fd, char *buf, size_t size, int until_eof) {
  size_t len = 0;
  for (;;) {
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read");
    if (n == 0) break;
    size_t room = size - 1 - len;
    size_t keep = (size_t)n < room ? (size_t)n : room;
    memcpy(buf + len, chunk, keep);
    len += keep;
    if (!until_eof && memchr(chunk, '\0', (size_t)n) != NULL) break;
  }
  buf[len] = '\0';
  return len;
}

/* Wait for the child and fail unless it exited 0. waitpid() may be interrupted by a signal
 * (EINTR) before the child ends; then wait again. */
static int wait_child(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) die("waitpid");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "the child (pid %ld) failed\n", (long)pid);
    return 1;
  }
  return 0;
}

/* The child prints its line itself. stdout may be a pipe, where stdio buffers whole blocks:
 * flush before going on, so the line is out before the parent can print anything, and leave
 * with _exit(), which flushes nothing that fork() copied from the parent. */
static void child_print(const char *label, const char *text) {
  if (printf("%s%s\n", label, text) < 0 || fflush(stdout) == EOF) die("printf");
}
"""

_PIPE_MAIN = r"""
int main(void) {
  static const char message[] = ${message};
  int fd[2];
  if (pipe(fd) < 0) die("pipe");
  /* Anything still in stdio's buffer would be copied into the child and printed twice. */
  if (fflush(stdout) == EOF) die("fflush(stdout)");

  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    /* The child only reads. It must close its copy of the write end: read() reports end of
     * file only once every write end is closed, its own included. */
    if (close(fd[1]) < 0) die("close");
    char buf[MESSAGE_MAX];
    read_message(fd[0], buf, sizeof(buf), 1);
    if (close(fd[0]) < 0) die("close");
    /* %s stops at the NUL the message carries. */
    child_print("Child received: ", buf);
    _exit(0);
  }

  /* The parent only writes; closing the write end afterwards is the child's end of file.
   * sizeof(message) counts the NUL: the reference's strlen(msg) + 1 bytes. */
  if (close(fd[0]) < 0) die("close");
  if (write_all(fd[1], message, sizeof(message)) < 0) die("write");
  if (close(fd[1]) < 0) die("close");
  return wait_child(pid);
}
"""

_SOCKETPAIR_MAIN = r"""
int main(void) {
  static const char message[] = ${message};
  static const char reply[] = ${reply};
  int sv[2];
  /* Two connected sockets: unlike a pipe, each end reads and writes. */
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) die("socketpair");
  if (fflush(stdout) == EOF) die("fflush(stdout)");

  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    /* The child talks on sv[1]: it reads up to the message's NUL, prints it, replies. */
    if (close(sv[0]) < 0) die("close");
    char buf[MESSAGE_MAX];
    read_message(sv[1], buf, sizeof(buf), 0);
    child_print("Child got: ", buf);
    if (write_all(sv[1], reply, sizeof(reply)) < 0) die("write");
    if (close(sv[1]) < 0) die("close");
    _exit(0);
  }

  /* The parent talks on sv[0]. A stream socket keeps no message boundaries, which is why
   * each message carries its NUL and is read until it. */
  if (close(sv[1]) < 0) die("close");
  if (write_all(sv[0], message, sizeof(message)) < 0) die("write");
  char buf[MESSAGE_MAX];
  read_message(sv[0], buf, sizeof(buf), 0);
  if (close(sv[0]) < 0) die("close");
  int failed = wait_child(pid);
  if (printf("Parent got: %s\n", buf) < 0 || fflush(stdout) == EOF) die("printf");
  return failed;
}
"""

_ABOUT_NUL = (
    "Each message is sent with its terminating NUL, as the reference does (strlen + 1 "
    "bytes), and is at most PIPE_BUF (4096) bytes, so that a pipe writes it atomically; netkit "
    "refuses longer messages for the same reason."
)


def pipe_program(message: str) -> str:
    """pipe() and fork(): the parent writes the message, the child prints it."""
    data = encode_message(message)  # the same limits (no NUL, PIPE_BUF) as the demo
    header = Header(
        title="pipe() and fork(): the parent writes, the child reads and prints",
        command=["netkit", "ipc", "pipe", "--message", message],
        name="pipe",
        about=[
            "A pipe carries bytes one way: fd[1] is the write end, fd[0] the read end. After "
            "fork() both processes hold both ends, so each closes the one it does not use.",
            _ABOUT_NUL,
        ],
    )
    body = render(_MESSAGE, limit=MAX_MESSAGE_BYTES)
    main = render(_PIPE_MAIN, message=c_string(data[:-1]))
    return assemble(header, [*_HEADERS], ERROR_HELPERS, WRITE_ALL, body, main)


def socketpair_program(message: str, reply: str) -> str:
    """socketpair() and fork(): a message each way on one pair of connected sockets."""
    data = encode_message(message)
    reply_data = encode_message(reply, "--reply")
    header = Header(
        title="socketpair() and fork(): a message each way on one pair",
        command=["netkit", "ipc", "socketpair", "--message", message, "--reply", reply],
        name="socketpair",
        about=[
            "socketpair() makes two connected Unix domain sockets; unlike a pipe, both ends "
            "read and write, so parent and child talk both ways on one pair.",
            _ABOUT_NUL,
        ],
    )
    body = render(_MESSAGE, limit=MAX_MESSAGE_BYTES)
    main = render(_SOCKETPAIR_MAIN, message=c_string(data[:-1]), reply=c_string(reply_data[:-1]))
    return assemble(header, [*_HEADERS, "sys/socket.h"], ERROR_HELPERS, WRITE_ALL, body, main)
