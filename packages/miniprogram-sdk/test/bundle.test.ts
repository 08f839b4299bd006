/**
 * What a mini program actually ships: the core plus one transport, bundled by esbuild the way
 * a user's bundler would. WeChat refuses `eval` and `new Function`, and there is no Node there.
 */
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const SRC = new URL('../src/', import.meta.url).pathname
const TRANSPORTS = ['alipay', 'wechat', 'fetch'] as const
const BUDGET_GZIP_BYTES = 8 * 1024

async function bundle(transport: (typeof TRANSPORTS)[number], minify: boolean): Promise<string> {
  const result = await build({
    stdin: {
      contents: `export * from './index.ts'\nexport * from './transports/${transport}.ts'\n`,
      resolveDir: SRC,
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2018',
    minify,
    // Let a Node import through so the scan below names it, instead of a resolve error.
    external: ['node:*', 'crypto', 'buffer', 'http', 'https', 'zod'],
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

const FORBIDDEN: [RegExp, string][] = [
  [/new Function\s*\(/, 'new Function'],
  [/\beval\s*\(/, 'eval('],
  [/require\(\s*["'](node:|crypto|buffer|http)/, 'require of a Node module'],
  [/from\s*["']node:/, 'node: import'],
  [/import\(\s*["']node:/, 'dynamic node: import'],
  [/["']zod["']/, 'zod'],
  [/randomUUID/, 'crypto.randomUUID'],
  [/\bBuffer\b/, 'Buffer'],
  [/\bprocess\./, 'process'],
]

for (const transport of TRANSPORTS) {
  test(`core + ${transport}: no eval, new Function, Node imports, zod or randomUUID`, async () => {
    for (const minify of [false, true]) {
      const code = await bundle(transport, minify)
      assert.ok(code.length > 1000, 'bundle unexpectedly empty')
      for (const [pattern, what] of FORBIDDEN) assert.not.match(code, pattern, `${what} in the ${transport} bundle`)
    }
  })
}

test('the scan does catch a Node import (guard against a scan that checks nothing)', async () => {
  const result = await build({
    stdin: { contents: `import { createHash } from 'node:crypto'\nexport const h = createHash`, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    external: ['node:*'],
  })
  assert.match(result.outputFiles[0]!.text, FORBIDDEN[3]![0])
})

test(`core + one transport fits in ${BUDGET_GZIP_BYTES} bytes minified and gzipped`, async () => {
  for (const transport of TRANSPORTS) {
    const size = gzipSync(await bundle(transport, true), { level: 9 }).length
    assert.ok(size <= BUDGET_GZIP_BYTES, `core + ${transport}: ${size} bytes gzipped`)
  }
})

test.run()
