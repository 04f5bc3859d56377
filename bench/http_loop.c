// bench/http_loop.c: a tiny HTTP/1.0 client for bench/network.sh. Modes:
//   http_loop latency HOST PORT N   N requests of GET /, one connection each, in turn:
//                                   prints the median and p99 round trip in microseconds
//   http_loop fetch HOST PORT PATH  one GET of PATH: prints bytes and MB/s
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

// One request; returns the bytes read, or -1.
static long get(const char* host, int port, const char* path) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &a.sin_addr);
  if (connect(s, (struct sockaddr*)&a, sizeof a) != 0) {
    close(s);
    return -1;
  }
  char req[512];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: bench\r\n\r\n", path);
  if (write(s, req, n) != n) {
    close(s);
    return -1;
  }
  static char buf[1 << 16];
  long total = 0;
  ssize_t r;
  while ((r = read(s, buf, sizeof buf)) > 0) total += r;
  close(s);
  return r < 0 ? -1 : total;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc == 5 && strcmp(argv[1], "latency") == 0) {
    int n = atoi(argv[4]);
    double* t = calloc(n, sizeof *t);
    for (int i = 0; i < n; i++) {
      double t0 = now_us();
      if (get(argv[2], atoi(argv[3]), "/") <= 0) {
        fprintf(stderr, "request %d failed\n", i);
        return 1;
      }
      t[i] = now_us() - t0;
    }
    qsort(t, n, sizeof *t, cmp);
    printf("%.0f %.0f\n", t[n / 2], t[(n * 99) / 100]);
    return 0;
  }
  if (argc == 5 && strcmp(argv[1], "fetch") == 0) {
    double t0 = now_us();
    long bytes = get(argv[2], atoi(argv[3]), argv[4]);
    double us = now_us() - t0;
    if (bytes <= 0) return 1;
    printf("%ld %.0f\n", bytes, bytes / us);  // MB/s = bytes per microsecond
    return 0;
  }
  fprintf(stderr, "usage: http_loop latency HOST PORT N | fetch HOST PORT PATH\n");
  return 2;
}
