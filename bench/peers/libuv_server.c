/* libuv, in the form of its documentation's echo server (uvbook), speaking the seed's protocol:
 * "GOT:" before every run of up to 1000 bytes of what each read delivered. Usage: libuv_server PORT */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct {
  uv_write_t req;
  char* data;
} write_req_t;

static void alloc_buffer(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void)handle;
  buf->base = malloc(suggested);
  buf->len = suggested;
}

static void on_close(uv_handle_t* handle) { free(handle); }

static void after_write(uv_write_t* req, int status) {
  write_req_t* w = (write_req_t*)req;
  free(w->data);
  free(w);
  (void)status;
}

static void on_read(uv_stream_t* client, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    size_t chunks = ((size_t)nread + 999) / 1000;
    write_req_t* w = malloc(sizeof *w);
    w->data = malloc((size_t)nread + 4 * chunks);
    size_t out = 0;
    for (ssize_t at = 0; at < nread; at += 1000) {
      size_t len = nread - at < 1000 ? (size_t)(nread - at) : 1000;
      memcpy(w->data + out, "GOT:", 4);
      memcpy(w->data + out + 4, buf->base + at, len);
      out += 4 + len;
    }
    uv_buf_t reply = uv_buf_init(w->data, (unsigned)out);
    uv_write(&w->req, client, &reply, 1, after_write);
  } else if (nread < 0) {
    uv_close((uv_handle_t*)client, on_close);
  }
  free(buf->base);
}

static void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  uv_tcp_t* client = malloc(sizeof *client);
  uv_tcp_init(server->loop, client);
  if (uv_accept(server, (uv_stream_t*)client) == 0) {
    uv_tcp_nodelay(client, 1);
    uv_read_start((uv_stream_t*)client, alloc_buffer, on_read);
  } else {
    uv_close((uv_handle_t*)client, on_close);
  }
}

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  uv_tcp_t server;
  uv_tcp_init(loop, &server);
  struct sockaddr_in address;
  uv_ip4_addr("127.0.0.1", argc > 1 ? atoi(argv[1]) : 25000, &address);
  uv_tcp_bind(&server, (const struct sockaddr*)&address, 0);
  if (uv_listen((uv_stream_t*)&server, 4096, on_connection) != 0) return 1;
  return uv_run(loop, UV_RUN_DEFAULT);
}
