/*
 * The C reference of the fused Huber-TV PDHG sweep (`src/wasm/huber-tv.wat`, isotropic, K = ∇,
 * g = ½‖x − b‖²), compiled and timed by `huber-tv.ts`: the same single sweep over the rows with
 * the same arrays (x, x_prev, y0, y1, b and a ring of two x̄ rows): x̄ of row i + 1, the dual
 * step of row i, the primal step of row i. Edges are handled outside the inner loops.
 *
 * Usage: huber-tv <n> <iterations per block> <blocks>; prints the median milliseconds per
 * iteration over the blocks and a checksum as JSON.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void xbar_row(double *restrict d, const double *restrict x, const double *restrict xp, int W, double th) {
  for (int j = 0; j < W; j++) d[j] = x[j] + th * (x[j] - xp[j]);
}

static void dual_row(const double *restrict xb, const double *restrict xbn, double *restrict y0, double *restrict y1,
                     int W, double sk, double shrink, double alpha) {
  for (int j = 0; j < W - 1; j++) {
    double w0 = y0[j] + sk * (xb[j + 1] - xb[j]);
    double w1 = y1[j] + sk * (xbn[j] - xb[j]);
    double s = alpha / sqrt(w0 * w0 + w1 * w1);
    s = s < shrink ? s : shrink;
    y0[j] = s * w0;
    y1[j] = s * w1;
  }
  int j = W - 1;
  double w0 = y0[j];
  double w1 = y1[j] + sk * (xbn[j] - xb[j]);
  double s = alpha / sqrt(w0 * w0 + w1 * w1);
  s = s < shrink ? s : shrink;
  y0[j] = s * w0;
  y1[j] = s * w1;
}

static inline double pixel(double *restrict x, double *restrict xp, const double *restrict b, int j, double d, double tk, double tau, double inv) {
  double xo = x[j];
  double xn = (xo + tk * d + tau * b[j]) * inv;
  x[j] = xn;
  xp[j] = xo;
  return (xn - xo) * (xn - xo);
}

static double primal_row(double *restrict x, double *restrict xp, const double *restrict y0, const double *restrict y1own,
                         const double *restrict y1up, const double *restrict b, int W, double tk, double tau, double inv) {
  if (W == 1) return pixel(x, xp, b, 0, y1own[0] - y1up[0], tk, tau, inv);
  double sum = pixel(x, xp, b, 0, y0[0] + y1own[0] - y1up[0], tk, tau, inv);
  for (int j = 1; j < W - 1; j++) {
    double d = y0[j] - y0[j - 1] + y1own[j] - y1up[j];
    double xo = x[j];
    double xn = (xo + tk * d + tau * b[j]) * inv;
    x[j] = xn;
    xp[j] = xo;
    sum += (xn - xo) * (xn - xo);
  }
  return sum + pixel(x, xp, b, W - 1, -y0[W - 2] + y1own[W - 1] - y1up[W - 1], tk, tau, inv);
}

static double step(int H, int W, double *x, double *xp, double *y0, double *y1, const double *b, double *ring, const double *zero,
                   double sk, double shrink, double alpha, double tk, double tau, double inv, double theta) {
  double sum = 0;
  xbar_row(ring, x, xp, W, theta);
  for (int i = 0; i < H; i++) {
    double *cur = ring + (i & 1) * W;
    double *nxt = cur;
    if (i + 1 < H) {
      nxt = ring + ((i + 1) & 1) * W;
      xbar_row(nxt, x + (size_t)(i + 1) * W, xp + (size_t)(i + 1) * W, W, theta);
    }
    size_t o = (size_t)i * W;
    dual_row(cur, nxt, y0 + o, y1 + o, W, sk, shrink, alpha);
    sum += primal_row(x + o, xp + o, y0 + o, i + 1 < H ? y1 + o : zero, i > 0 ? y1 + o - W : zero, b + o, W, tk, tau, inv);
  }
  return sum;
}

static int cmp(const void *a, const void *b) {
  double d = *(const double *)a - *(const double *)b;
  return d < 0 ? -1 : d > 0;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int n = atoi(argv[1]);
  int iters = atoi(argv[2]);
  int blocks = atoi(argv[3]);
  size_t N = (size_t)n * n;
  double *x = calloc(N, 8), *xp = calloc(N, 8), *y0 = calloc(N, 8), *y1 = calloc(N, 8), *b = calloc(N, 8);
  double *ring = calloc(2 * (size_t)n, 8), *zero = calloc(n, 8), *times = calloc(blocks, 8);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double r2 = (i - n / 2.0) * (i - n / 2.0) + (j - n / 2.0) * (j - n / 2.0);
      b[(size_t)i * n + j] = (r2 < n * n / 16.0 ? 0.8 : 0.2) + 0.1 * sin(0.7 * i + 1.3 * j);
      x[(size_t)i * n + j] = xp[(size_t)i * n + j] = b[(size_t)i * n + j];
    }
  const double alpha = 0.1, epsilon = 0.01, L = sqrt(8.0), tau = 0.99 / L, sigma = 0.99 / L;
  const double shrink = alpha / (alpha + sigma * epsilon), inv = 1 / (1 + tau);
  double check = 0;
  for (int k = 0; k < 3 * iters; k++) check += step(n, n, x, xp, y0, y1, b, ring, zero, sigma, shrink, alpha, tau, tau, inv, 1);
  for (int r = 0; r < blocks; r++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < iters; k++) check += step(n, n, x, xp, y0, y1, b, ring, zero, sigma, shrink, alpha, tau, tau, inv, 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    times[r] = ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) * 1e-6) / iters;
  }
  qsort(times, blocks, 8, cmp);
  printf("{\"median_ms_per_iter\":%.6g,\"min_ms_per_iter\":%.6g,\"checksum\":%.6g}\n", times[blocks / 2], times[0], check);
  return 0;
}
