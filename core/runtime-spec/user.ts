// Resolves `--user` and `--group-add` against the image's /etc/passwd and /etc/group as runc's
// libcontainer/user does for dockerd: names or numbers, `user`, `user:group`, supplementary groups
// from /etc/group membership (only when no group is given), Docker's error texts.
import { BerthError } from '../errors.ts';
import type { User } from './types.ts';

/** Reads files of the container's root filesystem; null when the file does not exist. */
export interface RootfsReader {
  readFile(path: string): string | null | Promise<string | null>;
}

export interface PasswdEntry { name: string; uid: number; gid: number; home: string; shell: string }
export interface GroupEntry { name: string; gid: number; members: string[] }

const MAX_ID = 2 ** 31 - 1;

/** `name:password:uid:gid:gecos:home:shell` lines; blank lines and comments skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).map((f) => ({ name: f[0] ?? '', uid: toInt(f[2]), gid: toInt(f[3]), home: f[5] ?? '', shell: f[6] ?? '' }));
}

/** `name:password:gid:member,member` lines. */
export function parseGroup(text: string): GroupEntry[] {
  return lines(text).map((f) => ({ name: f[0] ?? '', gid: toInt(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

function lines(text: string): string[][] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

/** Go's strconv.Atoi on a field: malformed numbers read as 0, as libcontainer's parseLine does. */
function toInt(s: string | undefined): number {
  return s !== undefined && /^[+-]?\d+$/.test(s) ? Number(s) : 0;
}

function numeric(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

function checkRange(id: number): number {
  if (id < 0 || id > MAX_ID) throw new BerthError('invalid_argument', `uids and gids must be in range 0-${MAX_ID}`);
  return id;
}

export interface ExecUser { uid: number; gid: number; sgids: number[]; home: string }

/**
 * `user`, `uid`, `user:group`, `uid:gid` (and mixes) against passwd/group contents (null = file
 * missing, then only numbers resolve). An empty spec is root.
 */
export function resolveExecUser(spec: string, passwd: string | null, group: string | null): ExecUser {
  const [userArg = '', groupArg = ''] = spec.split(':');
  const uidArg = numeric(userArg);
  const gidArg = numeric(groupArg);
  const users = passwd === null ? [] : parsePasswd(passwd).filter((u) =>
    userArg === '' ? u.uid === 0 : uidArg !== undefined ? u.uid === uidArg : u.name === userArg);
  const out: ExecUser = { uid: 0, gid: 0, sgids: [], home: '/' };
  let matched = '';
  if (users.length > 0) {
    const u = users[0]!;
    matched = u.name;
    out.uid = u.uid;
    out.gid = u.gid;
    out.home = u.home;
  } else if (userArg !== '') {
    if (uidArg === undefined) throw new BerthError('invalid_argument', `unable to find user ${userArg}: no matching entries in passwd file`);
    out.uid = checkRange(uidArg);
  }
  if (groupArg !== '' || matched !== '') {
    const groups = group === null ? [] : parseGroup(group).filter((g) =>
      groupArg === '' ? g.members.includes(matched) : gidArg !== undefined ? g.gid === gidArg : g.name === groupArg);
    if (groupArg !== '') {
      if (groups.length > 0) out.gid = groups[0]!.gid;
      else if (gidArg === undefined) throw new BerthError('invalid_argument', `unable to find group ${groupArg}: no matching entries in group file`);
      else out.gid = checkRange(gidArg);
    } else {
      out.sgids = groups.map((g) => g.gid);
    }
  }
  return out;
}

/** `--group-add` names or numbers to gids (first match by name or number; unknown numbers kept). */
export function resolveAdditionalGroups(names: readonly string[], group: string | null): number[] {
  const groups = group === null ? [] : parseGroup(group);
  const out: number[] = [];
  for (const name of names) {
    const g = groups.find((e) => e.name === name || String(e.gid) === name);
    if (g) { if (!out.includes(g.gid)) out.push(g.gid); continue; }
    const n = numeric(name);
    if (n === undefined) throw new BerthError('invalid_argument', `Unable to find group ${name}: no matching entries in group file`);
    if (!out.includes(checkRange(n))) out.push(n);
  }
  return out;
}

/**
 * The spec's process user, as dockerd builds it: uid, gid, and additionalGids = [gid, the user's
 * groups from /etc/group, the --group-add groups].
 */
export async function resolveUser(spec: string, groupAdd: readonly string[] | null | undefined, rootfs: RootfsReader): Promise<User> {
  const passwd = await rootfs.readFile('/etc/passwd');
  const group = await rootfs.readFile('/etc/group');
  const u = resolveExecUser(spec, passwd, group);
  const extra = groupAdd?.length ? resolveAdditionalGroups(groupAdd, group) : [];
  return { uid: u.uid, gid: u.gid, additionalGids: [u.gid, ...u.sgids, ...extra] };
}
