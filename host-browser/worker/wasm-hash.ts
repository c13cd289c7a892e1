// core's HashFactory over hash-wasm, for hosts without a synchronous native SHA-256 (a browser
// worker: WebCrypto's digest is one-shot and async). hash-wasm instances are created
// asynchronously, so one instance per algorithm is made up front and shared: each Hasher keeps its
// own state and swaps it in (hash-wasm's save/load) only when another hasher used the instance in
// between, which is rare (most hashing is one layer stream at a time).
import { createSHA256, createSHA512, type IHasher } from 'hash-wasm';
import type { HashFactory, Hasher } from '../../core/host.ts';

interface Shared { wasm: IHasher; owner: object | null; states: WeakMap<object, Uint8Array> }

export async function wasmHashFactory(): Promise<HashFactory> {
  const [sha256, sha512] = await Promise.all([createSHA256(), createSHA512()]);
  const shared: Record<'sha256' | 'sha512', Shared> = {
    sha256: { wasm: sha256, owner: null, states: new WeakMap() },
    sha512: { wasm: sha512, owner: null, states: new WeakMap() },
  };
  return (algorithm) => {
    const s = shared[algorithm];
    const self = {};
    const own = () => {
      if (s.owner === self) return;
      if (s.owner) s.states.set(s.owner, s.wasm.save());
      const mine = s.states.get(self);
      if (mine) s.wasm.load(mine); else s.wasm.init();
      s.owner = self;
    };
    const hasher: Hasher = {
      update(data) { own(); s.wasm.update(data); },
      digest() {
        own();
        const hex = s.wasm.digest('hex');
        s.owner = null;
        s.states.delete(self);
        return hex;
      },
    };
    return hasher;
  };
}
