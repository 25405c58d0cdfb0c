/* The io_uring floor: a minimal hand-written single-threaded io_uring echo server in C, speaking
 * the seed's protocol ("GOT:" before every run of up to 1000 received bytes). The kernel performs
 * every accept, recv and send; one io_uring_submit_and_wait per loop turn submits them all and
 * waits. Per connection: one recv of up to 64 KiB into its own buffer, answered by one sendmsg of
 * its chunks (the rest resubmitted if the send was partial) before the next recv: backpressure.
 * The ring is set up as tasknet's is (COOP_TASKRUN), so that the two differ only in their code.
 * Usage: uring_server PORT */
#include <liburing.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

enum { READ_SIZE = 65536, CHUNK = 1000, MAX_IOV = 2 * (READ_SIZE / CHUNK + 1) };
enum { ACCEPT = 0, RECV = 1, SEND = 2 }; /* in the low bits of user_data */

struct conn {
  int fd;
  struct msghdr message;
  struct iovec iov[MAX_IOV];
  char buffer[READ_SIZE];
};

static struct io_uring ring;
static const char prefix[] = "GOT:";

static struct io_uring_sqe* next_sqe(void) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  if (sqe == NULL) {
    io_uring_submit(&ring);
    sqe = io_uring_get_sqe(&ring);
  }
  return sqe;
}

static void submit_recv(struct conn* c) {
  struct io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recv(sqe, c->fd, c->buffer, READ_SIZE, 0);
  io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)c | RECV);
}

static void submit_send(struct conn* c) {
  struct io_uring_sqe* sqe = next_sqe();
  io_uring_prep_sendmsg(sqe, c->fd, &c->message, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)c | SEND);
}

static void submit_accept(int listener) {
  struct io_uring_sqe* sqe = next_sqe();
  io_uring_prep_multishot_accept(sqe, listener, NULL, NULL, 0);
  io_uring_sqe_set_data64(sqe, ACCEPT);
}

static void close_conn(struct conn* c) {
  close(c->fd);
  free(c);
}

static void on_received(struct conn* c, int n) {
  if (n <= 0) {
    close_conn(c);
    return;
  }
  size_t count = 0;
  for (int at = 0; at < n; at += CHUNK) {
    c->iov[count++] = (struct iovec){(void*)prefix, 4};
    c->iov[count++] = (struct iovec){c->buffer + at, (size_t)(n - at < CHUNK ? n - at : CHUNK)};
  }
  c->message = (struct msghdr){.msg_iov = c->iov, .msg_iovlen = count};
  submit_send(c);
}

static void on_sent(struct conn* c, int sent) {
  if (sent < 0) {
    close_conn(c);
    return;
  }
  /* Step past what went; whatever is left goes in another sendmsg. */
  struct msghdr* m = &c->message;
  size_t left = (size_t)sent;
  while (m->msg_iovlen > 0 && left >= m->msg_iov[0].iov_len) {
    left -= m->msg_iov[0].iov_len;
    m->msg_iov++;
    m->msg_iovlen--;
  }
  if (m->msg_iovlen == 0) {
    submit_recv(c);
    return;
  }
  m->msg_iov[0].iov_base = (char*)m->msg_iov[0].iov_base + left;
  m->msg_iov[0].iov_len -= left;
  submit_send(c);
}

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 25000;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int on = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in address = {
      .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(listener, (struct sockaddr*)&address, sizeof address) || listen(listener, SOMAXCONN)) {
    perror("uring_server: bind/listen");
    return 1;
  }
  /* COOP_TASKRUN (5.19): the kernel finishes completions when we enter it anyway instead of
   * interrupting us, as tasknet's backend asks; without it this peer spent 14% more CPU per
   * request at 50 x 64 B. An older kernel refuses the flags: then without them. */
  struct io_uring_params params = {
      .flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
      .cq_entries = 16384};
  int failed = io_uring_queue_init_params(4096, &ring, &params);
  if (failed == -EINVAL) {
    params = (struct io_uring_params){.flags = IORING_SETUP_CQSIZE, .cq_entries = 16384};
    failed = io_uring_queue_init_params(4096, &ring, &params);
  }
  if (failed < 0) {
    fprintf(stderr, "uring_server: io_uring_queue_init: %s\n", strerror(-failed));
    return 1;
  }
  submit_accept(listener);
  for (;;) {
    io_uring_submit_and_wait(&ring, 1);
    unsigned head, seen = 0;
    struct io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring, head, cqe) {
      seen++;
      uint64_t tag = io_uring_cqe_get_data64(cqe);
      struct conn* c = (struct conn*)(uintptr_t)(tag & ~(uint64_t)3);
      switch (tag & 3) {
        case ACCEPT:
          if (cqe->res >= 0) {
            setsockopt(cqe->res, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
            struct conn* nc = malloc(sizeof *nc);
            nc->fd = cqe->res;
            submit_recv(nc);
          }
          if (!(cqe->flags & IORING_CQE_F_MORE)) submit_accept(listener); /* re-arm */
          break;
        case RECV:
          on_received(c, cqe->res);
          break;
        case SEND:
          on_sent(c, cqe->res);
          break;
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
}
