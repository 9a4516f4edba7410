/**
 * What a process tree listens on, read from /proc as an attacker on the same machine would
 * find it: the tree by parent pid (/proc/<pid>/stat), each process's sockets by inode
 * (/proc/<pid>/fd), and which of those inodes are listening TCP (/proc/net/tcp, tcp6) or unix
 * sockets (/proc/net/unix). Linux only.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ListeningTcpSocket {
  readonly kind: 'tcp';
  /** `127.0.0.1`, `0.0.0.0`, `::1`, `::`, or another address in its usual form. */
  readonly address: string;
  readonly port: number;
  readonly inode: string;
  readonly pids: readonly number[];
}

export interface ListeningUnixSocket {
  readonly kind: 'unix';
  /** The socket's path, `@name` for an abstract one, '' when unnamed. */
  readonly path: string;
  readonly inode: string;
  readonly pids: readonly number[];
}

/** `root` and every process descended from it that is alive now. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  }
  return tree;
}

/** Socket inodes each pid holds open. */
function socketInodes(pids: readonly number[]): Map<string, number[]> {
  const owners = new Map<string, number[]>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (!match) continue;
      const list = owners.get(match[1]!) ?? [];
      if (!list.includes(pid)) list.push(pid);
      owners.set(match[1]!, list);
    }
  }
  return owners;
}

function ipv4(hex: string): string {
  // /proc/net/tcp writes the address as a little-endian 32-bit number.
  return [6, 4, 2, 0].map((at) => parseInt(hex.slice(at, at + 2), 16)).join('.');
}

function ipv6(hex: string): string {
  // Four little-endian 32-bit words.
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) {
    const chunk = hex.slice(word * 8, word * 8 + 8);
    for (const at of [6, 4, 2, 0]) bytes.push(parseInt(chunk.slice(at, at + 2), 16));
  }
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  const text = groups.join(':');
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  if (/^0:0:0:0:0:ffff:/.test(text)) return `::ffff:${bytes.slice(12).join('.')}`;
  return text;
}

/** Every listening TCP and unix socket held by one of `pids`. */
export function listeningSockets(pids: readonly number[]): Array<ListeningTcpSocket | ListeningUnixSocket> {
  const owners = socketInodes(pids);
  const found: Array<ListeningTcpSocket | ListeningUnixSocket> = [];
  for (const [file, decode] of [
    ['/proc/net/tcp', ipv4],
    ['/proc/net/tcp6', ipv6],
  ] as const) {
    let lines: string[];
    try {
      lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [addressHex, portHex] = fields[1]!.split(':');
      const state = fields[3];
      const inode = fields[9]!;
      // 0A is TCP_LISTEN.
      if (state !== '0A' || !owners.has(inode)) continue;
      found.push({ kind: 'tcp', address: decode(addressHex!), port: parseInt(portHex!, 16), inode, pids: owners.get(inode)! });
    }
  }
  for (const line of readFileSync('/proc/net/unix', 'utf8').trim().split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const flags = parseInt(fields[3]!, 16);
    const inode = fields[6]!;
    // __SO_ACCEPTCON (0x10000): the socket accepts connections.
    if ((flags & 0x10000) === 0 || !owners.has(inode)) continue;
    found.push({ kind: 'unix', path: fields[7] ?? '', inode, pids: owners.get(inode)! });
  }
  return found;
}
