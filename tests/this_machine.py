"""What `--precision auto` must pick on the machine running the tests, read here from
/proc/cpuinfo and the environment, apart from the code under test."""

import os


def expected_auto_precision() -> str:
    """mixed_bfloat16 where the CPU has bfloat16 matrix units (AMX or AVX512-BF16) and
    TensorFlow's oneDNN kernels are on; float32 elsewhere."""
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next(line for line in cpuinfo if line.startswith("flags")).split()
    units = {"amx_bf16", "avx512_bf16"} & set(flags)
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"
    return "mixed_bfloat16" if units and onednn else "float32"
