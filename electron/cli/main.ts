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
import { actorTimeline, actorTimelineText } from '../engine/k8s/actor-pivot';
import { traceIntegrity } from '../engine/report/model';
import { KeyListError, parseKeyListSpec, readKeyLists, runVerification } from '../engine/integrity/store';
import { integrityText } from '../engine/integrity/text';
import { TOOL_VERSION } from '../engine/version';
import { serveCase, ServeUsageError } from '../server/serve';
import { escapeInvisibleInJson, revealInvisible } from '../../shared/invisible';
import type { NoteTarget, NoteView } from '../../shared/notes';
import { NoteError, NoteNotFoundError, NoteStore } from '../engine/notes/store';
import { exportCaseReport, type CaseReportFormat } from '../engine/report/case-export';
import { chromiumPath, DEFAULT_CHROMIUM, PdfError, printPdfWithChromium } from './pdf';

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
    `correlation: ${
      correlation.mode === 'incremental'
        ? 'incremental (what the new evidence can change)'
        : correlation.mode === 'unchanged'
          ? 'unchanged (no new evidence)'
          : `whole${correlation.why ? ` (${correlation.why})` : ''}`
    }, ${(correlation.elapsedMs / 1000).toFixed(1)} s`,
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

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

interface ReportOptions {
  case: string;
  event: string[];
  key: string[];
  format: 'html' | 'json' | 'csv' | 'pdf';
  examiner?: string;
  caseId?: string;
  title?: string;
  chromium?: string;
  out: string;
}

interface NoteOptions {
  case: string;
  event?: string;
  pod?: string;
  key?: string;
  principal?: string;
}

/** The one target a note command names. */
function noteTarget(o: NoteOptions): NoteTarget {
  const given: NoteTarget[] = [];
  if (o.event !== undefined) given.push({ kind: 'event', value: o.event });
  if (o.pod !== undefined) given.push({ kind: 'pod', value: o.pod });
  if (o.key !== undefined) given.push({ kind: 'session', value: o.key });
  if (o.principal !== undefined) given.push({ kind: 'principal', value: o.principal });
  if (given.length !== 1) throw new UsageError('name exactly one of --event, --pod, --key, --principal');
  return given[0]!;
}

function noteLine(n: NoteView): string {
  const what = n.kind === 'star' ? '★ star' : n.kind === 'tag' ? `tag ${n.text}` : `note: ${n.text}`;
  // Targets can come from the evidence (a principal, a pod name): control characters are shown, never sent to the terminal.
  return revealInvisible(`#${n.id} ${n.target.kind} ${n.target.value} — ${what} (${n.at} by ${n.actor}, custody entry ${n.custodySeq})`);
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
    .option('--whole', 'correlate the whole case again, not only what the new evidence can change')
    .action(async (paths: string[], opts: { case: string; workers?: number; quiet?: boolean; whole?: boolean }) => {
      const db = openCase(resolve(opts.case));
      try {
        const summary = await ingestEvidence(db, paths, { workers: opts.workers, onProgress: progressPrinter(!!opts.quiet) });
        const correlation = correlate(db, { whole: !!opts.whole });
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
    .command('actor')
    .description('the reverse pivot: everything a person (an SSO user, an IAM user, a role session) did in AWS and in Kubernetes, in one timeline')
    .argument('<principal|key>', 'part of a principal (an e-mail, a user or role ARN, a session name) or an access key id')
    .requiredOption('--case <case.db>', 'case database')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'jsonl']).default('text'))
    .action((target: string, opts: { case: string; format: 'text' | 'jsonl' }) => {
      const db = existingCase(opts.case);
      try {
        const t = actorTimeline(db, target);
        if (t.principals.length === 0) throw new UsageError(`no principal in this case matches ${target}`);
        process.stdout.write(opts.format === 'jsonl' ? t.entries.map((e) => JSON.stringify(e) + '\n').join('') : actorTimelineText(t));
      } finally {
        db.close();
      }
    });

  program
    .command('report')
    .description(
      'the attribution report for one event; with several --event, any --key (a whole credential session), --examiner, --case-id or --format pdf: ' +
        'the case report (summary table, each event and session with its detections and reasons, the examiner\'s notes, the chain, evidence and custody)',
    )
    .requiredOption('--case <case.db>', 'case database')
    .option('--event <eventID>', 'an event to report on (<eventID>#<n>: variant n of several different records under one eventID); repeatable', collect, [] as string[])
    .option('--key <accessKeyId>', 'a credential session to report on whole (case report); repeatable', collect, [] as string[])
    .addOption(new Option('--format <format>', 'report format (csv: one event only; pdf: the case report printed by Chromium)').choices(['html', 'json', 'csv', 'pdf']).default('html'))
    .option('--examiner <name>', 'the examiner named in the case report (default: who made the custody entry it is pinned to)')
    .option('--case-id <id>', 'the case or incident id in the case report (default: the case file\'s name)')
    .option('--title <title>', 'the case report\'s title')
    .option('--chromium <path>', `Chromium for --format pdf (default: PODTRAIL_CHROMIUM, else ${DEFAULT_CHROMIUM})`)
    .requiredOption('--out <file>', 'where to write the report')
    .action(async (opts: ReportOptions) => {
      const caseReport = opts.event.length !== 1 || opts.key.length > 0 || opts.format === 'pdf' || opts.examiner !== undefined || opts.caseId !== undefined || opts.title !== undefined;
      if (opts.event.length === 0 && opts.key.length === 0) throw new UsageError('name an event (--event <eventID>) or a session (--key <accessKeyId>) to report on');
      if (caseReport && opts.format === 'csv') throw new UsageError('--format csv is for the report of one event; a case report is html, json or pdf');
      if (opts.format === 'pdf') chromiumPath(opts.chromium); // before anything is read or logged
      const db = existingCase(opts.case);
      try {
        const out = resolve(opts.out);
        if (!caseReport) {
          const r = await exportReport(db, new CaseQueries(db), resolve(opts.case), opts.event[0]!, opts.format as 'html' | 'json' | 'csv', out);
          writeFileSync(out, r.body);
          process.stderr.write(`report: ${opts.format} written to ${out} (SHA-256 ${r.sha256})\n`);
          for (const p of r.evidenceProblems) process.stderr.write(`report: evidence ${p}\n`);
          // A cited file that changed or cannot be read is an evidence problem; one that was moved is only noted.
          if (r.model.evidenceCheck?.some((c) => c.status === 'changed' || c.status === 'unreadable')) process.exitCode = EXIT.evidence;
          return;
        }
        const r = await exportCaseReport(
          db,
          new CaseQueries(db),
          resolve(opts.case),
          { events: opts.event, keys: opts.key, examiner: opts.examiner, caseId: opts.caseId, title: opts.title },
          opts.format as CaseReportFormat,
          out,
          (html) => printPdfWithChromium(html, opts.chromium),
        );
        writeFileSync(out, r.body);
        process.stderr.write(`report: case report (${r.model.rows.length} events, ${r.model.sessions.length} sessions) as ${opts.format} written to ${out} (SHA-256 ${r.sha256})\n`);
        for (const p of r.evidenceProblems) process.stderr.write(`report: evidence ${p}\n`);
        if (r.model.evidenceCheck?.some((c) => c.status === 'changed' || c.status === 'unreadable')) process.exitCode = EXIT.evidence;
      } finally {
        db.close();
      }
    });

  const note = program.command('note').description('stars, tags and notes on events, pods, sessions and principals, kept in the case and logged in its custody log');
  const targetOptions = (c: Command) =>
    c
      .option('--event <eventID>', 'an event (<eventID>#<n> for one of several records under an eventID)')
      .option('--pod <name>', 'a pod')
      .option('--key <accessKeyId>', 'a credential session (its access key)')
      .option('--principal <principal>', 'a principal: a person, a role session, a user ARN');
  targetOptions(
    note
      .command('add')
      .description('add a note (or with --tag a tag, with --star a star) to one event, pod, session or principal')
      .requiredOption('--case <case.db>', 'case database')
      .argument('[text...]', 'the note'),
  )
    .option('--tag <tag>', 'add this tag instead of a note')
    .option('--star', 'star it instead of adding a note')
    .action((words: string[], opts: NoteOptions & { tag?: string; star?: boolean }) => {
      const target = noteTarget(opts);
      const text = words.join(' ');
      if ([opts.star, opts.tag !== undefined, text !== ''].filter(Boolean).length !== 1) throw new UsageError('give a note\'s text, or --tag <tag>, or --star (one of them)');
      const db = existingCase(opts.case);
      try {
        const store = new NoteStore(db);
        const r = opts.star ? store.add(target, 'star', '') : opts.tag !== undefined ? store.add(target, 'tag', opts.tag) : store.add(target, 'note', text);
        process.stdout.write(`${r.added ? 'added' : 'already there'}: ${noteLine(r.note)}\n`);
      } finally {
        db.close();
      }
    });
  targetOptions(note.command('list').description('the stars, tags and notes of the case, or of one event, pod, session or principal').requiredOption('--case <case.db>', 'case database'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((opts: NoteOptions & { format: 'text' | 'json' }) => {
      const target = opts.event ?? opts.pod ?? opts.key ?? opts.principal ? noteTarget(opts) : null;
      const db = existingCase(opts.case);
      try {
        const notes = new NoteStore(db).list(target ? [target] : undefined);
        if (opts.format === 'json') process.stdout.write(escapeInvisibleInJson(JSON.stringify(notes, null, 2)) + '\n');
        else process.stdout.write(notes.map((n) => `${noteLine(n)}\n`).join('') || 'no stars, tags or notes\n');
      } finally {
        db.close();
      }
    });
  note
    .command('remove')
    .description('remove a star, tag or note by its number (it stays in the case, marked removed; logged in the custody log)')
    .requiredOption('--case <case.db>', 'case database')
    .argument('<id>', 'the number `note list` shows', positiveInt)
    .action((id: number, opts: { case: string }) => {
      const db = existingCase(opts.case);
      try {
        if (!new NoteStore(db).remove(id)) throw new UsageError(`no star, tag or note ${id} in this case`);
        process.stdout.write(`removed: ${id}\n`);
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

  // --- lake (issue 14): the attribution as SQL on Athena/Trino, Spark and DuckDB; docs/lake.md ---------------------
  {
    const lake = program.command('lake').description('past one machine: the attribution as SQL over the CloudTrail table of Athena/Trino, Spark or DuckDB, run embedded on DuckDB, and extracts for a case');
    const lakeCall = async <T>(fn: (m: typeof import('../engine/lake')) => Promise<T> | T): Promise<T> => {
      const m = await import('../engine/lake');
      try {
        return await fn(m);
      } catch (err) {
        if (err instanceof m.LakeError || err instanceof m.WhereError) throw new UsageError(err.message);
        throw err;
      }
    };
    const engineOptions = (c: Command) =>
      c
        .addOption(new Option('--engine <engine>', 'where the SQL runs').choices(['duckdb']).default('duckdb'))
        .option('--memory-limit <size>', "DuckDB's memory limit; beyond it DuckDB spills to --temp-dir", '1GB')
        .addOption(new Option('--threads <n>', 'DuckDB threads').argParser(positiveInt).default(2))
        .option('--temp-dir <dir>', 'where DuckDB spills (default: a new folder under the system temporary folder, removed afterwards)');
    type EngineOpts = { memoryLimit: string; threads: number; tempDir?: string; out: string };
    lake
      .command('sql')
      .description('print the attribution query (or the table DDL, or the extract query) for a SQL engine')
      .addOption(new Option('--dialect <dialect>', 'SQL dialect').choices(['athena', 'trino', 'spark', 'duckdb']).makeOptionMandatory())
      .option('--table <name>', 'the CloudTrail table (AWS\'s documented Athena layout)', 'cloudtrail_logs')
      .option('--ddl', "print the table's CREATE statement instead (Athena: partition projection)")
      .option('--location <uri>', '--ddl: where the trail is (Athena: s3://<bucket>/AWSLogs/<account>/CloudTrail/<region>)')
      .option('--range-start <yyyy/MM/dd>', '--ddl (Athena): first day of the projected partitions', '2020/01/01')
      .option('--extract', 'print the extract query: the records matching --where and every record their chains need, as CloudTrail JSON')
      .option('--where <predicate>', '--extract: over eventName, eventSource, eventTime, sourceIPAddress, accessKeyId, recipientAccountId, awsRegion, userIdentity.arn')
      .option('--scan <predicate>', 'a predicate that bounds what the query reads (e.g. partitions: "timestamp" >= \'2026/03/01\')')
      .action(async (opts: { dialect: 'athena' | 'trino' | 'spark' | 'duckdb'; table: string; ddl?: boolean; location?: string; rangeStart: string; extract?: boolean; where?: string; scan?: string }) => {
        process.stdout.write(await lakeCall((m) => m.sqlText(opts)));
      });
    engineOptions(
      lake
        .command('attribute')
        .description('run the attribution over trail folders (the S3 layout on disk) with embedded DuckDB; attribution records as JSON Lines or Parquet')
        .argument('<paths...>', 'trail folders or files (…_CloudTrail_….json.gz; s3:// prefixes where DuckDB has httpfs and credentials)')
        .requiredOption('--out <file>', 'file.jsonl or file.parquet'),
    ).action(async (paths: string[], opts: EngineOpts) => {
      const r = await lakeCall((m) => m.lakeAttribute(paths, opts.out, opts));
      process.stderr.write(`lake: ${r.events} events from ${r.files} trail files attributed in ${(r.elapsedMs / 1000).toFixed(1)} s -> ${resolve(opts.out)}\n`);
    });
    engineOptions(
      lake
        .command('extract')
        .description('the records matching --where and every record their chains need, as CloudTrail JSON Lines that `podtrail ingest` reads')
        .argument('<paths...>', 'trail folders or files')
        .requiredOption('--where <predicate>', 'over eventName, eventSource, eventTime, sourceIPAddress, accessKeyId, recipientAccountId, awsRegion, userIdentity.arn')
        .requiredOption('--out <file>', 'bundle.jsonl'),
    ).action(async (paths: string[], opts: EngineOpts & { where: string }) => {
      const r = await lakeCall((m) => m.lakeExtract(paths, opts.where, opts.out, opts));
      process.stderr.write(`lake: ${r.records} records extracted in ${(r.elapsedMs / 1000).toFixed(1)} s -> ${resolve(opts.out)}\n`);
    });
  }

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
    if (err instanceof UsageError || err instanceof ReportError || err instanceof CaseError || err instanceof ServeUsageError || err instanceof KeyListError || err instanceof NoteError || err instanceof NoteNotFoundError || err instanceof PdfError) {
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
