"""Native LiteRT (TensorFlow Lite, XNNPACK delegate) on this machine: the reference point for
"how close do we get to native". Not a dependency of the project: run it where `ai-edge-litert`
is installed (`pip install ai-edge-litert numpy`).

Usage: python3 bench/native_litert.py [--runs 50] [--threads 1] [--models DIR] [--reference DIR]
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
from ai_edge_litert.interpreter import Interpreter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("--runs", type=int, default=50)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--models", default=os.environ.get("MOBILENET_MODELS", os.path.join(ROOT, "../shared/models")))
p.add_argument("--reference", default=os.environ.get("MOBILENET_REFERENCE", os.path.join(ROOT, "../shared/reference")))
p.add_argument("--json")
a = p.parse_args()

rows = []
for alpha in ["0.25_128", "0.5_160", "0.75_192", "1.0_224"]:
    for kind in ["quant", "float"]:
        name = f"mobilenet_v1_{alpha}_{kind}"
        it = Interpreter(model_path=os.path.join(a.models, name + ".tflite"), num_threads=a.threads)
        it.allocate_tensors()
        inp = it.get_input_details()[0]
        raw = np.fromfile(os.path.join(a.reference, name, "cat.input.bin"), dtype=inp["dtype"])
        it.set_tensor(inp["index"], raw.reshape(inp["shape"]))
        for _ in range(10):
            it.invoke()
        times = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            it.invoke()
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        row = {"model": f"{alpha}_{kind}", "threads": a.threads, "median": statistics.median(times),
               "p10": times[len(times) // 10], "p90": times[len(times) * 9 // 10]}
        rows.append(row)
        print(f"{row['model']:<15} median {row['median']:7.2f} ms  p10 {row['p10']:7.2f}  p90 {row['p90']:7.2f}")
if a.json:
    with open(a.json, "w") as f:
        json.dump({"litert": "ai-edge-litert", "rows": rows}, f, indent=2)
