/**
 * A Python pickle reader that never runs anything. PyTorch checkpoints are pickles, and a pickle
 * is a small program: GLOBAL names a Python callable and REDUCE calls it. Here a GLOBAL only ever
 * becomes a `PythonGlobal` record; REDUCE / NEWOBJ / BUILD call a JavaScript handler the caller
 * registered for that exact name (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, …)
 * and turn every other class into an inert `PythonObject` holding its arguments and state.
 *
 * Python values map to: dict → Map, list and tuple → array, str → string, bytes → Uint8Array,
 * int → number (bigint beyond 2^53), float → number, None → null, bool → boolean, set → Set.
 */

/** A module-level Python name (`torch.FloatStorage`), as GLOBAL pushes it: a name, never a call. */
export class PythonGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of a class the reader has no handler for (e.g. `argparse.Namespace`): data only. */
export class PythonObject {
  constructor(
    readonly className: string,
    readonly args: unknown[],
    public state: unknown = undefined,
  ) {}
}

export interface UnpickleOptions {
  /** Handlers for the callables the caller understands, by qualified name. */
  callables?: Record<string, (args: unknown[]) => unknown>;
  /** Resolves persistent ids (PyTorch's storages); without it a persistent id is an error. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Names the data in error messages (a file, or `file:entry` for a zip member). */
  source?: string;
}

const decoder = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): unknown {
  return unpickleAt(bytes, 0, options).value;
}

/** Reads one pickle starting at `start`; `end` is where the next data begins (files may hold several). */
export function unpickleAt(
  bytes: Uint8Array,
  start: number,
  options: UnpickleOptions = {},
): { value: unknown; end: number } {
  const source = options.source ?? 'pickle';
  const callables = options.callables ?? {};
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const memo = new Map<number, unknown>();
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  let pos = start;

  const fail = (message: string): never => {
    throw new Error(`${source}: ${message} (at byte ${pos}). Is it a PyTorch checkpoint?`);
  };
  const need = (count: number) => {
    if (pos + count > bytes.length) fail('the pickle ends early');
  };
  const u8 = () => {
    need(1);
    return bytes[pos++];
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = () => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('a length beyond 2^53');
    return Number(v);
  };
  const take = (count: number) => {
    need(count);
    const out = bytes.subarray(pos, pos + count);
    pos += count;
    return out;
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('a text opcode without its newline');
    const text = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const pop = () => {
    if (stack.length === 0) fail('the pickle pops an empty stack');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) fail('the pickle reads an empty stack');
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const items = stack;
    const previous = marks.pop();
    if (!previous) fail('the pickle closes a MARK it never opened');
    stack = previous as unknown[];
    return items;
  };
  const call = (callable: unknown, args: unknown[]): unknown => {
    if (!(callable instanceof PythonGlobal)) {
      return fail(`the pickle calls something that is not a class or function (${describe(callable)})`);
    }
    const handler = callables[callable.qualifiedName];
    return handler ? handler(args) : new PythonObject(callable.qualifiedName, args);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) fail(`the pickle sets items on a ${describe(target)}`);
    const map = target as Map<unknown, unknown>;
    for (let i = 0; i + 1 < items.length; i += 2) map.set(items[i], items[i + 1]);
  };
  const append = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) fail(`the pickle appends to a ${describe(target)}`);
    (target as unknown[]).push(...items);
  };

  for (;;) {
    const opcode = u8();
    switch (opcode) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME (protocol 4): a length hint, the data follows inline
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`the pickle stops with ${stack.length} values on the stack`);
        return { value: stack[0], end: pos };
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length > 0) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x49: {
        // INT (text); "00"/"01" are protocol 0's False/True
        const text = line().trim();
        stack.push(text === '00' ? false : text === '01' ? true : parseInteger(text, fail));
        break;
      }
      case 0x4c: // LONG (text, trailing L)
        stack.push(parseInteger(line().trim().replace(/L$/, ''), fail));
        break;
      case 0x8a: // LONG1
        stack.push(littleEndianSigned(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(littleEndianSigned(take(i32())));
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number.parseFloat(line()));
        break;
      case 0x47: {
        // BINFLOAT: big-endian double
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(decoder.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(decoder.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(decoder.decode(take(u64())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape text)
        stack.push(line());
        break;
      case 0x53: // STRING (quoted text): protocol 0 str
        stack.push(line().replace(/^(['"])(.*)\1$/, '$2'));
        break;
      case 0x54: // BINSTRING: Python 2 str, read as text
        stack.push(latin1.decode(take(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x74: // TUPLE
      case 0x6c: {
        // LIST
        const items = popMark(); // (before reading `stack`: popMark replaces it)
        stack.push(items);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const map = new Map();
        setItems(map, popMark());
        stack.push(map);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const set = top();
        if (!(set instanceof Set)) fail(`the pickle adds items to a ${describe(set)}`);
        for (const item of items) (set as Set<unknown>).add(item);
        break;
      }
      case 0x91: {
        // FROZENSET
        const items = popMark();
        stack.push(new Set(items));
        break;
      }
      case 0x70: // PUT
        memo.set(Number.parseInt(line(), 10), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
        stack.push(memoGet(memo, Number.parseInt(line(), 10), fail));
        break;
      case 0x68: // BINGET
        stack.push(memoGet(memo, u8(), fail));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(memo, u32(), fail));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(new PythonGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL without names');
        stack.push(new PythonGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args)
        const args = pop();
        const callable = pop();
        stack.push(call(callable, Array.isArray(args) ? args : [args]));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        const cls = pop();
        stack.push(call(cls, Array.isArray(args) ? args : [args]));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        stack.push(call(cls, [...(Array.isArray(args) ? args : [args]), kwargs]));
        break;
      }
      case 0x69: {
        // INST "module\nname\n" with MARKed args
        const module = line();
        const name = line();
        const args = popMark();
        stack.push(call(new PythonGlobal(module, name), args));
        break;
      }
      case 0x6f: {
        // OBJ: MARK cls args...
        const [cls, ...args] = popMark();
        stack.push(call(cls, args));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state), here: keep the state as data
        const state = pop();
        const target = top();
        if (target instanceof PythonObject) target.state = state;
        // A dict subclass (OrderedDict) gets attributes such as `_metadata`: not part of its items.
        else if (!(target instanceof Map) && typeof target !== 'object')
          fail(`the pickle sets the state of a ${describe(target)}`);
        break;
      }
      case 0x50: // PERSID (text)
      case 0x51: {
        // BINPERSID
        const pid = opcode === 0x50 ? line() : pop();
        if (!options.persistentLoad) fail('a persistent id with no storage to resolve it');
        stack.push(options.persistentLoad?.(pid));
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${opcode.toString(16).padStart(2, '0')}`);
    }
  }
}

function memoGet(memo: Map<number, unknown>, key: number, fail: (message: string) => never): unknown {
  if (!memo.has(key)) fail(`the pickle reads memo ${key} before writing it`);
  return memo.get(key);
}

function parseInteger(text: string, fail: (message: string) => never): number | bigint {
  if (!/^[-+]?\d+$/.test(text)) fail(`not an integer: ${text}`);
  const value = BigInt(text);
  return safeNumber(value);
}

function littleEndianSigned(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return safeNumber(value);
}

function safeNumber(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

export function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof PythonGlobal) return value.qualifiedName;
  if (value instanceof PythonObject) return `${value.className} object`;
  if (value instanceof Map) return 'dict';
  if (Array.isArray(value)) return 'tuple or list';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value;
}
