// Tails the serial console log QEMU writes, emits its lines, and recognises boot stages and panics.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import type { BootStage } from './events.ts';

export interface ConsoleStage { stage: BootStage; atMs: number; guestUptime?: number }

/** Pure: what a console line tells us. */
export function classifyConsoleLine(line: string): { stage?: BootStage; guestUptime?: number; panic?: boolean } {
  if (/Kernel panic - not syncing/.test(line)) return { panic: true };
  if (/^(\[\s*[\d.]+\]\s*)?Linux version \d/.test(line)) return { stage: 'kernel-start' };
  const m = /^ipvs-harness: (init-start|modules-loaded|network-up|ssh-ready) uptime=([\d.]+)/.exec(line);
  if (m) return { stage: m[1] as BootStage, guestUptime: Number(m[2]) };
  return {};
}

export class ConsoleWatcher {
  private fd: number | undefined;
  private position = 0;
  private partial = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly tail: string[] = [];
  private readonly listeners = new Set<() => void>();
  readonly stages: ConsoleStage[] = [];
  panicLines: string[] | undefined;

  constructor(
    private readonly path: string,
    private readonly startedAt: number,
    private readonly onLine: (line: string) => void,
    private readonly onStage: (s: ConsoleStage) => void,
    private readonly keep = 400,
  ) {}

  start(intervalMs = 15): void {
    this.timer = setInterval(() => this.poll(), intervalMs);
  }

  /** Reads what is new; called by the timer and once more before decisions (exit, timeout). */
  poll(): void {
    if (this.fd === undefined) {
      if (!existsSync(this.path)) return;
      this.fd = openSync(this.path, 'r');
    }
    const buf = Buffer.alloc(64 * 1024);
    let n: number;
    let changed = false;
    while ((n = readSync(this.fd, buf, 0, buf.length, this.position)) > 0) {
      this.position += n;
      this.partial += buf.toString('utf8', 0, n);
      let nl: number;
      while ((nl = this.partial.indexOf('\n')) >= 0) {
        this.line(this.partial.slice(0, nl).replace(/\r/g, ''));
        this.partial = this.partial.slice(nl + 1);
        changed = true;
      }
    }
    if (changed) for (const l of [...this.listeners]) l();
  }

  private line(line: string): void {
    this.tail.push(line);
    if (this.tail.length > this.keep) this.tail.shift();
    if (this.panicLines) this.panicLines.push(line);
    this.onLine(line);
    const c = classifyConsoleLine(line);
    if (c.panic && !this.panicLines) this.panicLines = [line];
    if (c.stage && !this.stages.some((s) => s.stage === c.stage)) {
      const s: ConsoleStage = { stage: c.stage, atMs: Math.round(performance.now() - this.startedAt) };
      if (c.guestUptime !== undefined) s.guestUptime = c.guestUptime;
      this.stages.push(s);
      this.onStage(s);
    }
  }

  hasStage(stage: BootStage): boolean {
    return this.stages.some((s) => s.stage === stage);
  }

  /** Called whenever new lines arrived; returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  lastLines(n: number): string[] {
    const lines = this.partial ? [...this.tail, this.partial] : this.tail;
    return lines.slice(-n);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.poll();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
