/**
 * A minimal, non-executing pickle reader (protocols 0-5 minus the object-building opcodes torch never emits),
 * enough for torch.save checkpoints: dicts of tensors, optimizer state, argparse.Namespace and numpy scalars.
 *
 * Nothing named in the pickle is ever run. GLOBAL / STACK_GLOBAL yield a PyGlobal; REDUCE / NEWOBJ call a
 * handler registered for that global, or else build an inert PyObject recording the call. Python values map to:
 * None -> null, bool, int -> number (bigint beyond 2^53), float -> number, str -> string, bytes -> Uint8Array,
 * list and tuple -> array, dict -> Map (keys keep their Python type), set -> Set.
 */
import { IntegrityError } from '../../errors.js';

export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance the reader does not model: its class, constructor arguments and pickled state. */
export class PyObject {
  state: unknown = undefined;
  readonly items = new Map<unknown, unknown>();
  readonly list: unknown[] = [];
  constructor(
    readonly cls: PyGlobal,
    readonly args: unknown[],
  ) {}
}

export interface PickleHandlers {
  /** REDUCE/NEWOBJ of a global by its qualified name ("collections.OrderedDict") -> the value. */
  calls?: Record<string, (args: unknown[]) => unknown>;
  /** BINPERSID / PERSID. */
  persistentLoad?: (pid: unknown) => unknown;
}

const BUILTIN_CALLS: Record<string, (args: unknown[]) => unknown> = {
  'collections.OrderedDict': () => new Map(),
  'builtins.set': (args) => new Set((args[0] as unknown[]) ?? []),
  'builtins.frozenset': (args) => new Set((args[0] as unknown[]) ?? []),
  '__builtin__.set': (args) => new Set((args[0] as unknown[]) ?? []),
  'builtins.list': (args) => [...((args[0] as unknown[]) ?? [])],
  'builtins.tuple': (args) => [...((args[0] as unknown[]) ?? [])],
  // Protocol 2 pickles Python 3 bytes as _codecs.encode(str, 'latin1').
  '_codecs.encode': (args) => Uint8Array.from(String(args[0]), (c) => c.charCodeAt(0) & 0xff),
};

export function unpickle(data: Uint8Array, handlers: PickleHandlers = {}): unknown {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const calls = { ...BUILTIN_CALLS, ...handlers.calls };
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;

  const need = (n: number) => {
    if (pos + n > buf.length) throw new IntegrityError(`pickle truncated at byte ${pos}`);
  };
  const u8 = () => (need(1), buf[pos++]);
  const u16 = () => (need(2), (pos += 2), buf.readUInt16LE(pos - 2));
  const u32 = () => (need(4), (pos += 4), buf.readUInt32LE(pos - 4));
  const i32 = () => (need(4), (pos += 4), buf.readInt32LE(pos - 4));
  const u64 = () => {
    need(8);
    pos += 8;
    const v = buf.readBigUInt64LE(pos - 8);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new IntegrityError('pickle: 64-bit length beyond 2^53');
    return Number(v);
  };
  const bytes = (n: number) => (need(n), (pos += n), buf.subarray(pos - n, pos));
  const line = () => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) throw new IntegrityError('pickle: unterminated text line');
    const s = buf.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) throw new IntegrityError('pickle: stack underflow');
    return stack.pop();
  };
  const top = () => stack[stack.length - 1];
  const popMark = (): unknown[] => {
    const at = marks.pop();
    if (at === undefined) throw new IntegrityError('pickle: no MARK');
    const items = stack.splice(at);
    return items;
  };
  const call = (fn: unknown, args: unknown[]): unknown => {
    if (!(fn instanceof PyGlobal)) {
      if (typeof fn === 'function') return (fn as (a: unknown[]) => unknown)(args);
      throw new IntegrityError('pickle: REDUCE of something that is not a global');
    }
    const handler = calls[fn.qualified];
    return handler ? handler(args) : new PyObject(fn, args);
  };
  const setItems = (target: unknown, kv: unknown[]) => {
    const dict = target instanceof Map ? target : target instanceof PyObject ? target.items : null;
    if (!dict) throw new IntegrityError('pickle: SETITEM on a non-dict');
    for (let i = 0; i + 1 < kv.length; i += 2) dict.set(kv[i], kv[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (Array.isArray(target)) target.push(...items);
    else if (target instanceof PyObject) target.list.push(...items);
    else if (target instanceof Set) for (const x of items) target.add(x);
    else throw new IntegrityError('pickle: APPEND on a non-list');
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
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
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(longFrom(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(longFrom(bytes(u32())));
        break;
      case 0x49: {
        // INT (text): "00"/"01" are the protocol-0 booleans
        const s = line();
        stack.push(s === '00' ? false : s === '01' ? true : toNumber(BigInt(s)));
        break;
      }
      case 0x4c: // LONG (text)
        stack.push(toNumber(BigInt(line().replace(/L$/, ''))));
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number.parseFloat(line()));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(buf.readDoubleBE(pos));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(bytes(u32()).toString('utf8'));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(bytes(u8()).toString('utf8'));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(bytes(u64()).toString('utf8'));
        break;
      case 0x56: // UNICODE (raw-unicode-escape line)
        stack.push(line().replace(/\\u([0-9a-fA-F]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))));
        break;
      case 0x54: // BINSTRING
        stack.push(bytes(i32()).toString('latin1'));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(bytes(u8()).toString('latin1'));
        break;
      case 0x53: {
        // STRING (quoted repr)
        const s = line();
        stack.push(s.slice(1, -1).replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/\\(.)/g, '$1'));
        break;
      }
      case 0x42: // BINBYTES
        stack.push(Uint8Array.from(bytes(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(Uint8Array.from(bytes(u8())));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(Uint8Array.from(bytes(u64())));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const x = pop();
        appendItems(top(), [x]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
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
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const m = new Map();
        setItems(m, popMark());
        stack.push(m);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(new PyGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        stack.push(new PyGlobal(String(pop()), String(name)));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(call(fn, Array.isArray(args) ? args : [args]));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(call(cls, Array.isArray(args) ? args : [args]));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs
        const args = pop();
        const cls = pop();
        stack.push(call(cls, Array.isArray(args) ? args : [args]));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        else if (obj instanceof Map && state instanceof Map) for (const [k, v] of state) obj.set(k, v);
        // Anything else (tensors rebuilt by a handler, plain values) ignores its state.
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      case 0x50: // PERSID
        stack.push(persistent(line()));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT
        memo.set(Number(line()), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(fromMemo(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(fromMemo(u32()));
        break;
      case 0x67: // GET
        stack.push(fromMemo(Number(line())));
        break;
      default:
        throw new IntegrityError(`pickle opcode 0x${op.toString(16)} at byte ${pos - 1} is not supported`);
    }
  }

  function persistent(pid: unknown): unknown {
    if (!handlers.persistentLoad) throw new IntegrityError('pickle holds persistent ids but no loader was given');
    return handlers.persistentLoad(pid);
  }

  function fromMemo(i: number): unknown {
    if (!memo.has(i)) throw new IntegrityError(`pickle memo ${i} is empty`);
    return memo.get(i);
  }
}

/** Two's-complement little-endian -> number (bigint when beyond 2^53). */
function longFrom(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return toNumber(v);
}

function toNumber(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
