// Splits a byte stream into lines without copying them: each line is handed over as a range of the
// chunk it is in; only a line that spans two chunks is joined into a new array.
const NL = 10;

export type LineSink = (s: Uint8Array, start: number, end: number) => void;

export class ByteLineSplitter {
  private carry: Uint8Array | null = null;

  /** `onTooLong` gets the first bytes of a line longer than `maxLine`, which is then dropped. */
  constructor(
    private readonly onLine: LineSink,
    private readonly onTooLong: (head: Uint8Array) => void,
    private readonly maxLine = 1 << 20,
  ) {}

  push(chunk: Uint8Array): void {
    // Scan a plain Uint8Array view: mixing Buffer and Uint8Array maps makes V8 deoptimise the scanner.
    // The newline search stays on the caller's object (Buffer#indexOf is a native memchr).
    const view = chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    if (this.carry !== null) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.append(view);
        return;
      }
      const line = new Uint8Array(this.carry.length + nl);
      line.set(this.carry, 0);
      line.set(view.subarray(0, nl), this.carry.length);
      this.carry = null;
      this.onLine(line, 0, line.length);
      start = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      this.onLine(view, start, nl);
      start = nl + 1;
    }
    if (start < view.length) this.append(view.subarray(start));
  }

  /** The last line, when the input does not end with a newline. */
  flush(): void {
    const line = this.carry;
    if (line === null) return;
    this.carry = null;
    this.onLine(line, 0, line.length);
  }

  private append(bytes: Uint8Array): void {
    const old = this.carry;
    if (old === null) {
      this.carry = bytes.slice(); // the caller may reuse its buffer
    } else {
      const joined = new Uint8Array(old.length + bytes.length);
      joined.set(old, 0);
      joined.set(bytes, old.length);
      this.carry = joined;
    }
    if (this.carry.length > this.maxLine) {
      // A line this long is not trace output: report it once and drop it instead of growing forever.
      this.onTooLong(this.carry.subarray(0, 200));
      this.carry = null;
    }
  }
}
