// Where the fields a flow is identified by live on one kernel, read from that kernel's BTF: the
// tracefs kprobe fetch-args (scenarios/trace-plan.ts) dereference these offsets, so one probe
// definition fits every kernel (nf_hook_state.hook is an `unsigned int` on 5.10 and a `u8` from 5.15).
import { BtfError, type Btf, type MemberLocation } from './btf.ts';

export interface FlowLayout {
  /** nf_hook_state.hook (4 bytes on 5.10, 1 byte later). */
  hook: MemberLocation;
  /** nf_hook_state.pf */
  pf: MemberLocation;
  /** nf_hook_state.net (a pointer) */
  net: MemberLocation;
  /** net.ns.inum: the inode number `ip netns` and /proc/<pid>/ns/net show. */
  netnsInum: MemberLocation;
  /** sk_buff.data (a pointer): at a netfilter IP hook it points at the network header. */
  skbData: MemberLocation;
}

/** The layout, or a BtfError naming the member this kernel does not have. */
export function flowLayoutOf(btf: Btf): FlowLayout {
  const layout: FlowLayout = {
    hook: btf.member('nf_hook_state', ['hook']),
    pf: btf.member('nf_hook_state', ['pf']),
    net: btf.member('nf_hook_state', ['net']),
    netnsInum: btf.member('net', ['ns', 'inum']),
    skbData: btf.member('sk_buff', ['data']),
  };
  for (const [name, loc] of Object.entries(layout)) {
    if (![1, 2, 4, 8].includes(loc.size)) throw new BtfError(`${name}: unexpected size ${loc.size} bytes`);
    // The offsets go into the guest's kprobe definitions: plain small integers only.
    if (!Number.isSafeInteger(loc.offset) || loc.offset < 0 || loc.offset > 65535) throw new BtfError(`${name}: offset ${loc.offset} out of range`);
  }
  if (layout.net.size !== 8 || layout.skbData.size !== 8) throw new BtfError('nf_hook_state.net and sk_buff.data must be 8-byte pointers (x86-64)');
  return layout;
}
