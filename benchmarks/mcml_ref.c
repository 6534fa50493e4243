/* Reference for the Monte Carlo speed benchmark: the MCML photon loop (Wang, Jacques & Zheng,
 * Comput Methods Programs Biomed 1995;47:131-146) written plainly in C, single-threaded, one
 * homogeneous-per-layer slab stack, pencil beam, same tallies as dermalase (A(r,z), Rd, Tt),
 * same RNG family (xoshiro256**). It is our transcription of the published algorithm, used to
 * measure dermalase against compiled C on the same machine; it is not MCML itself.
 * Build: cc -O3 -o mcml_ref mcml_ref.c -lm. Usage: mcml_ref N  (prints Rd Tt A seconds). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t s[4];
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline double rnd(void) {
  uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
  return ((r >> 11) + 1) * (1.0 / 9007199254740994.0);
}
static double fresnel(double n1, double n2, double ca1, double *ca2) {
  if (n1 == n2) { *ca2 = ca1; return 0.0; }
  if (ca1 > 1 - 1e-12) { *ca2 = ca1; double r = (n2 - n1) / (n2 + n1); return r * r; }
  if (ca1 < 1e-6) { *ca2 = 0; return 1.0; }
  double sa1 = sqrt(1 - ca1 * ca1), sa2 = n1 * sa1 / n2;
  if (sa2 >= 1) { *ca2 = 0; return 1.0; }
  double c2 = sqrt(1 - sa2 * sa2); *ca2 = c2;
  double cap = ca1 * c2 - sa1 * sa2, cam = ca1 * c2 + sa1 * sa2;
  double sap = sa1 * c2 + ca1 * sa2, sam = sa1 * c2 - ca1 * sa2;
  return 0.5 * sam * sam * (cam * cam + cap * cap) / (sap * sap * cam * cam);
}
#define NL 3
int main(int argc, char **argv) {
  long N = argc > 1 ? atol(argv[1]) : 100000;
  /* the benchmark medium: run 2 of examples/mcml_test.mci, SI units */
  double n[NL] = {1.37, 1.37, 1.44}, mua[NL] = {100, 50, 30}, mus[NL] = {10000, 20000, 10000};
  double g[NL] = {0.9, 0.8, 0.9}, d[NL] = {1e-4, 1e-3, 2e-3}, z0[NL], z1[NL];
  double nab = 1.0, nbe = 1.0, dr = 2e-5, dz = 2e-5; int nr = 100, nz = 100;
  double *A = calloc(nr * nz, sizeof(double)), Rd = 0, Tt = 0, Ab = 0;
  z0[0] = 0; for (int i = 0; i < NL; i++) { z1[i] = z0[i] + d[i]; if (i + 1 < NL) z0[i + 1] = z1[i]; }
  s[0] = 1; s[1] = 2; s[2] = 3; s[3] = 4;
  double rsp = pow((n[0] - nab) / (n[0] + nab), 2);
  clock_t t0 = clock();
  for (long p = 0; p < N; p++) {
    double x = 0, y = 0, z = 0, ux = 0, uy = 0, uz = 1, w = 1 - rsp, sl = 0; int L = 0, alive = 1;
    while (alive) {
      double mut = mua[L] + mus[L];
      if (sl == 0) sl = -log(rnd());
      double db = uz > 0 ? (z1[L] - z) / uz : (uz < 0 ? (z0[L] - z) / uz : 1e300);
      double st = sl / mut;
      if (st > db) {
        x += ux * db; y += uy * db; z += uz * db; sl -= db * mut;
        double n2 = uz > 0 ? (L == NL - 1 ? nbe : n[L + 1]) : (L == 0 ? nab : n[L - 1]), ca2;
        double rf = fresnel(n[L], n2, fabs(uz), &ca2);
        if (rnd() <= rf) uz = -uz;
        else if (uz > 0 && L == NL - 1) { Tt += w; alive = 0; }
        else if (uz < 0 && L == 0) { Rd += w; alive = 0; }
        else { double q = n[L] / n2; ux *= q; uy *= q; uz = uz > 0 ? ca2 : -ca2; L += uz > 0 ? 1 : -1; }
        continue;
      }
      x += ux * st; y += uy * st; z += uz * st; sl = 0;
      double dw = w * mua[L] / mut; w -= dw; Ab += dw;
      int ir = (int)(sqrt(x * x + y * y) / dr), iz = (int)(z / dz);
      if (ir < nr && iz < nz) A[ir * nz + iz] += dw;
      double gg = g[L], ct;
      if (gg == 0) ct = 2 * rnd() - 1;
      else { double tt = (1 - gg * gg) / (1 - gg + 2 * gg * rnd()); ct = (1 + gg * gg - tt * tt) / (2 * gg); }
      if (ct > 1) ct = 1; if (ct < -1) ct = -1;
      double sn = sqrt(1 - ct * ct), ph = 2 * M_PI * rnd(), cp = cos(ph), sp = sin(ph);
      if (fabs(uz) > 1 - 1e-12) { ux = sn * cp; uy = sn * sp; uz = uz > 0 ? ct : -ct; }
      else { double tmp = sqrt(1 - uz * uz);
        double nx = sn * (ux * uz * cp - uy * sp) / tmp + ux * ct;
        double ny = sn * (uy * uz * cp + ux * sp) / tmp + uy * ct;
        double nzz = -sn * cp * tmp + uz * ct; ux = nx; uy = ny; uz = nzz; }
      if (w < 1e-4) { if (rnd() <= 0.1) w /= 0.1; else alive = 0; }
    }
  }
  double sec = (double)(clock() - t0) / CLOCKS_PER_SEC;
  printf("%.6f %.6f %.6f %.4f\n", Rd / N, Tt / N, Ab / N, sec);
  free(A);
  return 0;
}
