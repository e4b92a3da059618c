/** CSV renderings. Cells that a spreadsheet would run as a formula are neutralised with a leading quote. */
import { stringify } from 'csv-stringify/sync';
import type { AttributionRecord } from '../../../shared/attribution';
import { revealInvisible } from './escape';
import type { ReportModel } from './model';
import { actorWords, podActorWords } from './people';
import { fileStatusWords } from '../../../shared/integrity';

/**
 * OWASP CSV injection guidance: prefix cells starting with = + - @ tab or CR (also line feed, and the full-width
 * forms ＝ ＋ － ＠ that some spreadsheets read as formulas). Invisible and control characters (NUL, bidi overrides)
 * are first made visible as in the HTML report, so a cell cannot hide or reorder text, or start with a formula
 * behind an invisible character. Idempotent.
 */
export function neutralizeCell(value: string): string {
  const shown = revealInvisible(value);
  return /^[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]/.test(shown) ? `'${shown}` : shown;
}

export const ATTRIBUTION_COLUMNS = [
  'eventID', 'eventTime', 'eventSource', 'eventName', 'recipientAccountId', 'awsRegion', 'sourceIPAddress',
  'accessKeyId', 'mechanism', 'chained', 'principal', 'cluster', 'clusterArn', 'oidcId', 'namespace', 'serviceAccount',
  'pod', 'podUid', 'nodeInstanceId', 'nodeName', 'confidenceIdentity', 'confidencePod', 'confidenceNode',
  'candidates', 'chain', 'evidence', 'notes', 'flags', 'flagReasons', 'actor', 'podActors',
] as const;

export function attributionRow(a: AttributionRecord): string[] {
  const v = (x: unknown) => (x === null || x === undefined ? '' : String(x));
  return [
    a.eventID, a.eventTime, a.eventSource, a.eventName, v(a.recipientAccountId), v(a.awsRegion), v(a.sourceIPAddress),
    v(a.accessKeyId), a.mechanism, String(a.chained), v(a.principal), v(a.cluster?.name), v(a.cluster?.arn),
    v(a.cluster?.oidcId), v(a.namespace), v(a.serviceAccount), v(a.pod?.name), v(a.pod?.uid), v(a.node?.instanceId),
    v(a.node?.name), a.confidence.identity, a.confidence.pod, a.confidence.node,
    a.candidates.map((c) => `${c.pod?.name ?? ''}@${c.node?.instanceId ?? ''}:${c.score}`).join(' '),
    a.chain.map((l) => `${l.accessKeyId}<${l.issuedBy?.eventName ?? 'not in bundle'}`).join(' '),
    a.evidence.join(' '),
    a.notes.join(' | '),
    (a.flags ?? []).join(' '),
    // Each flag with its reason: `flag: reason`, separated like the notes.
    (a.flagReasons ?? []).map((f) => `${f.flag}: ${f.detail}`).join(' | '),
    // Who acted on the pod (EKS audit log), and the person whose exec session most plausibly made this call.
    actorWords(a.actor),
    (a.podActors ?? []).map(podActorWords).join(' | '),
  ].map(neutralizeCell);
}

export function csvHeader(): string {
  return stringify([[...ATTRIBUTION_COLUMNS]]);
}

export function csvRow(a: AttributionRecord): string {
  return stringify([attributionRow(a)]);
}

export function reportCsv(m: ReportModel): string {
  const rows: string[][] = [['section', 'key', 'value']];
  rows.push(['tool', 'version', `${m.tool.name} ${m.tool.version}`]);
  rows.push(['case', 'path', m.case.path]);
  const where = (ps: { path: string; recordIndex: number }[]) => ps.map((p) => `${p.path} #${p.recordIndex}`).join('; ');
  rows.push(['event', 'userAgent', m.event.userAgent ?? '']);
  rows.push(['event', 'read from', where(m.event.provenance)]);
  if (m.event.variants > 1) {
    rows.push(['event', 'variant', `${m.event.variant} of ${m.event.variants} different records under this eventID (each is attributed on its own)`]);
    for (const o of m.event.otherVariants) rows.push(['event other record', `variant ${o.variant}`, `${where(o.provenance)}; differs in ${o.differs.join(', ')}`]);
  }
  ATTRIBUTION_COLUMNS.forEach((c, i) => rows.push(['attribution', c, attributionRow(m.attribution)[i]!]));
  for (const f of m.flags) rows.push(['flag', f.flag, f.detail]);
  for (const d of m.detections) rows.push(['detection', d.flag, d.raised ? 'raised' : 'not raised']);
  if (m.credential) {
    rows.push(['credential', 'events', `${m.credential.events} in the case, this one included`]);
    for (const c of m.credential.calls) rows.push(['credential calls', `${c.eventSource} ${c.eventName}`, String(c.count)]);
    if (m.credential.more) rows.push(['credential calls', 'other APIs not listed', String(m.credential.more)]);
  }
  m.hops.forEach((h, i) => {
    rows.push([`hop ${i + 1}`, `${h.rule} (${h.confidence})`, neutralizeCell(`${h.claim} [${h.evidence.join(' ')}]`)]);
    for (const r of h.records) {
      if (r.variant === undefined) continue;
      rows.push([`hop ${i + 1} record`, `${r.id} variant ${r.variant} of ${r.variants}`, `${where(r.provenance)}; ${r.variantNote ?? ''}`]);
      for (const o of r.otherVariants ?? []) rows.push([`hop ${i + 1} record not cited`, `${r.id} variant ${o.variant}`, `${where(o.provenance)}; differs in ${o.differs.join(', ')}`]);
    }
  });
  const checks = new Map((m.evidenceCheck ?? []).map((c) => [c.path, c]));
  for (const f of m.files) {
    const c = checks.get(f.path);
    const check = c ? ` recheck=${c.status}${c.sha256Now ? ` now=${c.sha256Now}` : ''}` : '';
    rows.push(['evidence file', neutralizeCell(f.path), `sha256=${f.sha256}${f.sha256Decompressed ? ` decompressed=${f.sha256Decompressed}` : ''}${check}`]);
  }
  const v = m.integrity.verification;
  rows.push(['integrity', 'verification', neutralizeCell(v ? `#${v.runId} ${v.verifiedAt}: ${v.headline}` : 'not verified')]);
  for (const f of m.integrity.files) rows.push(['integrity', neutralizeCell(f.path), neutralizeCell(`${fileStatusWords(f.status)}: ${f.detail}`)]);
  if (m.custody) {
    const p = m.custody.pinned;
    rows.push(['custody', 'pinned entry', p ? `${p.seq} ${p.action} ${p.at} ${p.entryHash}` : '']);
    if (m.examiner !== undefined) rows.push(['custody', 'examiner', m.examiner ?? 'not recorded']);
    rows.push(['custody', 'hash chain', m.custody.intact ? 'intact' : neutralizeCell(`broken: ${m.custody.problems.join(' | ')}`)]);
  }
  // Every cell, whatever its source (a path, a hop's claim): nothing reaches a spreadsheet un-neutralised.
  return stringify(rows.map((r) => r.map(neutralizeCell)));
}
