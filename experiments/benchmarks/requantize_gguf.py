"""Write a copy of a GGUF model with its matrices in another llama.cpp type (for planner_latency.py --model).

    python experiments/benchmarks/requantize_gguf.py --type Q8_0 --out /tmp/smollm2_q8.gguf

The bundled SmolLM2 file is Q4_1; its matrices are de-quantised to fp32 (as transformers does when torch
loads it) and written as `--type` (F32, F16, Q8_0 or Q4_0); vectors stay fp32 and the metadata (tokenizer
included) is copied, so the planner reads the same tokens from either file.
"""

from __future__ import annotations

import argparse

import numpy as np

FILE_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 7}  # llama.cpp's general.file_type codes


def requantize(source: str, out: str, type_name: str) -> None:
    import gguf
    from gguf.quants import dequantize, quantize

    reader = gguf.GGUFReader(source)
    writer = gguf.GGUFWriter(out, reader.fields[gguf.Keys.General.ARCHITECTURE].contents())
    for field in reader.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue  # written by GGUFWriter itself
        kind = field.types[0]
        value = FILE_TYPES[type_name] if field.name == gguf.Keys.General.FILE_TYPE else field.contents()
        writer.add_key_value(field.name, value, kind,
                             sub_type=field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None)
    target = getattr(gguf.GGMLQuantizationType, type_name)
    for tensor in reader.tensors:
        data = dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        if data.ndim == 2 and type_name != "F32":
            packed = quantize(data, target)
            writer.add_tensor(tensor.name, packed, raw_shape=packed.shape, raw_dtype=target)
        else:
            writer.add_tensor(tensor.name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main() -> None:
    from planners.llm.model import bundled_model_path

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="", help="a .gguf file (default: the bundled model)")
    parser.add_argument("--type", default="Q8_0", choices=sorted(FILE_TYPES))
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    requantize(args.source or bundled_model_path(), args.out, args.type)
    print(f"wrote {args.out} ({args.type})")


if __name__ == "__main__":
    main()
