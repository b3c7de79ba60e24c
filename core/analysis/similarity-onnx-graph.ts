/**
 * The one ONNX graph the search engine runs: S = A · Bᵀ (`Gemm`, transB = 1) for float32 A [a, d]
 * and B [b, d], so that ONNX Runtime's MLAS kernels (AVX2/AVX-512, all cores) do the arithmetic.
 * It is small enough to write as protobuf bytes directly (the ModelProto fields used are listed
 * below), which keeps the search free of any graph-building dependency.
 */
export function similarityGraph(): Uint8Array {
  const tensorInput = (name: string, rows: string) =>
    valueInfo(name, FLOAT, [{ param: rows }, { param: 'dim' }]);
  const graph = message([
    [GRAPH_NODE, node('Gemm', ['A', 'B'], ['S'], [intAttribute('transB', 1)])],
    [GRAPH_NAME, 'cosine_similarity'],
    [GRAPH_INPUT, tensorInput('A', 'a')],
    [GRAPH_INPUT, tensorInput('B', 'b')],
    [GRAPH_OUTPUT, valueInfo('S', FLOAT, [{ param: 'a' }, { param: 'b' }])],
  ]);
  return message([
    [MODEL_IR_VERSION, 8],
    [MODEL_PRODUCER_NAME, 'dinoscope'],
    [MODEL_GRAPH, graph],
    [MODEL_OPSET_IMPORT, message([[OPSET_VERSION, 17]])],
  ]);
}

// onnx.proto field numbers.
const MODEL_IR_VERSION = 1;
const MODEL_PRODUCER_NAME = 2;
const MODEL_GRAPH = 7;
const MODEL_OPSET_IMPORT = 8;
const OPSET_VERSION = 2;
const GRAPH_NODE = 1;
const GRAPH_NAME = 2;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_NAME = 1;
const ATTRIBUTE_I = 3;
const ATTRIBUTE_TYPE = 20;
const ATTRIBUTE_TYPE_INT = 2;
const VALUE_INFO_NAME = 1;
const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_ELEM_TYPE = 1;
const TENSOR_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_PARAM = 2;
const FLOAT = 1;

type Field = [number, number | string | Uint8Array];

function node(opType: string, inputs: string[], outputs: string[], attributes: Uint8Array[]): Uint8Array {
  return message([
    ...inputs.map((name): Field => [NODE_INPUT, name]),
    ...outputs.map((name): Field => [NODE_OUTPUT, name]),
    [NODE_OP_TYPE, opType],
    ...attributes.map((attribute): Field => [NODE_ATTRIBUTE, attribute]),
  ]);
}

function intAttribute(name: string, value: number): Uint8Array {
  return message([
    [ATTRIBUTE_NAME, name],
    [ATTRIBUTE_I, value],
    [ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT],
  ]);
}

function valueInfo(name: string, elemType: number, dims: { param: string }[]): Uint8Array {
  const shape = message(dims.map((d): Field => [SHAPE_DIM, message([[DIM_PARAM, d.param]])]));
  const tensorType = message([
    [TENSOR_ELEM_TYPE, elemType],
    [TENSOR_SHAPE, shape],
  ]);
  return message([
    [VALUE_INFO_NAME, name],
    [VALUE_INFO_TYPE, message([[TYPE_TENSOR, tensorType]])],
  ]);
}

/** Protobuf wire format: numbers as varints (wire type 0), strings and messages length-delimited (2). */
function message(fields: Field[]): Uint8Array {
  const bytes: number[] = [];
  for (const [fieldNumber, value] of fields) {
    if (typeof value === 'number') {
      pushVarint(bytes, fieldNumber * 8);
      pushVarint(bytes, value);
    } else {
      const payload = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      pushVarint(bytes, fieldNumber * 8 + 2);
      pushVarint(bytes, payload.length);
      for (const byte of payload) bytes.push(byte);
    }
  }
  return Uint8Array.from(bytes);
}

function pushVarint(bytes: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
}
