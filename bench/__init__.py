"""Benchmarks: each module prints its tables (python -m bench.<name>); shared helpers here."""

# The commands' XLA settings (experiments/common.py: synchronous CPU dispatch against a known JAX
# hang, LLVM at optimisation level 2), so the benchmarks time what the runs do.
import experiments.common  # noqa: F401


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
