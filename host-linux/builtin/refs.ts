// The names of the images berth builds at set-up, as the layout's index.json and the daemon's store know them.
export const BUILTIN_REFS = {
  busybox: 'docker.io/library/busybox:latest',
  helloWorld: 'docker.io/library/hello-world:latest',
  helloWasm: 'docker.io/library/hello-wasm:latest',
} as const;

/** Where set-up puts the layout, relative to the repository root. */
export const BUILTIN_IMAGES_DIR = 'build/images';
