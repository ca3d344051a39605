// Bundles @latchkey/browser into one minified ESM file: dist/latchkey.js.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The esbuild options of the published bundle (also used by the size test and the server's pages). */
export const bundleOptions = {
  entryPoints: [here + 'src/index.ts'],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  minify: true,
  legalComments: 'none',
  sourcemap: false,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build({ ...bundleOptions, outfile: here + 'dist/latchkey.js', logLevel: 'warning' });
}
