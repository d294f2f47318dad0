// Where a CPU profile's time went: self time by package and by function.
//   BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench
//   node dist/bench/profile-summary.js /tmp/prof/CPU.*.cpuprofile [top=30]
// (--cpu-prof writes one profile per service process when it exits: the SQLite one comes first.)
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : `(${functionName || 'native'})`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return url.split('/')[0]!;
  return url.replace(/^file:\/\/.*?\/dist\//, 'dist/');
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  return url.replace(/^file:\/\/.*?\/dist\//, 'dist/');
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  const top = Number(topArg ?? '30');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    // A sample's time is the gap to the next sample.
    const micros = profile.timeDeltas[index + 1] ?? 0;
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined) return;
    total += micros;
    const pkg = packageOf(frame.url, frame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
    const fn = `${frame.functionName || '(anonymous)'}  ${shortUrl(frame.url)}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
  });
  const print = (title: string, table: Map<string, number>): void => {
    console.log(title);
    for (const [name, micros] of [...table].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((micros / total) * 100).toFixed(1).padStart(6)}%  ${name}`);
    }
  };
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
  print('\nself time by package', byPackage);
  print('\nself time by function', byFunction);
}

main();
