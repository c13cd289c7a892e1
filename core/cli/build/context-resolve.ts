// Where a local build context and its Dockerfile are, as the docker CLI works them out
// (build.GetContextFromLocalDir): the context directory with its symlinks resolved, and the Dockerfile
// relative to it, `-f` being relative to the working directory and not to the context.
import { BerthError } from '../../errors.ts';
import { cleanPath } from '../../build/context/pattern-matcher.ts';
import { joinLocal, type LocalTree } from './local-tree.ts';

export const DEFAULT_DOCKERFILE = 'Dockerfile';

export interface LocalContext {
  /** The context directory: absolute, symlinks resolved. */
  dir: string;
  /** The Dockerfile relative to `dir` (`../x` when outside it), or `-` for stdin. */
  relDockerfile: string;
  /** The Dockerfile's absolute path, when it is a file. */
  dockerfilePath?: string;
}

function prepareError(message: string): BerthError {
  return new BerthError('invalid_argument', `unable to prepare context: ${message}`);
}

/** Go's filepath.Rel for two cleaned absolute paths. */
export function relativePath(base: string, target: string): string {
  const b = base === '/' ? [] : base.slice(1).split('/');
  const t = target === '/' ? [] : target.slice(1).split('/');
  let i = 0;
  while (i < b.length && i < t.length && b[i] === t[i]) i++;
  const up = b.slice(i).map(() => '..');
  const rel = [...up, ...t.slice(i)].join('/');
  return rel === '' ? '.' : rel;
}

/** build.ResolveAndValidateContextPath. */
async function resolveContextDir(tree: LocalTree, given: string): Promise<string> {
  let dir = tree.absolute(given);
  try {
    dir = await tree.realpath(dir);
  } catch (e) {
    throw prepareError(`unable to evaluate symlinks in context path: ${(e as Error).message}`);
  }
  const st = await tree.lstat(dir);
  if (!st) throw prepareError(`unable to stat context directory ${JSON.stringify(dir)}: lstat ${dir}: no such file or directory`);
  if (st.kind !== 'directory') throw prepareError(`context must be a directory: ${dir}`);
  return dir;
}

/** build.getDockerfileRelPath: the default `Dockerfile` (or `dockerfile` when only that exists), symlinks resolved. */
async function dockerfileRelPath(tree: LocalTree, dir: string, given: string): Promise<{ rel: string; path?: string }> {
  if (given === '-') return { rel: '-' };
  let path = given;
  if (path === '') {
    path = joinLocal(dir, DEFAULT_DOCKERFILE);
    if (!(await tree.lstat(path))) {
      const lower = joinLocal(dir, DEFAULT_DOCKERFILE.toLowerCase());
      if (await tree.lstat(lower)) path = lower;
    }
  }
  if (!path.startsWith('/')) path = cleanPath(joinLocal(dir, path));
  try {
    path = await tree.realpath(path);
  } catch (e) {
    throw prepareError(`unable to evaluate symlinks in Dockerfile path: ${(e as Error).message}`);
  }
  if (!(await tree.lstat(path))) throw prepareError(`Cannot locate Dockerfile: ${JSON.stringify(path)}`);
  return { rel: relativePath(dir, path), path };
}

/**
 * The context directory `given` and the Dockerfile `dockerfileFlag` (`-f`, '' for the default, `-` for
 * stdin). Errors carry docker's `unable to prepare context: ...` texts.
 */
export async function resolveLocalContext(tree: LocalTree, given: string, dockerfileFlag: string): Promise<LocalContext> {
  const dir = await resolveContextDir(tree, given);
  const flag = dockerfileFlag !== '' && dockerfileFlag !== '-' ? tree.absolute(dockerfileFlag) : dockerfileFlag;
  const { rel, path } = await dockerfileRelPath(tree, dir, flag);
  return path === undefined ? { dir, relDockerfile: rel } : { dir, relDockerfile: rel, dockerfilePath: path };
}

/** Whether the Dockerfile lies outside the context, so it travels in the tar under another name. */
export function dockerfileOutsideContext(ctx: LocalContext): boolean {
  return ctx.relDockerfile.startsWith('../');
}
