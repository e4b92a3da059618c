/**
 * Offline CloudTrail log-file integrity validation over what a case holds: digests, log files, key lists and
 * head-object outputs. A pure function of its input (no clock, no files): the same case gives the same result.
 *
 * Order: keys → digests (parse, fold copies, tie head-object outputs, locations) → chains (links, missing
 * digests, restarts) → signatures → authentication down each chain → log files → appended gzip data → verdict.
 */
import { Findings, FileOutcomes } from './findings';
import { checkLocations, digestEntries, foldCopies, groupStreams, linkChain, type DigestEntry } from './chain';
import { authenticate, checkSignatures, noteUnsigned, streamResult } from './signatures';
import { checkListedLogs, checkUnlisted } from './logs';
import { headObjectTarget, parseHeadObject } from './head-object';
import { parsePublicKeys, regionFromPath, type PublicKey } from './keys';
import { isCloudTrailLogName } from './digest';
import { digestDetail, verdictOf } from './verdict';
import type { DigestResult, FileInput, IntegrityInput, IntegrityResult, KeyResult } from './types';

const LOG_FORMATS = new Set(['cloudtrail-log', 'cloudtrail-insight']);

function loadKeys(input: IntegrityInput, files: Map<number, FileInput>, outcomes: FileOutcomes, findings: Findings): PublicKey[] {
  const keys: PublicKey[] = [];
  const add = (raw: string, source: string, region: string | null, file: FileInput | null) => {
    const parsed = parsePublicKeys(raw, source, region);
    if (typeof parsed === 'string') {
      findings.add('note', 'key-unusable', `${source}: ${parsed}`, file ? { file: file.path } : {});
      if (file) outcomes.set(file, 'public-keys', 'not-applicable', parsed);
      return;
    }
    if (region === null) {
      const msg = `${source}: list-public-keys output whose path names no AWS region, so it is not used (keys are per region: put the region in its path, e.g. keys/us-east-1/list-public-keys.json, or give it with --public-keys <region>=<file>)`;
      findings.add('note', 'keys-region-unknown', msg, file ? { file: file.path } : {});
      if (file) outcomes.set(file, 'public-keys', 'not-applicable', 'region unknown: not used');
      return;
    }
    keys.push(...parsed);
    if (file) outcomes.set(file, 'public-keys', 'not-applicable', `${parsed.length} CloudTrail public key(s) for ${region}`);
  };
  for (const doc of input.documents) {
    if (doc.kind !== 'cloudtrail-public-keys') continue;
    const file = files.get(doc.fileId);
    if (file) add(doc.raw, file.path, regionFromPath(file.path), file);
  }
  for (const kl of input.keyLists) add(kl.raw, kl.source, kl.region, null);
  return keys;
}

function tieHeadObjects(input: IntegrityInput, files: Map<number, FileInput>, digests: DigestEntry[], outcomes: FileOutcomes, findings: Findings): void {
  const candidates = digests.flatMap((d) => [d.file, ...d.copies].map((f) => ({ path: f.path, entry: d })));
  for (const doc of input.documents) {
    if (doc.kind !== 's3-head-object') continue;
    const file = files.get(doc.fileId);
    if (!file) continue;
    const head = parseHeadObject(doc.raw, file.id, file.path);
    const target = head ? headObjectTarget(file.path, candidates) : null;
    if (!head || !target || target.entry.head) {
      const why = !head ? 'no signature in its Metadata' : target ? `a second head-object output for ${target.entry.s3Path}` : 'no digest file of that name';
      findings.add('note', 'head-object-unmatched', `${file.path}: head-object output not used (${why}; name it <digest file name>.head-object.json, beside the digest)`, { file: file.path });
      outcomes.set(file, 'head-object', 'not-applicable', `not used: ${why}`);
      continue;
    }
    target.entry.head = head;
    outcomes.set(file, 'head-object', 'not-applicable', `signature metadata of digest ${target.entry.s3Path}`);
  }
}

function keyResults(keys: PublicKey[], digests: DigestEntry[]): KeyResult[] {
  return keys.map((k) => ({
    source: k.source,
    region: k.region,
    fingerprint: k.fingerprint,
    claimedFingerprint: k.claimedFingerprint,
    validityStart: k.validFromMs === null ? null : new Date(k.validFromMs).toISOString(),
    validityEnd: k.validToMs === null ? null : new Date(k.validToMs).toISOString(),
    validityProblem: k.validityProblem,
    encoding: k.encoding,
    usedBy: digests.filter((d) => d.signature === 'verified' && d.digest.digestPublicKeyFingerprint === k.fingerprint && d.stream.region === k.region).length,
  }));
}

function digestResult(d: DigestEntry): DigestResult {
  return {
    fileId: d.file.id,
    path: d.file.path,
    s3Path: d.s3Path,
    stream: d.stream.label,
    region: d.stream.region,
    startTime: d.digest.digestStartTime,
    endTime: d.digest.digestEndTime,
    backfill: d.backfill,
    logFiles: d.digest.logFiles.length,
    chain: d.chain,
    signature: d.signature,
    authenticatedBy: d.authenticatedBy,
    status: d.failures.length > 0 ? 'failed' : d.authenticatedBy ? 'authenticated' : 'consistent',
    detail: digestDetail(d),
  };
}

export function verifyIntegrity(input: IntegrityInput): IntegrityResult {
  const findings = new Findings();
  const outcomes = new FileOutcomes();
  const files = new Map(input.files.map((f) => [f.id, f]));

  const keys = loadKeys(input, files, outcomes, findings);
  const digestDocs = input.documents.filter((d) => d.kind === 'cloudtrail-digest');
  const { entries, invalid } = digestEntries(files, digestDocs, findings);
  for (const [id, problem] of invalid) outcomes.set(files.get(id)!, 'digest', 'failed', `not a valid CloudTrail digest (${problem})`);
  const digests = foldCopies(entries, findings);
  tieHeadObjects(input, files, digests, outcomes, findings);
  checkLocations(digests, findings);

  const streams = groupStreams(digests);
  const byPath = new Map<string, DigestEntry>();
  for (const d of digests) if (!byPath.has(d.s3Path)) byPath.set(d.s3Path, d);
  let digestsMissing = 0;
  for (const s of streams) digestsMissing += linkChain(s, byPath, findings);
  checkSignatures(digests, keys, findings);
  authenticate(streams);
  noteUnsigned(streams, findings, keys.length > 0);
  const byOrder = (a: DigestResult, b: DigestResult) =>
    a.stream.localeCompare(b.stream) || a.endTime.localeCompare(b.endTime) || Number(a.backfill) - Number(b.backfill) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const digestResults = digests.map(digestResult).sort(byOrder);
  for (const d of digests) {
    const r = digestResults.find((x) => x.fileId === d.file.id)!;
    for (const f of [d.file, ...d.copies]) outcomes.set(f, 'digest', r.status, r.detail);
  }

  const special = new Set([...digestDocs.map((d) => d.fileId), ...input.documents.filter((d) => d.kind !== 'cloudtrail-digest').map((d) => d.fileId)]);
  const logs = input.files.filter((f) => !special.has(f.id) && (LOG_FORMATS.has(f.format) || isCloudTrailLogName(f.path)));
  const { missing: logsMissing, listed } = checkListedLogs(digests, logs, outcomes, findings);
  checkUnlisted(logs, listed, streams, outcomes, findings);

  let unchecked = 0;
  for (const f of input.files) {
    if (f.gzipTrailingBytes && f.gzipTrailingBytes > 0) {
      const msg = `${f.path}: ${f.gzipTrailingBytes} bytes follow the end of its first gzip member (CloudTrail writes one member; gunzip and most readers silently read the rest as if it were part of the log)`;
      findings.add('failure', 'gzip-trailing-data', msg, { file: f.path });
      outcomes.set(f, logs.includes(f) ? 'log' : special.has(f.id) ? 'digest' : 'other', 'failed', msg.slice(f.path.length + 2));
    } else if (f.compression === 'gzip' && f.status === 'complete' && f.gzipTrailingBytes === null) unchecked++;
  }
  if (unchecked > 0) {
    findings.add('note', 'gzip-not-checked', `${unchecked} gzip file(s) were ingested before PodTrail recorded data appended after the first gzip member: not checked for it (load the evidence into a new case to check)`);
  }
  for (const f of input.files) {
    if (!outcomes.get(f.id)) outcomes.set(f, 'other', 'not-applicable', 'not a CloudTrail log or digest file delivered to S3: digests say nothing about it');
  }

  const fileResults = outcomes.all();
  const logResults = fileResults.filter((r) => r.role === 'log');
  const streamResults = streams.map(streamResult);
  const counts = {
    digests: digestResults.length,
    digestsAuthenticated: digestResults.filter((d) => d.status === 'authenticated').length,
    digestsFailed: digestResults.filter((d) => d.status === 'failed').length + invalid.size,
    digestsMissing,
    logFiles: logResults.length,
    logsAuthenticated: logResults.filter((r) => r.status === 'authenticated').length,
    logsConsistent: logResults.filter((r) => r.status === 'consistent').length,
    logsFailed: logResults.filter((r) => r.status === 'failed').length,
    logsNotCovered: logResults.filter((r) => r.status === 'not-covered').length,
    logsMissing,
    otherFiles: fileResults.filter((r) => r.role === 'other').length,
    failures: findings.count('failure'),
    gaps: findings.count('gap'),
  };
  return {
    ...verdictOf({ streams: streamResults, counts, findings: findings.list, haveKeys: keys.length > 0, digests: digestResults }),
    counts,
    streams: streamResults,
    digests: digestResults,
    files: fileResults,
    findings: findings.list,
    keys: keyResults(keys, digests),
    filesUpTo: input.files.reduce((m, f) => Math.max(m, f.id), 0),
  };
}
