// A small protobuf writer and reader for the part of the ONNX schema that `export --format onnx` needs:
// ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto/TypeProto and the
// metadata_props entries. Dependency-free; no vscode, fs or tfjs. Field numbers are those of onnx/onnx.proto:
//   ModelProto:  ir_version 1, producer_name 2, producer_version 3, domain 4, model_version 5, doc_string 6,
//                graph 7, opset_import 8, metadata_props 14
//   OperatorSetIdProto: domain 1, version 2        StringStringEntryProto: key 1, value 2
//   GraphProto:  node 1, name 2, initializer 5, doc_string 10, input 11, output 12
//   NodeProto:   input 1, output 2, name 3, op_type 4, attribute 5, domain 7
//   AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, TENSOR 4,
//                FLOATS 6, INTS 7)
//   TensorProto: dims 1, data_type 2 (FLOAT 1, INT32 6, INT64 7), name 8, raw_data 9 (little-endian)
//   ValueInfoProto: name 1, type 2;  TypeProto: tensor_type 1;  TypeProto.Tensor: elem_type 1, shape 2;
//   TensorShapeProto: dim 1;  Dimension: dim_value 1, dim_param 2

export const ONNX_FLOAT = 1;
export const ONNX_INT32 = 6;
export const ONNX_INT64 = 7;

export type OnnxAttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] };

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, OnnxAttributeValue>>;
}

export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  dataType: typeof ONNX_FLOAT | typeof ONNX_INT64 | typeof ONNX_INT32;
  /** Little-endian raw data (float32, int64 or int32). */
  raw: Uint8Array;
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** A number is a fixed size; a string a symbolic one (`batch`). */
  shape: readonly (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  graph: OnnxGraph;
  metadata: Readonly<Record<string, string>>;
}

const ATTRIBUTE_TYPES: { readonly [K in OnnxAttributeValue['kind']]: number } = {
  float: 1,
  int: 2,
  string: 3,
  floats: 6,
  ints: 7,
  strings: 8,
};

const utf8 = new TextEncoder();

/** Builds one message; nested messages are encoded first and written as length-delimited bytes. */
class MessageWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  private varint(value: number | bigint): void {
    // int64 fields: negative values are ten-byte two's complement varints.
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  message(field: number, message: MessageWriter): this {
    return this.bytes(field, message.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

function encodeAttribute(name: string, attribute: OnnxAttributeValue): MessageWriter {
  const w = new MessageWriter().string(1, name);
  switch (attribute.kind) {
    case 'float':
      w.float(2, attribute.value);
      break;
    case 'int':
      w.int(3, attribute.value);
      break;
    case 'string':
      w.string(4, attribute.value);
      break;
    case 'floats':
      for (const v of attribute.value) w.float(7, v);
      break;
    case 'ints':
      for (const v of attribute.value) w.int(8, v);
      break;
    case 'strings':
      for (const v of attribute.value) w.string(9, v);
      break;
  }
  return w.int(20, ATTRIBUTE_TYPES[attribute.kind]);
}

function encodeNode(node: OnnxNode): MessageWriter {
  const w = new MessageWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name).string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {}))
    w.message(5, encodeAttribute(name, value));
  return w;
}

function encodeTensor(tensor: OnnxTensor): MessageWriter {
  const w = new MessageWriter();
  for (const d of tensor.dims) w.int(1, d);
  return w.int(2, tensor.dataType).string(8, tensor.name).bytes(9, tensor.raw);
}

function encodeValueInfo(info: OnnxValueInfo): MessageWriter {
  const shape = new MessageWriter();
  for (const d of info.shape) {
    const dim = new MessageWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new MessageWriter().int(1, info.elemType).message(2, shape);
  return new MessageWriter().string(1, info.name).message(2, new MessageWriter().message(1, tensorType));
}

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const graph = new MessageWriter();
  for (const node of model.graph.nodes) graph.message(1, encodeNode(node));
  graph.string(2, model.graph.name);
  for (const t of model.graph.initializers) graph.message(5, encodeTensor(t));
  for (const i of model.graph.inputs) graph.message(11, encodeValueInfo(i));
  for (const o of model.graph.outputs) graph.message(12, encodeValueInfo(o));
  const w = new MessageWriter()
    .int(1, model.irVersion)
    .string(2, model.producerName)
    .string(3, model.producerVersion)
    .string(6, model.docString)
    .message(7, graph)
    .message(8, new MessageWriter().string(1, '').int(2, model.opsetVersion));
  for (const [key, value] of Object.entries(model.metadata))
    w.message(14, new MessageWriter().string(1, key).string(2, value));
  return w.finish();
}

// ---- Reading back: enough to check an exported file (its metadata, input, operators) without a runtime.

export class OnnxDecodeError extends Error {}

interface Field {
  field: number;
  wireType: number;
  /** varint value, or the bytes of a length-delimited/fixed field. */
  value: bigint | Uint8Array;
}

function readFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= bytes.length) throw new OnnxDecodeError('truncated varint');
      const b = bytes[at++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new OnnxDecodeError('varint too long');
    }
  };
  const take = (n: number): Uint8Array => {
    if (n < 0 || at + n > bytes.length) throw new OnnxDecodeError('truncated field');
    const out = bytes.subarray(at, at + n);
    at += n;
    return out;
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (wireType === 0) fields.push({ field, wireType, value: varint() });
    else if (wireType === 2) fields.push({ field, wireType, value: take(Number(varint())) });
    else if (wireType === 5) fields.push({ field, wireType, value: take(4) });
    else if (wireType === 1) fields.push({ field, wireType, value: take(8) });
    else throw new OnnxDecodeError(`unsupported wire type ${wireType}`);
  }
  return fields;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
const bytesOf = (f: Field): Uint8Array => (f.value instanceof Uint8Array ? f.value : new Uint8Array(0));
const textOf = (f: Field): string => utf8Decoder.decode(bytesOf(f));
const numberOf = (f: Field): number => (typeof f.value === 'bigint' ? Number(BigInt.asIntN(64, f.value)) : 0);

export interface DecodedOnnxSummary {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  metadata: Record<string, string>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  operators: string[];
  initializers: { name: string; dims: number[]; raw: Uint8Array }[];
}

function decodeValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', elemType: 0, shape: [] };
  const shape: (number | string)[] = [];
  for (const f of readFields(bytes)) {
    if (f.field === 1) info.name = textOf(f);
    if (f.field !== 2) continue;
    for (const t of readFields(bytesOf(f))) {
      if (t.field !== 1) continue;
      for (const tt of readFields(bytesOf(t))) {
        if (tt.field === 1) info.elemType = numberOf(tt);
        if (tt.field !== 2) continue;
        for (const dim of readFields(bytesOf(tt))) {
          if (dim.field !== 1) continue;
          for (const d of readFields(bytesOf(dim))) shape.push(d.field === 1 ? numberOf(d) : textOf(d));
        }
      }
    }
  }
  return { ...info, shape };
}

/** Decodes the summary of a model file; a file that is not protobuf throws OnnxDecodeError. */
export function decodeOnnxSummary(bytes: Uint8Array): DecodedOnnxSummary {
  const summary: DecodedOnnxSummary = {
    irVersion: 0,
    opsetVersion: 0,
    producerName: '',
    metadata: {},
    inputs: [],
    outputs: [],
    operators: [],
    initializers: [],
  };
  for (const f of readFields(bytes)) {
    if (f.field === 1) summary.irVersion = numberOf(f);
    else if (f.field === 2) summary.producerName = textOf(f);
    else if (f.field === 8) {
      for (const o of readFields(bytesOf(f))) if (o.field === 2) summary.opsetVersion = numberOf(o);
    } else if (f.field === 14) {
      let key = '';
      let value = '';
      for (const e of readFields(bytesOf(f))) {
        if (e.field === 1) key = textOf(e);
        if (e.field === 2) value = textOf(e);
      }
      summary.metadata[key] = value;
    } else if (f.field === 7) {
      for (const g of readFields(bytesOf(f))) {
        if (g.field === 1) {
          for (const n of readFields(bytesOf(g))) if (n.field === 4) summary.operators.push(textOf(n));
        } else if (g.field === 5) {
          const t: { name: string; dims: number[]; raw: Uint8Array } = {
            name: '',
            dims: [],
            raw: new Uint8Array(0),
          };
          for (const tf of readFields(bytesOf(g))) {
            if (tf.field === 1) t.dims.push(numberOf(tf));
            if (tf.field === 8) t.name = textOf(tf);
            if (tf.field === 9) t.raw = bytesOf(tf);
          }
          summary.initializers.push(t);
        } else if (g.field === 11) summary.inputs.push(decodeValueInfo(bytesOf(g)));
        else if (g.field === 12) summary.outputs.push(decodeValueInfo(bytesOf(g)));
      }
    }
  }
  if (summary.opsetVersion === 0 || summary.inputs.length === 0)
    throw new OnnxDecodeError('no graph inputs or opset: not an ONNX model');
  return summary;
}

/** Little-endian bytes of float32 values (raw_data of a FLOAT tensor). */
export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

/** Little-endian bytes of int64 values (raw_data of an INT64 tensor: shapes, axes). */
export function int64Bytes(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return bytes;
}

/** ONNX IR version that goes with an opset of the default domain (onnx/docs/Versioning.md). */
export function irVersionForOpset(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}
