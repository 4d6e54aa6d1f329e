#!/usr/bin/env node
// Copies Debian's SeaBIOS firmware into firmware/seabios/ for the .vsix (and for the CLI and tests, which
// prefer this copy: emulator/firmware/seabios.ts): bios-256k.bin and vgabios-stdvga.bin, the LGPL-3.0 text,
// Debian's copyright file and SOURCE.md naming the Debian package and version the binaries come from.
// `node scripts/copy-seabios.js --strict` (npm run package) fails with one sentence when SeaBIOS is missing;
// scripts/bundle.js calls copySeabios() and only warns.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const SRC = process.env.FAULTLINE_SEABIOS_SRC || '/usr/share/seabios';
const FILES = ['bios-256k.bin', 'vgabios-stdvga.bin'];

/** Returns undefined when copied, or the sentence saying what is missing. */
function copySeabios() {
  const missing = FILES.filter((f) => !fs.existsSync(path.join(SRC, f)));
  if (missing.length) return `SeaBIOS firmware (${missing.join(', ')}) is not in ${SRC}; install Debian's seabios package (apt-get install seabios)`;
  const out = path.join(root, 'firmware', 'seabios');
  fs.mkdirSync(out, { recursive: true });
  for (const f of FILES) fs.copyFileSync(path.join(SRC, f), path.join(out, f));
  const lgpl = '/usr/share/common-licenses/LGPL-3';
  if (fs.existsSync(lgpl)) fs.copyFileSync(lgpl, path.join(out, 'COPYING.LGPL-3'));
  const copyright = '/usr/share/doc/seabios/copyright';
  if (fs.existsSync(copyright)) fs.copyFileSync(copyright, path.join(out, 'copyright'));
  const q = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'seabios'], { encoding: 'utf8' });
  const version = q.status === 0 ? q.stdout.trim() : 'unknown (not installed through dpkg)';
  fs.writeFileSync(path.join(out, 'SOURCE.md'), [
    '# SeaBIOS in this extension',
    '',
    `bios-256k.bin and vgabios-stdvga.bin are unmodified binaries from Debian's \`seabios\` package, version ${version}`,
    `(copied from ${SRC}). SeaBIOS is free software under the GNU Lesser General Public License version 3`,
    '(COPYING.LGPL-3 here; Debian\'s copyright file lists every part and its licence).',
    '',
    'Source: the Debian source package `seabios` of the same version (`apt-get source seabios`, or',
    `https://sources.debian.org/src/seabios/${version}/), built from upstream https://www.seabios.org`,
    '(git: https://review.coreboot.org/seabios.git).',
    '',
  ].join('\n'));
  return undefined;
}

module.exports = { copySeabios };

if (require.main === module) {
  const err = copySeabios();
  if (err) {
    process.stderr.write(`${process.argv.includes('--strict') ? 'error' : 'warning'}: ${err}\n`);
    if (process.argv.includes('--strict')) process.exit(1);
  }
}
