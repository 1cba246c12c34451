"""Runs a .tflite in LiteRT (ai-edge-litert) with its built-in reference kernels
(OpResolverType.BUILTIN_REF, as ../shared/reference was made) on raw input tensors, for
tests/litert/export.test.mjs.

Usage: python run.py MODEL.tflite INPUT.bin... — each input is the raw HWC input tensor (uint8,
or float32 little-endian). Prints one JSON object: the input and output tensors' details, the
labels in the file's metadata (`labels`, or null), and per input the output and the logits (the
SOFTMAX's input) as lists of numbers.
"""
import json
import sys

import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.interpreter import Interpreter, OpResolverType


def metadata_labels(data):
    model = schema.Model.GetRootAs(data, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name() == b"labels":
            text = model.Buffers(entry.Buffer()).DataAsNumpy().tobytes().decode("utf-8")
            return text.rstrip("\n").split("\n")
    return None


def main(model_path, inputs):
    data = open(model_path, "rb").read()
    it = Interpreter(model_content=data, experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                     experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    out = it.get_output_details()[0]
    softmax = [op for op in it._get_ops_details() if op["op_name"] == "SOFTMAX"][-1]
    logits_index = int(softmax["inputs"][0])
    logits_detail = next(t for t in it.get_tensor_details() if t["index"] == logits_index)
    results = []
    for path in inputs:
        x = np.fromfile(path, dtype=inp["dtype"]).reshape(inp["shape"])
        it.set_tensor(inp["index"], x)
        it.invoke()
        results.append({
            "output": it.get_tensor(out["index"]).ravel().tolist(),
            "logits": it.get_tensor(logits_index).ravel().tolist(),
        })
    detail = lambda d: {"shape": d["shape"].tolist(), "dtype": np.dtype(d["dtype"]).name,
                        "scale": float(d["quantization"][0]), "zero_point": int(d["quantization"][1])}
    json.dump({"input": detail(inp), "output": detail(out), "logits": detail(logits_detail),
               "labels": metadata_labels(data), "results": results}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
