// Builds the sign-in page (web/) into dist/web: one bundled, minified script (libphonenumber-js
// included, so the page makes no external request), its stylesheet, and the HTML shell and its icon.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/web`;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${root}web/main.ts`, `${root}web/style.css`],
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  sourcemap: true,
  logLevel: 'warning',
});
for (const file of ["index.html", "favicon.svg"]) copyFileSync(`${root}web/${file}`, `${out}/${file}`);
