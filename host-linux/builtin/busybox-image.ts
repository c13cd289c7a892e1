// busybox built from Debian's busybox-static, laid out like the official image: the binary at /bin/busybox and
// every applet a hard link to it in its usual directory, the buildroot users and groups, and the few directories
// programs expect.
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipLayer } from './layer.ts';
import type { PlatformImageSpec } from './platform-image.ts';
import type { DebianPackage } from './debian-package.ts';
import { rootfsEntries } from './rootfs-entries.ts';

const run = promisify(execFile);

export const BUSYBOX_ENV_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// The official image's (buildroot's skeleton) accounts.
const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;
const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`;

/**
 * The applets' install paths ("bin/ls", "usr/sbin/arping"), as the busybox binary lists them. Only a binary
 * this host can run can be asked, so the amd64 list serves the 386 image too (same version, same config).
 */
export async function busyboxApplets(busybox: string): Promise<string[]> {
  const { stdout } = await run(busybox, ['--list-full']);
  return stdout.split('\n').map((l) => l.trim())
    // linuxrc is busybox's initrd init at the root of the tree; the official image leaves it out.
    .filter((l) => l.includes('/') && l !== 'bin/busybox')
    .sort();
}

export async function busyboxImage(pkg: DebianPackage, applets: string[], platform: { os: string; architecture: string }, sourceDate?: Date): Promise<PlatformImageSpec> {
  const binaryPath = join(pkg.root, 'bin', 'busybox');
  const binary = new Uint8Array(await readFile(binaryPath));
  // The package's build date (dpkg-deb keeps the mtimes) unless the caller pins one.
  const created = sourceDate ?? new Date(Math.floor((await stat(binaryPath)).mtimeMs / 1000) * 1000);
  const fs = rootfsEntries(created);
  for (const d of ['bin', 'dev', 'etc', 'home', 'sbin', 'usr/bin', 'usr/sbin', 'var/spool/mail', 'var/www']) fs.dir(d);
  fs.dir('root', 0o700);
  fs.dir('tmp', 0o1777);
  fs.file('etc/passwd', PASSWD);
  fs.file('etc/group', GROUP);
  fs.file('bin/busybox', binary, 0o755);
  for (const applet of applets) fs.link(applet, 'bin/busybox');
  const layer = await gzipLayer(fs.entries());
  return {
    platform,
    created,
    layers: [{ blob: layer, createdBy: `berth builtin: busybox from Debian ${pkg.name} ${pkg.version} (${pkg.architecture})` }],
    config: { Env: [BUSYBOX_ENV_PATH], Cmd: ['sh'] },
    configSteps: ['CMD ["sh"]'],
  };
}
