/*
 * hbtheory._ckernel: the float64 pass of hbtheory._kernel.spectral_radius as numpy ufuncs.
 *
 * Optional. When this module is built (a C compiler at install time), spectral_radius runs its
 * float64 formula and its cheap routing test in one pass over the grid instead of a dozen numpy
 * passes; when it is not, the numpy blocks of hbtheory/_kernel.py compute the same bits.
 *
 * Each ufunc maps (alpha, beta, h) to (rho, flag) with, for heavy ball,
 *
 *     c1 = (1 + beta) - alpha h,  c0 = beta,  disc = c1 c1 - 4 c0,
 *     t = fmax(|c1| + sqrt(disc), 2 sqrt(c0)),  rho = t / 2,
 *
 * operation for operation as hbtheory.methods and hbtheory._kernel._radius_from evaluate them
 * (sqrt of a negative number is NaN and fmax drops it), so rho has the same bits as the numpy path;
 * gradient descent is the same with c1 = 1 - alpha h, c0 = 0 h, and Nesterov's method with
 * c1 = (1 + beta)(1 - alpha h), c0 = beta (1 - alpha h). The flag marks every point that
 * hbtheory._kernel._route might recompute in double-double: for heavy ball and gradient descent
 * the window lower sigma^2 <= disc < upper sigma^2, sigma = 1 + |beta| + |alpha h| (_route's own
 * window, with bounds given once by set_window and widened against rounding), or 2 rho within
 * 2^-42 of 2; for Nesterov the error bound of _route, with larger constants (set_tight). The
 * caller then applies _route itself to the flagged points.
 *
 * Built with -ffp-contract=off (a fused multiply-add would change the bits of disc) and
 * -fno-math-errno (so sqrt vectorises; IEEE sqrt is correctly rounded either way). The
 * floating-point exception flags raised by sqrt of a negative disc are cleared, so numpy does not
 * warn about NaNs that never reach the output.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <fenv.h>
#include <float.h>
#include <math.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/ndarraytypes.h>
#include <numpy/ufuncobject.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
/* One clone per instruction set, chosen at load time: the results are the same bits on each
 * (IEEE operations, no contraction), only the vector width differs. */
#define HB_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HB_CLONES
#endif

static inline npy_bool hb_finish(double c1, double c0, double u, double b, double lower, double upper,
                                 double *rho)
{
    const double disc = c1 * c1 - 4.0 * c0;
    /* One square root per point: of disc for real roots, of c0 for complex ones. The numpy path
     * takes t = fmax(|c1| + sqrt(disc), 2 sqrt(c0)); for real roots its second operand can only
     * win next to a double root, deep inside the flagged window (whose points _route recomputes),
     * so t has the same bits wherever it is kept. */
    const int real = disc >= 0.0;
    const double r = sqrt(real ? disc : c0);
    const double t = real ? fabs(c1) + r : 2.0 * r;
    const double sigma = (1.0 + fabs(b)) + fabs(u);
    const double s2 = sigma * sigma;
    *rho = 0.5 * t;
    return (npy_bool)(((disc < upper * s2) & (disc >= lower * s2)) | (t + 2048.0 == 2050.0));
}

#define HB_POINT(A, B, H, LO, UP, RHO, FLAG)                                      \
    do {                                                                          \
        const double u_ = (A) * (H);                                              \
        (FLAG) = hb_finish((1.0 + (B)) - u_, (B), u_, (B), (LO), (UP), &(RHO));  \
    } while (0)

#define GD_POINT(A, B, H, LO, UP, RHO, FLAG)                                      \
    do {                                                                          \
        const double u_ = (A) * (H);                                              \
        (FLAG) = hb_finish(1.0 - u_, 0.0 * (H), u_, (B), (LO), (UP), &(RHO));    \
    } while (0)

/* Bounds of the flagged window, set once by hbtheory._kernel through set_window(); until then
 * every point is flagged (a superset is always safe). */
static double window_lower = -HUGE_VAL, window_upper = HUGE_VAL;

/* Nesterov: c0 = beta (1 - alpha h) is rounded too, so _route evaluates the first-order error
 * bound of rho at each point (_kernel._tight_route) instead of a window. Here the same bound with
 * e1, e0 and d_disc a millionth larger (set_tight gives the scales), so that the flag is a superset
 * of _route's decision whatever the roundings (a few ulps) of the bound's own evaluation. Until
 * set_tight is called every point is flagged. */
static double tight_e1 = HUGE_VAL, tight_e0 = HUGE_VAL, tight_d = HUGE_VAL, tight_tol = 0.0;

static inline double hb_fmax(double t, double x)
{
    /* numpy.fmax: the non-NaN operand; t when equal. Non-short-circuit, so the loops vectorise. */
    const int take_x = (t < x) | (t != t);
    return take_x ? x : t;
}

static inline npy_bool nag_point(double a, double b, double h, double *rho)
{
    const double u = a * h;
    const double one_minus_u = 1.0 - u;
    const double c1 = (1.0 + b) * one_minus_u;
    const double c0 = b * one_minus_u;
    const double disc = c1 * c1 - 4.0 * c0;
    const double s = sqrt(disc);                 /* NaN for complex roots */
    const double t_real = fabs(c1) + s;
    const double x = 2.0 * sqrt(c0);             /* NaN for c0 < 0 (real roots of both signs) */
    const double t = hb_fmax(t_real, x);
    *rho = 0.5 * t;
    const double sigma = (1.0 + fabs(b)) * (1.0 + fabs(u));
    const double e1 = tight_e1 * sigma, e0 = tight_e0 * sigma;
    const double d_disc = tight_d * (2.0 * fabs(c1) * e1 + 4.0 * e0 + (0.5 * DBL_EPSILON) * (c1 * c1 + fabs(disc)));
    const double rel_c0 = e0 / (2.0 * fabs(c0)) + 0.5 * DBL_EPSILON;
    double rel_real = (e1 + d_disc / s) / t_real + DBL_EPSILON;
    const int both = x > t_real;                 /* fmax took sqrt(c0): both errors count */
    rel_real = (both & (rel_c0 > rel_real)) ? rel_c0 : rel_real;
    const double rel = disc > d_disc ? rel_real : (disc < -d_disc ? rel_c0 : HUGE_VAL);
    /* _route: |rho - 1| <= 4 rel rho + 2 eps; with a millionth more room, as for the bound. */
    const int near_one = fabs(*rho - 1.0) <= 4.000004 * rel * *rho + 2.000002 * DBL_EPSILON;
    return (npy_bool)((!(rel <= tight_tol)) | near_one);
}

#define NAG_POINT(A, B, H, LO, UP, RHO, FLAG) ((FLAG) = nag_point((A), (B), (H), &(RHO)))

/* The loops, by which operands vary along the inner loop (the others are scalars there): all
 * three; alpha and beta (a grid with one h, from numpy's buffers or a meshgrid); beta (a row of an
 * alpha-column, beta-row grid); alpha (a column); and, without vectorisation, any strides. */
#define HB_VARIANT(NAME, SUFFIX, TA, TB, TH, A, B, H, POINT)                                       \
    HB_CLONES static void NAME##_##SUFFIX(npy_intp n, TA a, TB b, TH h, double lo, double up,      \
                                          double *restrict rho, npy_bool *restrict flag)           \
    {                                                                                              \
        for (npy_intp i = 0; i < n; i++) {                                                         \
            POINT(A, B, H, lo, up, rho[i], flag[i]);                                               \
        }                                                                                          \
    }

#define VEC const double *restrict
#define HB_LOOPS(NAME, POINT, HARMLESS)                                                            \
    HB_VARIANT(NAME, abh, VEC, VEC, VEC, a[i], b[i], h[i], POINT)                                  \
    HB_VARIANT(NAME, ab, VEC, VEC, double, a[i], b[i], h, POINT)                                   \
    HB_VARIANT(NAME, b, double, VEC, double, a, b[i], h, POINT)                                    \
    HB_VARIANT(NAME, a, VEC, double, double, a[i], b, h, POINT)                                    \
    static void NAME##_loop(char **args, npy_intp const *dimensions, npy_intp const *steps,        \
                            void *NPY_UNUSED(data))                                                \
    {                                                                                              \
        const npy_intp n = dimensions[0];                                                          \
        const npy_intp sa = steps[0], sb = steps[1], sh = steps[2], sr = steps[3], sf = steps[4];  \
        const npy_intp d = (npy_intp)sizeof(double);                                               \
        const double lo = window_lower, up = window_upper;                                         \
        double *rho = (double *)args[3];                                                           \
        npy_bool *flag = (npy_bool *)args[4];                                                      \
        const double *pa = (const double *)args[0], *pb = (const double *)args[1],                 \
                     *ph = (const double *)args[2];                                                \
        if (sr == d && sf == (npy_intp)sizeof(npy_bool)) {                                         \
            if (sa == d && sb == d && sh == d) {                                                   \
                NAME##_abh(n, pa, pb, ph, lo, up, rho, flag);                                      \
                goto done;                                                                         \
            }                                                                                      \
            if (sa == d && sb == d && sh == 0) {                                                   \
                NAME##_ab(n, pa, pb, *ph, lo, up, rho, flag);                                      \
                goto done;                                                                         \
            }                                                                                      \
            if (sa == 0 && sb == d && sh == 0) {                                                   \
                NAME##_b(n, *pa, pb, *ph, lo, up, rho, flag);                                      \
                goto done;                                                                         \
            }                                                                                      \
            if (sa == d && sb == 0 && sh == 0) {                                                   \
                NAME##_a(n, pa, *pb, *ph, lo, up, rho, flag);                                      \
                goto done;                                                                         \
            }                                                                                      \
        }                                                                                          \
        {                                                                                          \
            char *ca = args[0], *cb = args[1], *ch = args[2], *cr = args[3], *cf = args[4];        \
            for (npy_intp i = 0; i < n; i++) {                                                     \
                POINT(*(double *)ca, *(double *)cb, *(double *)ch, lo, up, *(double *)cr,          \
                      *(npy_bool *)cf);                                                            \
                ca += sa; cb += sb; ch += sh; cr += sr; cf += sf;                                  \
            }                                                                                      \
        }                                                                                          \
    done:                                                                                          \
        /* HARMLESS: sqrt of a negative number ("invalid") where the other branch is taken; */    \
        /* for Nesterov also its bound's division by a zero or subnormal c0 or sqrt(disc)   */    \
        /* ("divide", "overflow": the bound is then infinite and the point flagged). numpy  */    \
        /* cleared the flags before the loop, so nothing else is lost.                      */    \
        feclearexcept(HARMLESS);                                                                   \
    }

HB_LOOPS(heavy_ball, HB_POINT, FE_INVALID)
HB_LOOPS(gradient_descent, GD_POINT, FE_INVALID)
HB_LOOPS(nesterov, NAG_POINT, FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW)

static PyUFuncGenericFunction heavy_ball_funcs[] = {&heavy_ball_loop};
static PyUFuncGenericFunction gradient_descent_funcs[] = {&gradient_descent_loop};
static PyUFuncGenericFunction nesterov_funcs[] = {&nesterov_loop};
static void *no_data[] = {NULL};
static const char types[] = {NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_BOOL};

static PyObject *set_window(PyObject *NPY_UNUSED(self), PyObject *args)
{
    double lower, upper;
    if (!PyArg_ParseTuple(args, "dd:set_window", &lower, &upper)) {
        return NULL;
    }
    if (!(lower <= 0.0 && upper >= 0.0)) {
        PyErr_SetString(PyExc_ValueError, "set_window: need lower <= 0 <= upper");
        return NULL;
    }
    window_lower = lower;
    window_upper = upper;
    Py_RETURN_NONE;
}

static PyObject *set_tight(PyObject *NPY_UNUSED(self), PyObject *args)
{
    double e1, e0, d, tol;
    if (!PyArg_ParseTuple(args, "dddd:set_tight", &e1, &e0, &d, &tol)) {
        return NULL;
    }
    if (!(e1 > 0.0 && e0 > 0.0 && d >= 1.0 && tol > 0.0 && tol < 1.0)) {
        PyErr_SetString(PyExc_ValueError, "set_tight: need e1 > 0, e0 > 0, d >= 1 and 0 < tol < 1");
        return NULL;
    }
    tight_e1 = e1;
    tight_e0 = e0;
    tight_d = d;
    tight_tol = tol;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"set_tight", set_tight, METH_VARARGS,
     "set_tight(e1, e0, d, tol): scales of Nesterov's error bound (e1 sigma, e0 sigma, d d_disc) "
     "and the relative error above which a point is flagged."},
    {"set_window", set_window, METH_VARARGS,
     "set_window(lower, upper): flag the points with lower sigma^2 <= disc < upper sigma^2."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_ckernel",
    "Compiled float64 pass of hbtheory._kernel.spectral_radius (optional; see _ckernel.c).",
    -1, methods, NULL, NULL, NULL, NULL,
};

static int add_ufunc(PyObject *m, PyUFuncGenericFunction *funcs, const char *name, const char *doc)
{
    PyObject *f = PyUFunc_FromFuncAndData(funcs, no_data, (char *)types, 1, 3, 2, PyUFunc_None, name, doc, 0);
    if (f == NULL) {
        return -1;
    }
    if (PyModule_AddObject(m, name, f) < 0) {
        Py_DECREF(f);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__ckernel(void)
{
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL) {
        return NULL;
    }
    import_array();
    import_umath();
#ifdef HB_SOURCE_CRC32
    /* zlib.crc32 of this file at build time (setup.py): hbtheory._kernel ignores a stale build. */
    if (PyModule_AddObject(m, "SOURCE_CRC32", PyLong_FromUnsignedLong(HB_SOURCE_CRC32)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
#endif
    if (add_ufunc(m, heavy_ball_funcs, "heavy_ball",
                  "heavy_ball(alpha, beta, h) -> (rho, flag): float64 rho of heavy ball "
                  "and the routing flag (see hbtheory/_ckernel.c).") < 0 ||
        add_ufunc(m, gradient_descent_funcs, "gradient_descent",
                  "gradient_descent(alpha, beta, h) -> (rho, flag): as heavy_ball, "
                  "for gradient descent.") < 0 ||
        add_ufunc(m, nesterov_funcs, "nesterov",
                  "nesterov(alpha, beta, h) -> (rho, flag): float64 rho of Nesterov's method and a "
                  "flag from its error bound (see hbtheory/_ckernel.c).") < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
