#!/usr/bin/env node
// A fake qemu-system-x86_64 for process tests: writes a boot log to the -serial file, answers QMP
// (capabilities, `info usernet`, quit) on the -qmp socket, then does what FAKE_QEMU_MODE says:
//   hang (default)  keep running, printing nothing more
//   stubborn        like hang, but ignore SIGTERM (tests the SIGKILL escalation)
//   panic           print a kernel panic and exit like QEMU with -no-reboot
//   exit            exit with code 1 at once after the log
// FAKE_QEMU_PIDFILE: write our pid there.
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

const args = process.argv.slice(2);
const arg = (name) => args[args.indexOf(name) + 1] ?? '';
const serial = arg('-serial').replace(/^file:/, '');
const qmpPath = arg('-qmp').replace(/^unix:/, '').split(',')[0];
const mode = process.env.FAKE_QEMU_MODE ?? 'hang';
// Handlers first, then the pid file: a test that sees the pid file knows the handlers are in place.
if (mode === 'stubborn') {
  process.on('SIGTERM', () => {
    if (process.env.FAKE_QEMU_PIDFILE) writeFileSync(`${process.env.FAKE_QEMU_PIDFILE}.sigterm-ignored`, '');
  });
}
if (process.env.FAKE_QEMU_PIDFILE) writeFileSync(process.env.FAKE_QEMU_PIDFILE, String(process.pid));

const log = (line) => appendFileSync(serial, line + '\r\n');
const server = createServer((sock) => {
  sock.write(JSON.stringify({ QMP: { version: {}, capabilities: [] } }) + '\r\n');
  let buf = '';
  sock.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (msg.execute === 'human-monitor-command') {
        sock.write(JSON.stringify({ return: 'Hub -1 (n0):\r\n  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r\n  TCP[HOST_FORWARD]   8       127.0.0.1 40022       10.0.2.15    22     0     0\r\n' }) + '\r\n');
      } else if (msg.execute === 'quit') {
        sock.write(JSON.stringify({ return: {} }) + '\r\n');
        process.exit(0);
      } else sock.write(JSON.stringify({ return: {} }) + '\r\n');
    }
  });
});
server.listen(qmpPath);

log('[    0.000000] Linux version 6.1.0-fake (fake@qemu) #1 SMP');
log('[    0.100000] Command line: console=ttyS0 panic=-1');
setTimeout(() => {
  log('ipvs-harness: init-start uptime=1.50');
  if (mode === 'panic') {
    log('[    1.600000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100');
    log('[    1.600100] Kernel Offset: disabled');
    setTimeout(() => process.exit(0), 50);
  } else if (mode === 'exit') {
    process.stderr.write('qemu-system-x86_64: fake failure\n');
    process.exit(1);
  }
}, 100);
setInterval(() => {}, 1 << 30);
