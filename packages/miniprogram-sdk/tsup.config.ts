import { defineConfig } from 'tsup'

/** ES2018: the oldest syntax still common among WeChat/Alipay base libraries and their JS engines. */
const target = 'es2018'

const entry = {
  index: 'src/index.ts',
  'transports/fetch': 'src/transports/fetch.ts',
  'transports/alipay': 'src/transports/alipay.ts',
  'transports/wechat': 'src/transports/wechat.ts',
}

export default defineConfig([
  // The published package: ESM (.js) and CJS (.cjs) with types, as package.json `exports` expects.
  {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    target,
    platform: 'neutral',
    outDir: 'dist',
    // Both configs build at once: leave the other one's folder alone.
    clean: ['!miniprogram/**'],
    sourcemap: true,
    treeshake: true,
  },
  // WeChat devtools' "构建 npm" copies the folder named by package.json `miniprogram` and wants
  // plain CommonJS `.js` files there: one self-contained file per entry, no chunks.
  {
    entry: { index: entry.index, fetch: entry['transports/fetch'], alipay: entry['transports/alipay'], wechat: entry['transports/wechat'] },
    format: ['cjs'],
    outExtension: () => ({ js: '.js' }),
    target,
    platform: 'neutral',
    outDir: 'dist/miniprogram',
    splitting: false,
    dts: false,
    clean: true,
  },
])
