#!/bin/sh
# One run of every GPU check, for a machine with an NVIDIA GPU, CuPy, torch and pytest-xdist:
#   sh bench/gpu_sweep.sh OUTDIR
# writes OUTDIR/gpu_check.log (end-to-end check and GPU timings), OUTDIR/cuda.log (the whole suite
# with CUDA as the default device) and OUTDIR/cpu.log (the same suite on the CPU, to tell
# CUDA-specific failures from differences in the installed torch/NumPy versions).
out=${1:-.}
export PYTHONHASHSEED=0 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
nvidia-smi -L
python3 -c "import sys, numpy, cupy, torch; print(sys.version.split()[0], 'numpy', numpy.__version__, 'cupy', cupy.__version__, 'torch', torch.__version__)"
timeout 150 python3 bench/gpu_check.py --bench > "$out/gpu_check.log" 2>&1
echo "gpu_check rc=$?"; tail -n 12 "$out/gpu_check.log"
suite="python3 -m pytest -q -n 8 -p no:cacheprovider --timeout=120 -rfE --tb=short tests --ignore=tests/test_compat.py"
EMBER_TEST_DEVICE=cuda timeout 260 $suite > "$out/cuda.log" 2>&1
echo "cuda suite rc=$?"; tail -n 2 "$out/cuda.log"
timeout 100 $suite > "$out/cpu.log" 2>&1
echo "cpu suite rc=$?"; tail -n 2 "$out/cpu.log"
