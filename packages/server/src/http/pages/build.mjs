// Builds what the pages serve under /assets/ into packages/server/dist/assets/:
// latchkey.js (the @latchkey/browser bundle), one module per page that imports it,
// pages.css and icon.svg. Run by the root `build` (and so by `npm install` and `npm start`).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleOptions } from '../../../../browser/build.mjs';

const client = fileURLToPath(new URL('./client/', import.meta.url));
export const assetsDir = fileURLToPath(new URL('../../../dist/assets/', import.meta.url));

/** The pages import the library from /assets/latchkey.js, so browsers fetch it once for every page. */
const libraryFromAssets = {
  name: 'latchkey-browser-from-assets',
  setup(b) {
    b.onResolve({ filter: /^@latchkey\/browser$/ }, () => ({ path: '/assets/latchkey.js', external: true }));
  },
};

/** Writes each file whole (temp file + rename), so a server reading the folder never sees half a file. */
function publish(name, contents) {
  const target = join(assetsDir, name);
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, contents);
  renameSync(temp, target);
}

export async function buildAssets() {
  mkdirSync(assetsDir, { recursive: true });
  const library = await build({ ...bundleOptions, write: false, outfile: 'latchkey.js' });
  const pages = await build({
    entryPoints: ['login', 'account', 'admin', 'forgot-password', 'reset-password'].map((p) => join(client, `${p}.ts`)),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: bundleOptions.target,
    minify: true,
    legalComments: 'none',
    plugins: [libraryFromAssets],
    outdir: assetsDir,
    write: false,
  });
  const css = await build({ entryPoints: [join(client, 'pages.css')], bundle: true, minify: true, outdir: assetsDir, write: false });
  for (const file of [...library.outputFiles, ...pages.outputFiles, ...css.outputFiles]) publish(basename(file.path), file.contents);
  publish('icon.svg', readFileSync(join(client, 'icon.svg')));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildAssets();
