"""What `--precision auto` must pick on the machine running the tests, read here from
/proc/cpuinfo and the environment, apart from the code under test."""

import os


def expected_auto_precision() -> str:
    """mixed_bfloat16 where the CPU has bfloat16 matrix units (AMX or AVX512-BF16) and
    TensorFlow's oneDNN kernels are on, not capped below them (ONEDNN_MAX_CPU_ISA=AVX2,
    say, as on a CPU with AVX2 only); float32 elsewhere."""
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next(line for line in cpuinfo if line.startswith("flags")).split()
    units = {"amx_bf16", "avx512_bf16"} & set(flags)
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
    capped = cap not in ("", "DEFAULT", "ALL") and "BF16" not in cap and "AMX" not in cap
    capped = capped and not cap.startswith("AVX10") and cap != "AVX512_CORE_FP16"
    return "mixed_bfloat16" if units and onednn and not capped else "float32"
