import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleOptions } from '../build.mjs';

describe('@latchkey/browser bundle', () => {
  it('is one ESM file of at most 8 KB minified and gzipped, with no imports left', async () => {
    const result = await build({ ...bundleOptions, write: false, outfile: 'latchkey.js', metafile: true });
    expect(result.outputFiles).toHaveLength(1);
    const code = result.outputFiles[0]!.contents;
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(`@latchkey/browser: ${code.length} bytes minified, ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThanOrEqual(8 * 1024);
    // No runtime dependency: every input is this package's own source.
    const inputs = Object.keys(result.metafile!.inputs);
    expect(inputs.every((path) => path.startsWith('packages/browser/src/') || path.startsWith('src/'))).toBe(true);
    const text = Buffer.from(code).toString('utf8');
    expect(text).not.toMatch(/^import\b|\bimport\s*\(|\brequire\(/m);
    expect(text).toMatch(/export\s*\{/);
  });
});
