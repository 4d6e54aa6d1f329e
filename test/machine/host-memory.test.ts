import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { HOST_TUNABLES, withHostTunables } from '../../emulator/host-memory';

test('the host tunables go before a user\'s own GLIBC_TUNABLES, so a tunable the user sets wins', () => {
  assert.equal(withHostTunables({}).GLIBC_TUNABLES, HOST_TUNABLES);
  const mine = 'glibc.malloc.hugetlb=0';
  const env = withHostTunables({ GLIBC_TUNABLES: mine, PATH: '/bin' });
  assert.equal(env.GLIBC_TUNABLES, `${HOST_TUNABLES}:${mine}`);
  assert.equal(env.PATH, '/bin');
  // Already there (a process started by one that added them): unchanged, not doubled.
  assert.equal(withHostTunables(env), env);
});

test('a process started with the host tunables runs and sees them (glibc accepts every name in the list)', (t) => {
  // glibc ignores an unknown tunable silently, so check the names against its own list where it can print it.
  const r = spawnSync('/lib64/ld-linux-x86-64.so.2', ['--list-tunables'], { encoding: 'utf8' });
  if (r.status !== 0) { t.skip('no glibc 2.33+ dynamic loader to list its tunables'); return; }
  for (const item of HOST_TUNABLES.split(':')) {
    const name = item.split('=')[0];
    assert.match(r.stdout, new RegExp(`^${name.replace(/\./g, '\\.')}:`, 'm'), `${name} is not one of this glibc's tunables`);
  }
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(process.env.GLIBC_TUNABLES)'], { encoding: 'utf8', env: withHostTunables(process.env) });
  assert.equal(child.status, 0);
  assert.ok(child.stdout.startsWith(HOST_TUNABLES));
});
