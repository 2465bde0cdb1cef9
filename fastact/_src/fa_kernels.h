/*
 * fa_kernels.h -- the interface between the Cython drivers and the C chunk
 * kernels generated from fa_kernels.c.tp.
 *
 * A chunk kernel applies one activation mode to n contiguous elements.
 * Elementwise kernels:  out[i] = f(in[i])            (modes fwd, dx, dy)
 * Gradient kernels:     out[i] = dy[i] * f'(in[i])   (modes grad_x, grad_y)
 * The Cython layer splits arrays into fixed-size chunks and runs them in a
 * prange, so the call through the dispatch table is paid once per chunk,
 * never per element.
 */
#ifndef FA_KERNELS_H
#define FA_KERNELS_H

#include <stddef.h>
#include "fa_formulas.h"

typedef void (*fa_unary_f32)(const float *in, float *out, ptrdiff_t n, const fa_params *p);
typedef void (*fa_unary_f64)(const double *in, double *out, ptrdiff_t n, const fa_params *p);
typedef void (*fa_grad_f32)(const float *in, const float *dy, float *out, ptrdiff_t n,
                            const fa_params *p);
typedef void (*fa_grad_f64)(const double *in, const double *dy, double *out, ptrdiff_t n,
                            const fa_params *p);

typedef void (*fa_softmax_rows_f32_fn)(const float *x, float *y, ptrdiff_t rows, ptrdiff_t n,
                                       int log_out);
typedef void (*fa_softmax_rows_f64_fn)(const double *x, double *y, ptrdiff_t rows, ptrdiff_t n,
                                       int log_out);

/* SIMD targets, in increasing order. */
enum { FA_ISA_BASELINE = 0, FA_ISA_AVX2 = 1, FA_ISA_AVX512 = 2, FA_ISA_COUNT = 3 };

int fa_num_kernels(void);
/* The widest target this CPU runs that the build compiled. */
int fa_best_isa(void);
/* Whether the build compiled a clone for this target. */
int fa_isa_compiled(int isa);
/* Install the kernels of target isa (must be <= fa_best_isa()). */
void fa_use_isa(int isa);
int fa_current_isa(void);
const char *fa_isa_name(int isa);

fa_unary_f32 fa_unary_kernel_f32(int kernel_id);
fa_unary_f64 fa_unary_kernel_f64(int kernel_id);
fa_grad_f32 fa_grad_kernel_f32(int kernel_id);
fa_grad_f64 fa_grad_kernel_f64(int kernel_id);

/* softmax (log_out = 0) or log_softmax of each of `rows` contiguous rows of
 * n > 0 elements (row r at x + r n), y may be x (fa_rowwise.h), with the
 * kernels of the target in use.  Rows, not one row per call: the rows of a
 * dense layer's softmax are often short (16 units), and a call per row cost
 * more than the row. */
void fa_softmax_rows_f32(const float *x, float *y, ptrdiff_t rows, ptrdiff_t n, int log_out);
void fa_softmax_rows_f64(const double *x, double *y, ptrdiff_t rows, ptrdiff_t n, int log_out);

/* Whether kernel k waits on memory rather than arithmetic over large arrays. */
int fa_kernel_memory_bound(int kernel_id);
/* Kernel kernel_id over n elements (dy NULL: the activation; else dy times
 * its derivative), written with non-temporal stores when `stream`
 * (fa_kernels.c.tp). */
void fa_run_f32(int kernel_id, const float *in, const float *dy, float *out, ptrdiff_t n,
                const fa_params *p, int stream);
void fa_run_f64(int kernel_id, const double *in, const double *dy, double *out, ptrdiff_t n,
                const fa_params *p, int stream);
/* The last-level cache's size from sysconf (the drivers prefer sysfs). */
long fa_sysconf_cache_bytes(void);

#endif /* FA_KERNELS_H */
