"""DSP kernels: numba @njit functions over numpy arrays with explicit state."""
