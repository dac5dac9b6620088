"""The serving loops of the generated echo servers, one per I/O design netkit listen has.

Like netkit's own listener, the event loops (select, poll, epoll, kqueue) share one connection
state machine, CONNECTION, and each only decides how to wait; the blocking and thread designs
echo with plain blocking calls. UDP has no connections, so its loops only wait for the socket.
"""

# The stream designs that run blocking calls: echo_client serves one client to the end.
ECHO_CLIENT = r"""
#define BUF_SIZE 65536

/* Echo one client until it closes its side (recv() returns 0). Each chunk is written back
 * whole before the next read (write_all finishes partial writes), so when end of file
 * arrives every byte has been echoed, and close() then sends our FIN: a client that
 * half-closed gets all its bytes back, then end of file. */
static void echo_client(int c) {
  char buf[BUF_SIZE];
  for (;;) {
    ssize_t n = recv(c, buf, sizeof(buf), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR && !stopping) continue;
      if (errno != EINTR && errno != ECONNRESET) report("recv");
      break;
    }
    if (write_all(c, buf, (size_t)n) < 0) {
      if (errno != EPIPE && errno != ECONNRESET) report("send");
      break;
    }
  }
  if (close(c) < 0) report("close");
}
"""

BLOCKING = r"""
/* The iterative server: one client at a time, served to the end before the next accept().
 * Simple, and enough when clients are few and short; any other client waits in the listen
 * backlog meanwhile. */
static void serve(int s) {
  while (!stopping) {
    int c = accept(s, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      die("accept");
    }
    tune_client(c);
    echo_client(c);
  }
}
"""

THREAD = r"""
/* The descriptor travels inside the pointer itself. The reference passes the address of one
 * variable shared by every thread, which the next accept() may overwrite before the thread has
 * read it: two threads would then serve one client and none the other. */
static void *client_thread(void *arg) {
  echo_client((int)(intptr_t)arg);
  return NULL;
}

/* One thread per client, each running blocking calls. The threads are detached (nobody joins
 * them: their resources go back when they end) and start with SIGINT and SIGTERM blocked, so
 * that the signals reach the main thread and interrupt its accept(). */
static void serve(int s) {
  pthread_attr_t attr;
  int rc = pthread_attr_init(&attr);
  if (rc == 0) rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (rc != 0) {
    errno = rc; /* the pthread calls return the error instead of setting errno */
    die("pthread_attr_init");
  }
  sigset_t stop_signals, previous;
  if (sigemptyset(&stop_signals) < 0 || sigaddset(&stop_signals, SIGINT) < 0 ||
      sigaddset(&stop_signals, SIGTERM) < 0)
    die("sigaddset");
  while (!stopping) {
    int c = accept(s, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      die("accept");
    }
    tune_client(c);
    pthread_t thread;
    if ((rc = pthread_sigmask(SIG_BLOCK, &stop_signals, &previous)) != 0) {
      errno = rc;
      die("pthread_sigmask");
    }
    rc = pthread_create(&thread, &attr, client_thread, (void *)(intptr_t)c);
    int restored = pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (rc != 0) { /* out of threads or memory: turn this client away, keep serving */
      errno = rc;
      report("pthread_create");
      if (close(c) < 0) report("close");
    }
    if (restored != 0) {
      errno = restored;
      die("pthread_sigmask");
    }
  }
  if ((rc = pthread_attr_destroy(&attr)) != 0) {
    errno = rc;
    die("pthread_attr_destroy");
  }
}
"""

# The connection state machine of the event loops.
CONNECTION = r"""
#define READ_SIZE 65536
/* Reading from a client pauses while this many of its bytes wait to be echoed: a client that
 * sends without reading cannot make the server's memory grow without bound (backpressure). */
#define OUTPUT_LIMIT (256 * 1024)

enum { CONN_KEEP, CONN_CLOSE };

/* One client of the event loop. Every socket is non-blocking, so a call never waits: a send
 * the kernel takes only part of (a partial write) leaves the rest in out, sent when the
 * socket is writable again, and a call that cannot proceed fails with EAGAIN. */
struct conn {
  int fd;
  int eof;      /* the client half-closed: nothing more to read; close once out is sent */
  int interest; /* what the kernel watches for it now (epoll and kqueue keep it there) */
  char *out;    /* echoed bytes the kernel has not taken yet, oldest first */
  size_t out_len;
  size_t out_cap;
};

static int wants_read(const struct conn *c) { return !c->eof && c->out_len < OUTPUT_LIMIT; }
static int wants_write(const struct conn *c) { return c->out_len > 0; }

static struct conn *conn_open(int fd) {
  struct conn *c = calloc(1, sizeof(*c));
  if (c == NULL) die("calloc");
  c->fd = fd;
  return c;
}

static void conn_free(struct conn *c) {
  free(c->out);
  free(c);
}

static void conn_close(struct conn *c) {
  if (close(c->fd) < 0) report("close");
  conn_free(c);
}

/* A failed call ends that connection only, not the server. A reset or a broken pipe is the
 * client's doing and not worth a message. */
static int conn_failed(const char *call) {
  if (errno != ECONNRESET && errno != EPIPE) report(call);
  return CONN_CLOSE;
}

/* Keep bytes the kernel did not take, behind those already waiting (the order must hold). */
static int queue_output(struct conn *c, const char *data, size_t len) {
  if (c->out_len + len > c->out_cap) {
    size_t cap = c->out_cap > 0 ? c->out_cap : READ_SIZE;
    while (cap < c->out_len + len) cap *= 2;
    char *grown = realloc(c->out, cap);
    if (grown == NULL) {
      report("realloc");
      return -1;
    }
    c->out = grown;
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, data, len);
  c->out_len += len;
  return 0;
}

/* Writable: send what waits, until it is all gone or the kernel takes no more (EAGAIN). A
 * client that half-closed and now has every byte back is closed: our FIN follows. */
static int on_writable(struct conn *c) {
  while (c->out_len > 0) {
    ssize_t n = send(c->fd, c->out, c->out_len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return CONN_KEEP;
    if (n < 0) return conn_failed("send");
    memmove(c->out, c->out + n, c->out_len - (size_t)n);
    c->out_len -= (size_t)n;
  }
  return c->eof ? CONN_CLOSE : CONN_KEEP;
}

/* Readable: one recv() (the loop is level-triggered, so whatever is left is reported again,
 * after the other clients had their turn), then echo at once, queueing only what the kernel
 * did not take. Bytes are queued behind older ones rather than sent past them. recv() of 0 is
 * the client's FIN: the connection is closed once its echo is all sent. */
static int on_readable(struct conn *c) {
  static char buf[READ_SIZE]; /* one for all: its bytes are sent or queued before the next read */
  ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return CONN_KEEP;
  if (n < 0) return conn_failed("recv");
  if (n == 0) {
    c->eof = 1;
    return c->out_len == 0 ? CONN_CLOSE : CONN_KEEP;
  }
  size_t sent = 0;
  if (c->out_len == 0) {
    ssize_t m = send(c->fd, buf, (size_t)n, 0);
    if (m >= 0) sent = (size_t)m;
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return conn_failed("send");
  }
  if (sent < (size_t)n && queue_output(c, buf + sent, (size_t)n - sent) < 0) return CONN_CLOSE;
  return CONN_KEEP;
}

/* Accept every client waiting. The listener is non-blocking, so accept() answers EAGAIN once
 * the queue is empty. Out of descriptors (EMFILE, ENFILE), the client stays queued and the
 * listener is reported ready again at the next wait. */
static void accept_clients(int s, void (*add)(int fd)) {
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) report("accept");
      return;
    }
    set_nonblocking(c); /* Linux does not pass the listener's O_NONBLOCK on; BSD does */
    tune_client(c);
    add(c);
  }
}
"""

SELECT = r"""
static struct conn *clients[FD_SETSIZE]; /* by descriptor */
static int max_fd = -1;                  /* the highest client descriptor so far */

/* select() can only watch descriptors below FD_SETSIZE (1024): FD_SET() on a higher one would
 * write past the end of the fd_set. Such a client is turned away. */
static void add_client(int fd) {
  if (fd >= FD_SETSIZE) {
    fprintf(stderr, "descriptor %d is not below FD_SETSIZE (%d): closing it\n", fd, FD_SETSIZE);
    if (close(fd) < 0) report("close");
    return;
  }
  clients[fd] = conn_open(fd);
  if (fd > max_fd) max_fd = fd;
}

/* select() overwrites its sets with what is ready, so they are built anew before each call,
 * from what each connection wants: to read unless paused, to write while bytes wait. The
 * listener is handled last, so that a descriptor closed in this round and reused by accept()
 * is not mistaken for one the sets reported. */
static void serve(int s) {
  set_nonblocking(s);
  while (!stopping) {
    fd_set readable, writable;
    FD_ZERO(&readable);
    FD_ZERO(&writable);
    FD_SET(s, &readable);
    int nfds = s + 1;
    for (int fd = 0; fd <= max_fd; fd++) {
      if (clients[fd] == NULL) continue;
      if (wants_read(clients[fd])) FD_SET(fd, &readable);
      if (wants_write(clients[fd])) FD_SET(fd, &writable);
      if (fd >= nfds) nfds = fd + 1;
    }
    if (select(nfds, &readable, &writable, NULL, NULL) < 0) {
      if (errno == EINTR) continue;
      die("select");
    }
    for (int fd = 0; fd <= max_fd; fd++) {
      struct conn *c = clients[fd];
      if (c == NULL) continue;
      int result = CONN_KEEP;
      if (FD_ISSET(fd, &writable)) result = on_writable(c);
      if (result == CONN_KEEP && FD_ISSET(fd, &readable)) result = on_readable(c);
      if (result == CONN_CLOSE) {
        clients[fd] = NULL;
        conn_close(c);
      }
    }
    if (FD_ISSET(s, &readable)) accept_clients(s, add_client);
  }
}
"""

POLL = r"""
static struct pollfd *fds; /* fds[0] is the listener, then one entry per client */
static struct conn **conns; /* conns[i] is the client of fds[i] */
static size_t nfds, capacity;

static void add_client(int fd) {
  if (nfds == capacity) {
    capacity *= 2;
    struct pollfd *more_fds = realloc(fds, capacity * sizeof(*fds));
    if (more_fds == NULL) die("realloc");
    fds = more_fds;
    struct conn **more_conns = realloc(conns, capacity * sizeof(*conns));
    if (more_conns == NULL) die("realloc");
    conns = more_conns;
  }
  fds[nfds].fd = fd;
  fds[nfds].events = POLLIN;
  fds[nfds].revents = 0;
  conns[nfds++] = conn_open(fd);
}

/* poll() takes an array of what to watch, with no FD_SETSIZE limit, and reports in revents
 * what is ready; POLLHUP and POLLERR come without being asked for, and the next recv() or
 * send() says what they were. The entries are walked backwards, so that moving the last
 * entry into the place of a closed one moves one already handled. */
static void serve(int s) {
  set_nonblocking(s);
  capacity = 64;
  fds = malloc(capacity * sizeof(*fds));
  conns = malloc(capacity * sizeof(*conns));
  if (fds == NULL || conns == NULL) die("malloc");
  fds[0].fd = s;
  fds[0].events = POLLIN;
  conns[0] = NULL;
  nfds = 1;
  while (!stopping) {
    for (size_t i = 1; i < nfds; i++) {
      fds[i].events = (short)((wants_read(conns[i]) ? POLLIN : 0) |
                              (wants_write(conns[i]) ? POLLOUT : 0));
    }
    if (poll(fds, (nfds_t)nfds, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    for (size_t i = nfds; i-- > 1;) {
      short revents = fds[i].revents;
      struct conn *c = conns[i];
      int result = CONN_KEEP;
      if ((revents & (POLLOUT | POLLERR | POLLHUP)) && wants_write(c)) result = on_writable(c);
      if (result == CONN_KEEP && (revents & (POLLIN | POLLERR | POLLHUP)) && wants_read(c))
        result = on_readable(c);
      if (result == CONN_CLOSE) {
        conn_close(c);
        fds[i] = fds[--nfds];
        conns[i] = conns[nfds];
      }
    }
    if (fds[0].revents & POLLIN) accept_clients(s, add_client);
  }
}
"""

EPOLL = r"""
#define MAX_EVENTS 64

static int ep; /* the epoll instance */

/* Tell the kernel what the connection waits for now, when that changed. epoll keeps the
 * interest list in the kernel: unlike select() and poll(), nothing is passed again per wait. */
static void watch(struct conn *c) {
  int wanted = (wants_read(c) ? EPOLLIN : 0) | (wants_write(c) ? EPOLLOUT : 0);
  if (wanted == c->interest) return;
  struct epoll_event ev = {.events = (uint32_t)wanted, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl(EPOLL_CTL_MOD)");
  c->interest = wanted;
}

static void add_client(int fd) {
  struct conn *c = conn_open(fd);
  c->interest = EPOLLIN;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl(EPOLL_CTL_ADD)");
}

/* epoll_wait() returns only the descriptors that are ready, however many are watched: its cost
 * follows the traffic, not the number of clients. Level-triggered (no EPOLLET): what is left
 * unread is reported again. Each event carries the connection itself in data.ptr; the
 * listener's is NULL. close() takes a descriptor out of the epoll set by itself. */
static void serve(int s) {
  set_nonblocking(s);
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0) die("epoll_ctl(EPOLL_CTL_ADD)");
  struct epoll_event events[MAX_EVENTS];
  while (!stopping) {
    int n = epoll_wait(ep, events, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c == NULL) {
        accept_clients(s, add_client);
        continue;
      }
      uint32_t ready = events[i].events;
      int result = CONN_KEEP;
      if ((ready & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && wants_write(c)) result = on_writable(c);
      if (result == CONN_KEEP && (ready & (EPOLLIN | EPOLLERR | EPOLLHUP)) && wants_read(c))
        result = on_readable(c);
      if (result == CONN_CLOSE) conn_close(c);
      else watch(c);
    }
  }
  if (close(ep) < 0) die("close");
}
"""

KQUEUE = r"""
#define MAX_EVENTS 64
#define WANT_READ 1
#define WANT_WRITE 2

static int kq; /* the kqueue */

static void change(int fd, short filter, unsigned short flags, void *udata) {
  struct kevent ev;
  EV_SET(&ev, fd, filter, flags, 0, 0, udata);
  if (kevent(kq, &ev, 1, NULL, 0, NULL) < 0) die("kevent");
}

/* kqueue watches reading and writing as two filters on the descriptor, each enabled or
 * disabled on its own; the kernel keeps them, so only changes are passed. */
static void watch(struct conn *c) {
  int wanted = (wants_read(c) ? WANT_READ : 0) | (wants_write(c) ? WANT_WRITE : 0);
  int changed = wanted ^ c->interest;
  if (changed & WANT_READ)
    change(c->fd, EVFILT_READ, (wanted & WANT_READ) ? EV_ENABLE : EV_DISABLE, c);
  if (changed & WANT_WRITE)
    change(c->fd, EVFILT_WRITE, (wanted & WANT_WRITE) ? EV_ENABLE : EV_DISABLE, c);
  c->interest = wanted;
}

static void add_client(int fd) {
  struct conn *c = conn_open(fd);
  change(fd, EVFILT_READ, EV_ADD | EV_ENABLE, c);
  change(fd, EVFILT_WRITE, EV_ADD | EV_DISABLE, c);
  c->interest = WANT_READ;
}

/* kevent() returns only what is ready, each event carrying the connection in udata (NULL for
 * the listener). One connection can appear twice in a batch, once per filter: one closed
 * while handling the first is marked (fd -1) and freed only after the batch. close() removes
 * a descriptor's filters by itself. */
static void serve(int s) {
  set_nonblocking(s);
  kq = kqueue();
  if (kq < 0) die("kqueue");
  change(s, EVFILT_READ, EV_ADD, NULL);
  struct kevent events[MAX_EVENTS];
  while (!stopping) {
    int n = kevent(kq, NULL, 0, events, MAX_EVENTS, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("kevent");
    }
    struct conn *closed[MAX_EVENTS];
    int nclosed = 0;
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].udata;
      if (c == NULL) {
        accept_clients(s, add_client);
        continue;
      }
      if (c->fd < 0) continue;
      int result = CONN_KEEP;
      if (events[i].flags & EV_ERROR) {
        errno = (int)events[i].data;
        result = conn_failed("kevent");
      } else if (events[i].filter == EVFILT_WRITE && wants_write(c)) {
        result = on_writable(c);
      } else if (events[i].filter == EVFILT_READ && wants_read(c)) {
        result = on_readable(c);
      }
      if (result == CONN_KEEP) {
        watch(c);
        continue;
      }
      if (close(c->fd) < 0) report("close");
      c->fd = -1;
      closed[nclosed++] = c;
    }
    for (int i = 0; i < nclosed; i++) conn_free(closed[i]);
  }
  if (close(kq) < 0) die("close");
}
"""

# -- UDP: one socket, no connections --------------------------------------------------------

UDP_ECHO = r"""
#define MAX_DATAGRAM 65536

/* Echo one datagram to whoever sent it: recvfrom() says who, sendto() answers there. A
 * datagram is read whole (a shorter buffer would cut it) and sent whole. Returns 0, or -1
 * when nothing was waiting (EAGAIN) or a signal came first (EINTR). A datagram the kernel
 * cannot queue now (EAGAIN, ENOBUFS) is dropped, as the network itself may drop one: UDP
 * promises no delivery, and a server that waited here would stall every other peer. */
static int echo_datagram(int s) {
  static char buf[MAX_DATAGRAM];
  struct sockaddr_storage peer;
  socklen_t peer_len = sizeof(peer);
  ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &peer_len);
  if (n < 0) {
    if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) report("recvfrom");
    return -1;
  }
  if (sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&peer, peer_len) < 0 && errno != EAGAIN &&
      errno != EWOULDBLOCK && errno != ENOBUFS && errno != EINTR)
    report("sendto");
  return 0;
}
"""

UDP_BLOCKING = r"""
/* The socket is blocking: recvfrom() waits for the next datagram. */
static void serve(int s) {
  while (!stopping) echo_datagram(s);
}
"""

# The readiness designs wait until the socket is readable, then echo every datagram waiting.
_UDP_DRAIN = r"""    for (int i = 0; i < 64 && echo_datagram(s) == 0; i++) {
      /* at most 64 a wake-up, then wait again (and see a stop signal) */
    }"""

UDP_SELECT = (
    r"""
/* The one socket is non-blocking: select() says when datagrams wait, each is echoed until
 * recvfrom() answers EAGAIN. */
static void serve(int s) {
  set_nonblocking(s);
  while (!stopping) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(s, &readable);
    if (select(s + 1, &readable, NULL, NULL, NULL) < 0) {
      if (errno == EINTR) continue;
      die("select");
    }
"""
    + _UDP_DRAIN
    + "\n  }\n}\n"
)

UDP_POLL = (
    r"""
/* The one socket is non-blocking: poll() says when datagrams wait, each is echoed until
 * recvfrom() answers EAGAIN. */
static void serve(int s) {
  set_nonblocking(s);
  while (!stopping) {
    struct pollfd p = {.fd = s, .events = POLLIN};
    if (poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
"""
    + _UDP_DRAIN
    + "\n  }\n}\n"
)

UDP_EPOLL = (
    r"""
/* The one socket is non-blocking: epoll_wait() says when datagrams wait, each is echoed until
 * recvfrom() answers EAGAIN. */
static void serve(int s) {
  set_nonblocking(s);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0) die("epoll_ctl(EPOLL_CTL_ADD)");
  while (!stopping) {
    struct epoll_event ready;
    if (epoll_wait(ep, &ready, 1, -1) < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
"""
    + _UDP_DRAIN
    + '\n  }\n  if (close(ep) < 0) die("close");\n}\n'
)

UDP_KQUEUE = (
    r"""
/* The one socket is non-blocking: kevent() says when datagrams wait, each is echoed until
 * recvfrom() answers EAGAIN. */
static void serve(int s) {
  set_nonblocking(s);
  int kq = kqueue();
  if (kq < 0) die("kqueue");
  struct kevent ev;
  EV_SET(&ev, s, EVFILT_READ, EV_ADD, 0, 0, NULL);
  if (kevent(kq, &ev, 1, NULL, 0, NULL) < 0) die("kevent");
  while (!stopping) {
    struct kevent ready;
    if (kevent(kq, NULL, 0, &ready, 1, NULL) < 0) {
      if (errno == EINTR) continue;
      die("kevent");
    }
"""
    + _UDP_DRAIN
    + '\n  }\n  if (close(kq) < 0) die("close");\n}\n'
)
