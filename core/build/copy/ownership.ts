// COPY/ADD --chown and --chmod. --chown follows dockerd's parseChownFlag: `user` alone also names the group,
// names are looked up in the image's /etc/passwd and /etc/group, numbers are taken as they are.
// --chmod is BuildKit's octal form.
import { BerthError } from '../../errors.ts';
import { parseGroup, parsePasswd } from '../../runtime-spec/user.ts';

export interface Identity { uid: number; gid: number }

/** Reads the image's /etc/passwd or /etc/group; null when the image has none. */
export type EtcFileReader = (name: 'passwd' | 'group') => Promise<string | null>;

const MAX_ID = 2 ** 31 - 1;

export async function parseChown(chown: string, readEtc?: EtcFileReader): Promise<Identity | undefined> {
  if (chown === '') return undefined;
  const parts = chown.split(':');
  if (parts.length > 2) throw new BerthError('invalid_argument', `invalid chown string format: ${chown}`);
  const [user, group = user] = parts as [string, string?];
  const uid = await lookupId(user, 'passwd', readEtc).catch((e: unknown) => {
    throw new BerthError('invalid_argument', `can't find uid for user ${user}: ${(e as Error).message}`);
  });
  const gid = await lookupId(group, 'group', readEtc).catch((e: unknown) => {
    throw new BerthError('invalid_argument', `can't find gid for group ${group}: ${(e as Error).message}`);
  });
  return { uid, gid };
}

async function lookupId(name: string, file: 'passwd' | 'group', readEtc?: EtcFileReader): Promise<number> {
  if (/^\d+$/.test(name)) {
    const id = Number(name);
    if (id > MAX_ID) throw new Error(`${name} is out of range`);
    return id;
  }
  const text = (await readEtc?.(file)) ?? null;
  if (text === null) throw new Error(`open /etc/${file}: no such file or directory`);
  const found = file === 'passwd'
    ? parsePasswd(text).find((e) => e.name === name)?.uid
    : parseGroup(text).find((e) => e.name === name)?.gid;
  if (found === undefined) throw new Error(`no such ${file === 'passwd' ? 'user' : 'group'}: ${name}`);
  return found;
}

/** BuildKit's --chmod: an octal number up to 07777. */
export function parseChmod(chmod: string): number | undefined {
  if (chmod === '') return undefined;
  if (!/^[0-7]+$/.test(chmod) || parseInt(chmod, 8) > 0o7777) {
    throw new BerthError('invalid_argument', `invalid chmod parameter: '${chmod}'. it should be octal string and between 0 and 07777`);
  }
  return parseInt(chmod, 8);
}
