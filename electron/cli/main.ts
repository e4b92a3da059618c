/**
 * `podtrail` command line: ingest, attribute, trace, report (the contract in README "Command line"), and `serve`
 * (browser mode of the desktop UI).
 * Exit codes: 0 success; 1 bad usage; 2 some evidence could not be read (the rest is loaded); 3 internal error.
 */
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { once } from 'node:events';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { openCase, CaseError } from '../engine/db/open';
import { ingestEvidence, type IngestProgress, type IngestSummary } from '../engine/ingest/ingest';
import { correlate } from '../engine/chain/correlate';
import { CaseQueries } from '../engine/case/queries';
import { csvHeader, csvRow } from '../engine/report/csv';
import { timesketchLine } from '../engine/report/timesketch';
import { ReportError } from '../engine/report/model';
import { checkCustody, readCustody } from '../engine/custody/log';
import { custodyText } from '../engine/custody/text';
import { exportReport } from '../engine/report/export';
import { traceText } from '../engine/report/text';
import { traceIntegrity } from '../engine/report/model';
import { KeyListError, parseKeyListSpec, readKeyLists, runVerification } from '../engine/integrity/store';
import { integrityText } from '../engine/integrity/text';
import { TOOL_VERSION } from '../engine/version';
import { serveCase, ServeUsageError } from '../server/serve';
import { escapeInvisibleInJson } from '../../shared/invisible';

function* mapIter<T, U>(it: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const x of it) yield f(x);
}

export const EXIT = { ok: 0, usage: 1, evidence: 2, internal: 3 } as const;

class UsageError extends Error {}

function existingCase(path: string) {
  if (!existsSync(path)) throw new UsageError(`no case database at ${path} (create one with: podtrail ingest <evidence> --case ${path})`);
  return openCase(path, { mustExist: true });
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

/** Write to --out or stdout, honouring backpressure. */
async function withOutput(out: string | undefined, fn: (write: (s: string) => Promise<void>) => Promise<void>): Promise<void> {
  const stream = out ? createWriteStream(resolve(out)) : process.stdout;
  const write = async (s: string) => {
    if (!stream.write(s)) await once(stream, 'drain');
  };
  await fn(write);
  if (out) {
    (stream as ReturnType<typeof createWriteStream>).end();
    await once(stream, 'finish');
  }
}

/**
 * Progress on stderr, at most once a second — and always the final state, whose counts are the summary's (the same
 * words: files loaded, already in the case, unreadable; CloudTrail records; audit events).
 */
export function progressLine(p: IngestProgress): string {
  const rate = p.elapsedMs > 0 ? Math.round(((p.records + p.audits) / p.elapsedMs) * 1000) : 0;
  const audits = p.audits > 0 ? `, ${p.audits} audit events` : '';
  return `ingest: ${p.filesDone} files loaded, ${p.filesSkipped} already in the case, ${p.filesFailed} unreadable; ${p.records} records${audits} (${rate}/s)\n`;
}

function progressPrinter(quiet: boolean): (p: IngestProgress) => void {
  let last = 0;
  return (p) => {
    if (quiet) return;
    const now = Date.now();
    if (!p.done && now - last < 1000) return;
    last = now;
    process.stderr.write(progressLine(p));
  };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function printSummary(s: IngestSummary, correlation: ReturnType<typeof correlate>): void {
  const lines = [
    `files: ${s.loaded} loaded, ${s.alreadyLoaded} already in the case, ${s.failed} unreadable`,
    `records: ${s.records} read, ${s.newEvents} new events, ${s.duplicates} duplicates, ${s.conflicts} conflicting duplicates, ${s.insights} Insights events, ${s.rejectedRecords} rejected`,
    ...(s.audits > 0 || s.auditDuplicates > 0 ? [`kubernetes: ${s.audits} audit events read, ${s.newAudits} new, ${s.auditDuplicates} duplicates`] : []),
    `attribution: ${correlation.events} events, ${correlation.subjects} credentials; ${Object.entries(correlation.byMechanism)
      .sort((a, b) => b[1] - a[1])
      .map(([m, n]) => `${m} ${n}`)
      .join(', ')}; ${correlation.flags} flagged by the detections`,
  ];
  const noted = s.files.filter((f) => f.notes.length > 0);
  if (noted.length) lines.push('notes:');
  for (const f of noted) for (const n of f.notes) lines.push(`  ${f.path}: ${n}`);
  const failed = s.files.filter((f) => f.status === 'failed');
  const rejected = s.files.filter((f) => f.recordErrors.length > 0);
  if (failed.length || rejected.length) lines.push('errors:');
  for (const f of failed) lines.push(`  ${f.path}: ${f.error}`);
  for (const f of rejected) {
    for (const r of f.recordErrors.slice(0, 20)) lines.push(`  ${f.path} record ${r.recordIndex}: ${r.message}`);
    if (f.recordErrors.length > 20) lines.push(`  ${f.path}: … ${plural(f.recordErrors.length - 20, 'more rejected record')}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('podtrail')
    .description('Attribute AWS CloudTrail events to the EKS pod, service account, node and cluster behind them, offline.')
    .version(TOOL_VERSION)
    .showHelpAfterError()
    .exitOverride();

  program
    .command('ingest')
    .description('load evidence (files, folders, .zip, .tar, .tar.gz) into a case database, creating it if needed')
    .argument('<paths...>', 'evidence files, folders or archives (read only, never modified)')
    .requiredOption('--case <case.db>', 'case database')
    .addOption(new Option('--workers <n>', 'parse workers (default: one per core)').argParser(positiveInt))
    .option('--quiet', 'no progress on stderr')
    .action(async (paths: string[], opts: { case: string; workers?: number; quiet?: boolean }) => {
      const db = openCase(resolve(opts.case));
      try {
        const summary = await ingestEvidence(db, paths, { workers: opts.workers, onProgress: progressPrinter(!!opts.quiet) });
        const correlation = correlate(db);
        printSummary(summary, correlation);
        if (summary.failed > 0 || summary.rejectedRecords > 0) process.exitCode = EXIT.evidence;
      } finally {
        db.close();
      }
    });

  program
    .command('attribute')
    .description('one attribution per API event, ordered by eventTime then eventID')
    .requiredOption('--case <case.db>', 'case database')
    .addOption(
      new Option('--format <format>', 'output format (timesketch: JSON Lines for a Timesketch import)').choices(['jsonl', 'csv', 'timesketch']).default('jsonl'),
    )
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (opts: { case: string; format: 'jsonl' | 'csv' | 'timesketch'; out?: string }) => {
      const db = existingCase(opts.case);
      try {
        const q = new CaseQueries(db);
        await withOutput(opts.out, async (write) => {
          if (opts.format === 'csv') await write(csvHeader());
          let buf = '';
          const lines =
            opts.format === 'csv'
              ? mapIter(q.attributions(), csvRow)
              : opts.format === 'timesketch'
                ? mapIter(q.attributions(), timesketchLine)
                : q.attributionLines();
          for (const line of lines) {
            buf += line;
            if (buf.length > 1 << 20) {
              await write(buf);
              buf = '';
            }
          }
          if (buf) await write(buf);
        });
      } finally {
        db.close();
      }
    });

  program
    .command('trace')
    .description('the chain for one event (or for the session behind one access key), hop by hop, with the records that prove each hop')
    .argument('<target>', 'an eventID (<eventID>#<n>: variant n of several different records under one eventID) or an access key id')
    .requiredOption('--case <case.db>', 'case database')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((target: string, opts: { case: string; format: 'text' | 'json' }) => {
      const db = existingCase(opts.case);
      try {
        const queries = new CaseQueries(db);
        const t = queries.trace(target);
        if (!t) throw new UsageError(`${target} is neither an eventID nor an access key in this case`);
        const integrity = traceIntegrity(queries, t);
        process.stdout.write(opts.format === 'json' ? escapeInvisibleInJson(JSON.stringify({ ...t, integrity }, null, 2)) + '\n' : traceText(t, integrity));
      } finally {
        db.close();
      }
    });

  program
    .command('report')
    .description('the attribution report for one event')
    .requiredOption('--case <case.db>', 'case database')
    .requiredOption('--event <eventID>', 'the event to report on (<eventID>#<n>: variant n of several different records under one eventID)')
    .addOption(new Option('--format <format>', 'report format').choices(['html', 'json', 'csv']).default('html'))
    .requiredOption('--out <file>', 'where to write the report')
    .action(async (opts: { case: string; event: string; format: 'html' | 'json' | 'csv'; out: string }) => {
      const db = existingCase(opts.case);
      try {
        const out = resolve(opts.out);
        const r = await exportReport(db, new CaseQueries(db), resolve(opts.case), opts.event, opts.format, out);
        writeFileSync(out, r.body);
        process.stderr.write(`report: ${opts.format} written to ${out} (SHA-256 ${r.sha256})\n`);
        for (const p of r.evidenceProblems) process.stderr.write(`report: evidence ${p}\n`);
        // A cited file that changed or cannot be read is an evidence problem; one that was moved is only noted.
        if (r.model.evidenceCheck?.some((c) => c.status === 'changed' || c.status === 'unreadable')) process.exitCode = EXIT.evidence;
      } finally {
        db.close();
      }
    });

  program
    .command('custody')
    .description('the case\'s chain-of-custody log (every ingest, verify and export), with its hash chain re-checked')
    .requiredOption('--case <case.db>', 'case database')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((opts: { case: string; format: 'text' | 'json' }) => {
      const db = existingCase(opts.case);
      try {
        const entries = readCustody(db);
        const check = checkCustody(db);
        if (opts.format === 'json') process.stdout.write(escapeInvisibleInJson(JSON.stringify({ entries, check }, null, 2)) + '\n');
        else process.stdout.write(custodyText(entries, check));
        if (!check.ok) process.exitCode = EXIT.evidence;
      } finally {
        db.close();
      }
    });

  program
    .command('verify')
    .description(
      'CloudTrail log-file integrity, offline: log files against their digests\' hashes, the digest chain, gaps, and — with CloudTrail\'s public keys — the digests\' signatures. ' +
        'Exit 0 only when every check passed and nothing is left uncovered; 2 on any failure or gap',
    )
    .requiredOption('--case <case.db>', 'case database')
    .option(
      '--public-keys <region=file>',
      '`aws cloudtrail list-public-keys` output for a region (repeatable; keys are per region). A file whose path names the region may omit it. Key lists in the case are used too',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--json', 'the full result as JSON')
    .action((opts: { case: string; publicKeys: string[]; json?: boolean }) => {
      const keyLists = readKeyLists(opts.publicKeys.map(parseKeyListSpec));
      const db = existingCase(opts.case);
      try {
        const run = runVerification(db, keyLists);
        if (opts.json) process.stdout.write(escapeInvisibleInJson(JSON.stringify({ runId: run.runId, verifiedAt: run.verifiedAt, toolVersion: run.toolVersion, ...run.result }, null, 2)) + '\n');
        else process.stdout.write(integrityText(run.result, run.verifiedAt));
        const r = run.result;
        if (r.verdict === 'failed' || r.verdict === 'nothing-to-verify' || r.counts.gaps > 0) process.exitCode = EXIT.evidence;
      } finally {
        db.close();
      }
    });

  program
    .command('serve')
    .description('browser mode: serve the desktop UI for a case on 127.0.0.1 and print its URL (with the access token) on stdout; Ctrl+C stops')
    .requiredOption('--case <case.db>', 'case database')
    .addOption(new Option('--port <n>', 'port (default: a free one)').argParser(positiveInt))
    .action(async (opts: { case: string; port?: number }) => {
      const casePath = resolve(opts.case);
      existingCase(casePath).close(); // refuse a missing or too-new case here, before the engine thread starts
      await serveCase({ casePath, port: opts.port });
    });

  return program;
}

/** The reader of stdout went away (`podtrail attribute … | head`): stop quietly, not as an internal error. */
function onStdoutError(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (!process.stdout.listeners('error').includes(onStdoutError)) process.stdout.on('error', onStdoutError);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors with 1 (commander printed them).
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof UsageError || err instanceof ReportError || err instanceof CaseError || err instanceof ServeUsageError || err instanceof KeyListError) {
      process.stderr.write(`podtrail: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`podtrail: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.internal;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
