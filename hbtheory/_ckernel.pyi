# Type stub of the optional compiled module built from _ckernel.c (see that file).
import numpy as np

SOURCE_CRC32: int
heavy_ball: np.ufunc
gradient_descent: np.ufunc
nesterov: np.ufunc

def set_window(lower: float, upper: float, /) -> None: ...
def set_tight(e1: float, e0: float, d: float, tol: float, /) -> None: ...
