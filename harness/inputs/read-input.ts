// Reading the files a user names, with the checks a script can rely on: a folder, a missing file or a
// file of the wrong kind is bad input (exit 2) with the path and the fix; size limits are applied
// while reading, so /dev/zero or a huge sparse file is refused after at most the limit, not read
// whole. `-` is standard input.
import { closeSync, createReadStream, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { fileError, inputError } from '../errors.ts';

export const STDIN_PATH = '-';

export interface InputSpec {
  path: string;
  /** What the file is to the user: "trace file", "scenario file". */
  what: string;
  /** What to pass instead, for the messages: "a scenario (.yaml)". */
  expected: string;
  maxBytes: number;
  /** Why the limit, for the message: "scenario files are a few KiB". */
  limitWhy: string;
  /** Stable code when the file cannot be read (default INPUT_NOT_READABLE). */
  code?: string;
}

export const inputName = (path: string): string => (path === STDIN_PATH ? 'standard input' : path);

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} bytes`;
}

function tooLarge(spec: InputSpec, size: number | null): Error {
  const got = size === null ? `more than ${formatBytes(spec.maxBytes)}` : formatBytes(size);
  return inputError('INPUT_TOO_LARGE', `${spec.what} ${inputName(spec.path)} is ${got}; expected at most ${formatBytes(spec.maxBytes)} (${spec.limitWhy}); pass ${spec.expected}`);
}

function kindCheck(spec: InputSpec, st: Stats): 'file' | 'stream' {
  if (st.isDirectory()) return failFolder(spec);
  if (st.isFile()) {
    if (st.size > spec.maxBytes) throw tooLarge(spec, st.size);
    return 'file';
  }
  if (st.isSocket()) throw inputError('INPUT_NOT_A_FILE', `${spec.what} ${spec.path} is a socket; pass ${spec.expected}`);
  return 'stream'; // a pipe (<(...)), a terminal or a device: read with the limit
}

function failFolder(spec: InputSpec): never {
  throw inputError('INPUT_IS_FOLDER', `${spec.what} ${spec.path} is a folder; pass ${spec.expected}`);
}

/** Checks that the path names something readable as a file (not a folder, not too large). */
export function checkInput(spec: InputSpec): 'file' | 'stream' {
  if (spec.path === STDIN_PATH) return 'stream';
  let st: Stats;
  try {
    st = statSync(spec.path);
  } catch (err) {
    throw fileError(err, { what: spec.what, path: spec.path, action: 'read', ...(spec.code ? { code: spec.code } : {}) });
  }
  return kindCheck(spec, st);
}

function notText(spec: InputSpec): Error {
  return inputError('INPUT_NOT_TEXT', `${spec.what} ${inputName(spec.path)} is a binary file (it contains NUL bytes); pass ${spec.expected}`);
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Reads a whole text file synchronously, refusing it as soon as it passes the limit. */
export function readInputTextSync(spec: InputSpec): string {
  let fd: number;
  const stdin = spec.path === STDIN_PATH;
  try {
    fd = stdin ? 0 : openSync(spec.path, 'r');
  } catch (err) {
    throw fileError(err, { what: spec.what, path: spec.path, action: 'read', ...(spec.code ? { code: spec.code } : {}) });
  }
  try {
    kindCheck(spec, fstatSync(fd));
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        // A non-blocking standard input has no data yet: wait a little, the writer is still going.
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(pause, 0, 0, 10);
          continue;
        }
        if ((err as NodeJS.ErrnoException).code === 'EISDIR') failFolder(spec);
        throw fileError(err, { what: spec.what, path: spec.path, action: 'read', ...(spec.code ? { code: spec.code } : {}) });
      }
      if (n === 0) break;
      total += n;
      if (total > spec.maxBytes) throw tooLarge(spec, null);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    const data = Buffer.concat(chunks);
    if (data.includes(0)) throw notText(spec);
    return data.toString('utf8');
  } finally {
    if (!stdin) closeSync(fd);
  }
}

/** The bytes of a file or of standard input, in chunks, refused as soon as they pass the limit. */
export async function* readInputChunks(spec: InputSpec): AsyncGenerator<Uint8Array> {
  checkInput(spec);
  const stream = spec.path === STDIN_PATH ? process.stdin : createReadStream(spec.path, { highWaterMark: 1 << 20 });
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > spec.maxBytes) throw tooLarge(spec, null);
      yield chunk;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') failFolder(spec);
    throw fileError(err, { what: spec.what, path: spec.path, action: 'read', ...(spec.code ? { code: spec.code } : {}) });
  } finally {
    if (spec.path !== STDIN_PATH) (stream as ReturnType<typeof createReadStream>).destroy();
  }
}

/** A whole text file, read through readInputChunks. */
export async function readInputText(spec: InputSpec): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of readInputChunks(spec)) chunks.push(chunk);
  const data = Buffer.concat(chunks);
  if (data.includes(0)) throw notText(spec);
  return data.toString('utf8');
}
