"""Records LiteRT's uint8 SOFTMAX (built-in reference kernels, OpResolverType.BUILTIN_REF) on
seeded random logits, for tests/softmax_litert.rs: 320 random cases, plus every case of a wider
random sweep where some 256·p lies within 1e-4 of a rounding half (where a float formula and
TFLite's fixed-point arithmetic can part): a one-operator model per (classes, scale),
written with the flatbuffer schema that ships inside ai-edge-litert.

Usage: target/litert-venv/bin/python tests/litert/softmax_cases.py > tests/litert/softmax_cases.json
"""
import json
import sys

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as s
from ai_edge_litert.interpreter import Interpreter, OpResolverType


def softmax_model(classes, scale, zero_point):
    m = s.ModelT()
    m.version = 3
    code = s.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = 25  # SOFTMAX
    code.version = 1
    m.operatorCodes = [code]
    m.buffers = [s.BufferT()]

    def tensor(name, sc, zp):
        t = s.TensorT()
        t.shape, t.type, t.buffer, t.name = [1, classes], 3, 0, name  # UINT8
        q = s.QuantizationParametersT()
        q.scale, q.zeroPoint = [sc], [zp]
        t.quantization = q
        return t

    sg = s.SubGraphT()
    sg.tensors = [tensor("logits", scale, zero_point), tensor("probabilities", 1 / 256, 0)]
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0], [1]
    op.builtinOptionsType = 9  # SoftmaxOptions
    op.builtinOptions = s.SoftmaxOptionsT()
    op.builtinOptions.beta = 1.0
    sg.operators, sg.inputs, sg.outputs = [op], [0], [1]
    m.subgraphs = [sg]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), b"TFL3")
    return bytes(b.Output())


def near_half(x, scale):
    e = np.exp(scale * (x.astype(np.float64) - x.max()))
    v = 256 * e / e.sum()
    return bool((np.abs(v - np.floor(v) - 0.5) < 1e-4).any())


rng = np.random.default_rng(12)
cases = []
for classes in [2, 3, 5, 10, 40]:
    for group in range(48):
        scale = float(np.float32(np.exp(rng.uniform(np.log(0.005), np.log(2.0)))))
        it = Interpreter(model_content=softmax_model(classes, scale, 128),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        it.allocate_tensors()
        for k in range(200):
            spread = [3, 10, 30, 128][k % 4]
            x = np.clip(rng.normal(128, spread, classes), 0, 255).astype(np.uint8)
            keep = (group < 8 and k < 8) or near_half(x, scale)
            if not keep:
                continue
            it.set_tensor(0, x.reshape(1, classes))
            it.invoke()
            cases.append({"scale": scale, "input": x.tolist(), "output": it.get_tensor(1).ravel().tolist()})
json.dump({"made_with": "ai-edge-litert BUILTIN_REF, tests/litert/softmax_cases.py", "cases": cases},
          sys.stdout, separators=(",", ":"))
