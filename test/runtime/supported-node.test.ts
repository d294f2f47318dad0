import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MINIMUM_NODE, unsupportedNodeMessage } from '../../src/supported-node.js';

const dist = (path: string) => fileURLToPath(new URL(`../../dist/src/${path}`, import.meta.url));

describe('the supported Node.js floor', () => {
  it.each([
    ['Node 20 (end of life)', '20.20.2', false],
    ['Node 22 before the toolchain floor', '22.11.0', false],
    ['the floor itself', MINIMUM_NODE, true],
    ['Node 22 maintenance LTS', '22.23.3', true],
    ['Node 24 active LTS', '24.21.0', true],
    ['a later major', '26.0.0', true],
  ])('%s (%s) is supported: %s', (_label, version, supported) => {
    const message = unsupportedNodeMessage(version);
    if (supported) expect(message).toBeUndefined();
    else expect(message).toContain(`needs Node.js ${MINIMUM_NODE} or later`);
  });
});

// The machine's own Node (20 on the development machines) is an old runtime to start the built
// entry points with; on a machine whose system Node is already supported there is none to try.
const systemNode = '/usr/bin/node';
const systemVersion = (() => {
  try {
    return execFileSync(systemNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
})();
const oldNode = systemVersion !== undefined && unsupportedNodeMessage(systemVersion) !== undefined;
if (!oldNode) console.warn(`SKIPPING the old-Node start-up refusal: ${systemNode} is ${systemVersion ?? 'missing'}, not older than ${MINIMUM_NODE}`);

describe.skipIf(!oldNode)(`started on an old Node.js (${systemNode} ${systemVersion})`, () => {
  it.each(['server.js', 'migrate.js'])('%s exits 1 at once, naming the required version', (entry) => {
    const result = spawnSync(systemNode, [dist(entry)], { encoding: 'utf8', timeout: 10_000, env: { PATH: process.env.PATH ?? '' } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`needs Node.js ${MINIMUM_NODE} or later`);
    expect(result.stderr).toContain(`this is Node.js ${systemVersion}`);
  });
});
