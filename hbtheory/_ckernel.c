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
 * gradient descent is the same with c1 = 1 - alpha h, c0 = 0 h. The flag marks every point that
 * hbtheory._kernel._route might recompute in double-double: the window
 * lower sigma^2 <= disc < upper sigma^2, sigma = 1 + |beta| + |alpha h| (_route's own window, with
 * bounds given once by set_window and widened against rounding), or 2 rho within 2^-42 of 2.
 * The caller then applies _route itself to the flagged points.
 *
 * Built with -ffp-contract=off (a fused multiply-add would change the bits of disc) and
 * -fno-math-errno (so sqrt vectorises; IEEE sqrt is correctly rounded either way). The
 * floating-point exception flags raised by sqrt of a negative disc are cleared, so numpy does not
 * warn about NaNs that never reach the output.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <fenv.h>
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
#define HB_LOOPS(NAME, POINT)                                                                      \
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
        /* sqrt of a negative number raised "invalid" on points where the other branch is     */  \
        /* taken; numpy cleared the flags before the loop, so nothing else is lost.            */  \
        feclearexcept(FE_INVALID);                                                                 \
    }

HB_LOOPS(heavy_ball, HB_POINT)
HB_LOOPS(gradient_descent, GD_POINT)

static PyUFuncGenericFunction heavy_ball_funcs[] = {&heavy_ball_loop};
static PyUFuncGenericFunction gradient_descent_funcs[] = {&gradient_descent_loop};
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

static PyMethodDef methods[] = {
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
    if (add_ufunc(m, heavy_ball_funcs, "heavy_ball",
                  "heavy_ball(alpha, beta, h) -> (rho, flag): float64 rho of heavy ball "
                  "and the routing flag (see hbtheory/_ckernel.c).") < 0 ||
        add_ufunc(m, gradient_descent_funcs, "gradient_descent",
                  "gradient_descent(alpha, beta, h) -> (rho, flag): as heavy_ball, "
                  "for gradient descent.") < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
