/**
 * Fixture generator CLI (after `npm run build`):
 *   node dist/test/generator/cli.js --out DIR --events N --seed S [--truth FILE] [--start ISO] [--hours H]
 *                                   [--no-org-trail] [--no-lookup-events] [--k8s] [--k8s-actors]
 */

import { generateBundle, type GenerateOptions } from './index';

const USAGE = 'usage: cli.js --out DIR --events N --seed S [--truth FILE] [--start ISO] [--hours H] [--no-org-trail] [--no-lookup-events] [--k8s] [--k8s-actors]';

export function parseArgs(argv: string[]): GenerateOptions {
  const o: Partial<GenerateOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    switch (a) {
      case '--out': o.outDir = value(); break;
      case '--events': o.events = Number(value()); break;
      case '--seed': o.seed = value(); break;
      case '--truth': o.truthPath = value(); break;
      case '--start': o.startTime = value(); break;
      case '--hours': o.hours = Number(value()); break;
      case '--no-org-trail': o.orgTrail = false; break;
      case '--no-lookup-events': o.lookupEvents = false; break;
      case '--k8s': o.k8s = true; break;
      case '--k8s-actors': o.k8s = true; o.k8sActors = true; break;
      case '-h':
      case '--help':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
  }
  if (!o.outDir || !(Number(o.events) > 0) || o.seed === undefined) throw new Error(USAGE);
  return o as GenerateOptions;
}

function main(): void {
  let opts: GenerateOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const started = process.hrtime.bigint();
  const r = generateBundle(opts);
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `${r.records} records in ${r.logFiles} log files (+${r.orgTrailFiles} org-trail copies) -> ${r.outDir}\n` +
      `truth: ${r.truthPath}\n` +
      (r.k8s ? `k8s: ${r.k8s.auditEvents} audit events (${r.k8s.cluster}) in ${r.k8s.files.length} files; attacks: ${r.k8s.attacksPath}\n` : '') +
      `${secs.toFixed(1)} s (${Math.round(r.records / secs)} records/s)\n`,
  );
}

if (require.main === module) main();
