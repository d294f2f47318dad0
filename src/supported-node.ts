// Imported first by every entry point (the server and the CLIs), for its side effect: on a Node.js
// older than the supported floor it stops the process with a message naming the version to use,
// before any module that loads native code is evaluated (better-sqlite3 13 crashes on Node 20).
// It must stay free of imports and of syntax that an old Node cannot parse.

/** The oldest Node.js this service runs on: the first 22 LTS release its toolchain supports. */
export const MINIMUM_NODE = '22.12.0';

function parts(version: string): number[] {
  return version.replace(/^v/, '').split('.').map((part) => Number.parseInt(part, 10) || 0);
}

/** The refusal for this runtime version, or undefined when it is supported. */
export function unsupportedNodeMessage(version: string): string | undefined {
  const have = parts(version);
  const need = parts(MINIMUM_NODE);
  for (let i = 0; i < need.length; i += 1) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a > b) return undefined;
    if (a < b) {
      return (
        `customer-auth needs Node.js ${MINIMUM_NODE} or later (Node 22 or 24 LTS); this is Node.js ${version}. ` +
        'Install Node 24 (see .nvmrc) or 22 and start it again.'
      );
    }
  }
  return undefined;
}

const refusal = unsupportedNodeMessage(process.versions.node);
if (refusal !== undefined) {
  console.error(refusal);
  process.exit(1);
}
