// `berth login` / `berth logout`: POST /auth through the daemon, then credentials stored in (or
// removed from) the client's config.json, with docker's prompts, warnings and messages.
import type { Credentials } from '../../auth/credentials.ts';
import { StatusError, type Command, type CommandContext } from '../command.ts';
import { credentialsKey, INDEX_SERVER } from '../config-file.ts';

interface AuthResponse { Status?: string; IdentityToken?: string }

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let s = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    s += dec.decode(value, { stream: true });
  }
  return s + dec.decode();
}

async function authenticate(ctx: CommandContext, server: string, c: Credentials): Promise<AuthResponse> {
  const api = await ctx.api();
  return api.json<AuthResponse>('POST', '/auth', {
    json: { username: c.username ?? '', password: c.password ?? '', serveraddress: server, ...(c.identitytoken ? { identitytoken: c.identitytoken } : {}) },
  });
}

async function store(ctx: CommandContext, server: string, c: Credentials, res: AuthResponse): Promise<void> {
  const cfg = await ctx.config();
  const stored: Credentials = { username: c.username };
  if (res.IdentityToken) stored.identitytoken = res.IdentityToken;
  else stored.password = c.password;
  await cfg.storeCredentials(server, stored);
  if (!cfg.data.credsStore) {
    await ctx.err(`\nWARNING! Your credentials are stored unencrypted in '${cfg.path}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
  }
  await ctx.out(`${res.Status || 'Login Succeeded'}\n`);
}

async function runLogin(ctx: CommandContext): Promise<void> {
  let username = ctx.flags.username as string;
  let password = ctx.flags.password as string;
  const passwordStdin = ctx.flags['password-stdin'] as boolean;
  if (passwordStdin) {
    if (password) throw new StatusError('conflicting options: cannot specify both --password and --password-stdin', 1);
    if (!username) throw new StatusError('the --password-stdin option requires --username to be set', 1);
  }
  if (password) await ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  if (passwordStdin) {
    password = (await readAll(ctx.host.stdin.stream())).replace(/\n$/, '').replace(/\r$/, '');
  }
  const server = ctx.args[0] ? credentialsKey(ctx.args[0]) : INDEX_SERVER;
  username = username.trim();

  if (!username && !password) {
    const existing = await (await ctx.config()).credentials(server);
    if (existing && (existing.password || existing.identitytoken) && existing.username) {
      await ctx.out(`Authenticating with existing credentials... [Username: ${existing.username}]\n`);
      try {
        const res = await authenticate(ctx, server, existing);
        await ctx.err("\n Info -> To login with a different account, run 'berth logout' followed by 'berth login'\n\n");
        await store(ctx, server, existing, res);
        return;
      } catch {
        await ctx.err('Login did not succeed, error: existing credentials were refused\n');
      }
    }
  }
  if (!username || !password) {
    if (!ctx.host.stdin.isTTY) throw new StatusError('Error: Cannot perform an interactive login from a non TTY device', 1);
    if (!username) {
      await ctx.out('Username: ');
      username = ((await ctx.host.stdin.readLine()) ?? '').trim();
      if (!username) throw new StatusError('Error: Non-null Username Required', 1);
    }
    if (!password) {
      await ctx.out('Password: ');
      password = (await (ctx.host.stdin.readSecret ?? ctx.host.stdin.readLine).call(ctx.host.stdin)) ?? '';
      await ctx.out('\n');
      if (!password) throw new StatusError('Error: Password Required', 1);
    }
  }
  const creds: Credentials = { username, password };
  const res = await authenticate(ctx, server, creds);
  await store(ctx, server, creds, res);
}

async function runLogout(ctx: CommandContext): Promise<void> {
  const server = ctx.args[0] ? credentialsKey(ctx.args[0]) : INDEX_SERVER;
  const cfg = await ctx.config();
  await ctx.out(`Removing login credentials for ${server === INDEX_SERVER ? 'https://index.docker.io/v1/' : server}\n`);
  await cfg.removeCredentials(server);
}

export const loginCmd = (): Command => ({
  name: 'login',
  use: '[OPTIONS] [SERVER]',
  short: 'Authenticate to a registry',
  long: 'Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.',
  args: { max: 1 },
  category: 'common',
  flags: [
    { name: 'password', short: 'p', kind: 'string', usage: 'Password or Personal Access Token (PAT)' },
    { name: 'password-stdin', kind: 'bool', usage: 'Take the Password or Personal Access Token (PAT) from stdin' },
    { name: 'username', short: 'u', kind: 'string', usage: 'Username' },
  ],
  run: async (ctx) => { await runLogin(ctx); },
});

export const logoutCmd = (): Command => ({
  name: 'logout',
  use: '[SERVER]',
  short: 'Log out from a registry',
  long: 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.',
  args: { max: 1 },
  category: 'common',
  run: async (ctx) => { await runLogout(ctx); },
});
