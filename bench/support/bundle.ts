/**
 * Bundles a TypeScript entry (a connector child) into one .mjs with esbuild,
 * the way `pnpm build` ships the connector: the workspace sources (through
 * the `source` condition) and their dependencies in one file, better-sqlite3
 * (a native addon) loaded from where pnpm installed it.
 *
 * Why: a child started through tsx takes ~3.5 s to listen on this 2-core
 * machine under load, the bundle ~0.5 s. The soak restarts the connector
 * hundreds of times, and the bench should run the connector as production
 * does (plain node, no loader hooks). The code is the same sources.
 */
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** Resolves a dependency of the connector package (pnpm does not hoist it to the root). */
export const connectorRequire = createRequire(join(repoRoot, 'packages/connector/package.json'))

export async function bundleEntry(entry: string, outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true })
  const outfile = join(outDir, `${basename(entry).replace(/\.ts$/, '')}.mjs`)
  const sqlite = connectorRequire.resolve('better-sqlite3')
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['source'],
    logLevel: 'error',
    sourcemap: false,
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: { js: "import { createRequire as __bkCreateRequire } from 'node:module'; const require = __bkCreateRequire(import.meta.url);" },
    plugins: [
      {
        name: 'native-addons',
        setup(b) {
          b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlite, external: true }))
        },
      },
    ],
  })
  return outfile
}
