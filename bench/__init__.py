"""Benchmarks: each module prints its tables (python -m bench.<name>); shared helpers here."""

import jax

# Synchronous CPU dispatch, as every command of the project (experiments/common.py: a known JAX
# hang, jax-ml/jax#25861), so the benchmarks time what the runs do.
jax.config.update("jax_cpu_enable_async_dispatch", False)


def cpu_model() -> str:
    """The CPU's model name (Linux), else the platform's processor string."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"
