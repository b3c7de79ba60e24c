import onnxProto from 'onnx-proto';

/**
 * Small helpers to write an ONNX graph by hand: named values, nodes of standard operators,
 * float/int64 initializers, graph inputs and outputs with symbolic dimensions, and the model
 * serialised as the ONNX protobuf (the generated schema of `onnx-proto`). Any ONNX runtime can
 * load the result: it uses only the default operator domain.
 */
const { onnx } = onnxProto;

/** ONNX `TensorProto.DataType` codes of the element types we write. */
const ELEMENT_TYPE = { float32: 1, int32: 6, int64: 7 } as const;
export type ElementType = keyof typeof ELEMENT_TYPE;

/** A dimension: a number when fixed, a name (`'batch'`) when dynamic. */
export type Dimension = number | string;

/** An attribute value, tagged with its ONNX type since 1 and 1.0 look the same in JavaScript. */
export type Attribute =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { string: string };

export interface ConstantTensor {
  shape: readonly number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

/** The opset we target: 17 brings LayerNormalization; ONNX Runtime 1.12+ and onnx 1.12+ read it. */
export const DEFAULT_OPSET = 17;
/** IR version 8 goes with opset 17 (ONNX 1.12 – 1.13 era); newer runtimes read older IRs. */
const IR_VERSION = 8;

export class OnnxGraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(readonly graphName: string) {}

  /** A value name not used yet, derived from `prefix`. */
  fresh(prefix: string): string {
    let n = this.counters.get(prefix) ?? 0;
    let name = n === 0 ? prefix : `${prefix}_${n}`;
    while (this.names.has(name)) name = `${prefix}_${++n}`;
    this.counters.set(prefix, n + 1);
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX graph ${this.graphName}: the name ${name} is taken.`);
    this.names.add(name);
    return name;
  }

  input(name: string, shape: readonly Dimension[], type: ElementType = 'float32'): string {
    this.inputs.push(valueInfo(this.claim(name), shape, type));
    return name;
  }

  /** Declares `value` as a graph output under `name` (an Identity when the names differ). */
  output(value: string, name: string, shape: readonly Dimension[], type: ElementType = 'float32'): string {
    const outputName = value === name ? name : this.node('Identity', [value], { outputs: [name] })[0];
    this.outputs.push(valueInfo(outputName, shape, type));
    return outputName;
  }

  /** A constant tensor stored in the file; its name is kept as given so weights stay findable. */
  initializer(name: string, tensor: ConstantTensor): string {
    return this.addInitializer(this.claim(name), tensor);
  }

  private addInitializer(name: string, tensor: ConstantTensor): string {
    const count = tensor.shape.reduce((n, d) => n * d, 1);
    if (tensor.data.length !== count) {
      throw new Error(
        `ONNX graph ${this.graphName}: initializer ${name} has ${tensor.data.length} values for shape [${tensor.shape}].`,
      );
    }
    const data = tensor.data;
    this.initializers.push({
      name,
      dims: [...tensor.shape],
      dataType:
        data instanceof Float32Array
          ? ELEMENT_TYPE.float32
          : data instanceof Int32Array
            ? ELEMENT_TYPE.int32
            : ELEMENT_TYPE.int64,
      // ONNX raw data is little-endian, as are the machines Node runs on.
      rawData: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** A constant under a fresh name derived from `prefix`. */
  constant(prefix: string, tensor: ConstantTensor): string {
    return this.addInitializer(this.fresh(prefix), tensor);
  }

  /** An int64 vector constant (shapes, axes, indices). */
  int64(prefix: string, values: readonly number[]): string {
    return this.addInitializer(this.fresh(prefix), {
      shape: [values.length],
      data: BigInt64Array.from(values.map((v) => BigInt(v))),
    });
  }

  /** A float32 constant of any shape (a scalar when `shape` is []). */
  float32(prefix: string, values: readonly number[] | Float32Array, shape: readonly number[] = []): string {
    return this.addInitializer(this.fresh(prefix), { shape, data: Float32Array.from(values) });
  }

  /**
   * Adds one node of a standard operator and returns its output names (fresh ones derived from
   * the operator unless given).
   */
  node(
    opType: string,
    inputs: readonly string[],
    options: {
      outputs?: readonly string[] | number;
      attributes?: Record<string, Attribute>;
      name?: string;
    } = {},
  ): string[] {
    const outputs =
      typeof options.outputs === 'object'
        ? options.outputs.map((name) => this.claim(name))
        : Array.from({ length: options.outputs ?? 1 }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      opType,
      input: [...inputs],
      output: outputs,
      name: options.name ?? this.fresh(`node_${opType}`),
      attribute: Object.entries(options.attributes ?? {}).map(([name, value]) => attribute(name, value)),
    });
    return outputs;
  }

  /** `node` for the common single-output case. */
  op(opType: string, inputs: readonly string[], attributes?: Record<string, Attribute>): string {
    return this.node(opType, inputs, attributes ? { attributes } : {})[0];
  }

  /** The whole model as ONNX protobuf bytes. */
  serialize(
    options: {
      opset?: number;
      producer?: string;
      docString?: string;
      metadata?: Record<string, string>;
    } = {},
  ): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: options.opset ?? DEFAULT_OPSET }],
      producerName: options.producer ?? 'dinoscope',
      docString: options.docString ?? '',
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** Reads a serialised model back (for tests and inspection). */
export function parseOnnxModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

function valueInfo(
  name: string,
  shape: readonly Dimension[],
  type: ElementType,
): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPE[type],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: Attribute): onnxProto.onnx.IAttributeProto {
  const type = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: type.INT, i: value.int };
  if ('float' in value) return { name, type: type.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: type.INTS, ints: [...value.ints] };
  if ('floats' in value) return { name, type: type.FLOATS, floats: [...value.floats] };
  return { name, type: type.STRING, s: Buffer.from(value.string, 'utf8') };
}
