// The Node side of core/auth/docker-config.ts: Docker's config.json on disk, where the docker CLI
// keeps it ($DOCKER_CONFIG/config.json, else ~/.docker/config.json), written atomically with
// mode 0600 because it holds passwords.
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';
import type { TextFile } from '../../core/auth/docker-config.ts';

export function defaultDockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

export function dockerConfigFile(path: string = defaultDockerConfigPath()): TextFile & { path: string } {
  return {
    path,
    async read() {
      try {
        return await readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    async write(text: string) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(path, text, { mode: 0o600 });
    },
  };
}
