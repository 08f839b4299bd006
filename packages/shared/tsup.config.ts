import { defineConfig } from 'tsup'

/**
 * Two entries, each as ESM (`.js`) and CJS (`.cjs`) with their own declarations
 * (`.d.ts` / `.d.cts`), exactly where package.json `exports` points:
 *   `.`         → dist/index.{js,cjs,d.ts,d.cts}
 *   `./signing` → dist/signing/index.{js,cjs,d.ts,d.cts}
 * Dependencies stay external: consumers install node-rsa and zod themselves.
 */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'signing/index': 'src/signing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  target: 'node20',
  platform: 'node',
  external: ['node-rsa', 'zod'],
  sourcemap: true,
  clean: true,
  treeshake: true,
})
