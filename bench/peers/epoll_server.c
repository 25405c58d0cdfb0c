/* The floor: a minimal hand-written single-threaded epoll echo server in C, speaking the seed's
 * protocol ("GOT:" before every run of up to 1000 received bytes). One read of up to 64 KiB per
 * wake-up, all its chunks in one writev; a partial write parks the rest and stops reading until
 * it is sent (backpressure). Usage: epoll_server PORT */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

enum { READ_SIZE = 65536, CHUNK = 1000, MAX_IOV = 2 * (READ_SIZE / CHUNK + 1) };

struct conn {
  int fd;
  char* pending; /* unsent reply bytes, only after a partial write */
  size_t pending_len, pending_off;
};

static char buffer[READ_SIZE];
static struct iovec iov[MAX_IOV];
static const char prefix[] = "GOT:";

static void close_conn(int ep, struct conn* c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->pending);
  free(c);
}

static void watch(int ep, struct conn* c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Keeps what writev did not take, from iov[first] on, after `sent` bytes of them went. */
static void park_rest(struct conn* c, int count, size_t sent) {
  size_t total = 0;
  for (int i = 0; i < count; i++) total += iov[i].iov_len;
  c->pending = malloc(total - sent);
  c->pending_len = 0;
  c->pending_off = 0;
  for (int i = 0; i < count; i++) {
    size_t skip = sent < iov[i].iov_len ? sent : iov[i].iov_len;
    sent -= skip;
    memcpy(c->pending + c->pending_len, (char*)iov[i].iov_base + skip, iov[i].iov_len - skip);
    c->pending_len += iov[i].iov_len - skip;
  }
}

static void on_readable(int ep, struct conn* c) {
  ssize_t n = read(c->fd, buffer, sizeof buffer);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    close_conn(ep, c);
    return;
  }
  if (n < 0) return;
  int count = 0;
  for (ssize_t at = 0; at < n; at += CHUNK) {
    iov[count++] = (struct iovec){(void*)prefix, 4};
    iov[count++] = (struct iovec){buffer + at, (size_t)(n - at < CHUNK ? n - at : CHUNK)};
  }
  size_t total = (size_t)n + 4 * (size_t)(count / 2);
  ssize_t sent = writev(c->fd, iov, count);
  if (sent < 0 && errno != EAGAIN) {
    close_conn(ep, c);
    return;
  }
  if (sent < 0) sent = 0;
  if ((size_t)sent < total) {
    park_rest(c, count, (size_t)sent);
    watch(ep, c, EPOLLOUT);
  }
}

static void on_writable(int ep, struct conn* c) {
  ssize_t sent = write(c->fd, c->pending + c->pending_off, c->pending_len - c->pending_off);
  if (sent < 0 && errno != EAGAIN) {
    close_conn(ep, c);
    return;
  }
  if (sent > 0) c->pending_off += (size_t)sent;
  if (c->pending_off == c->pending_len) {
    free(c->pending);
    c->pending = NULL;
    watch(ep, c, EPOLLIN);
  }
}

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 25000;
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int on = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(listener, (struct sockaddr*)&address, sizeof address) || listen(listener, SOMAXCONN)) {
    perror("epoll_server: bind/listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  struct epoll_event events[256];
  for (;;) {
    int ready = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < ready; i++) {
      struct conn* c = events[i].data.ptr;
      if (c == NULL) {
        for (int fd; (fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0;) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
          struct conn* nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
      } else if (c->pending) {
        on_writable(ep, c);
      } else {
        on_readable(ep, c);
      }
    }
  }
}
