/** CSV renderings. Cells that a spreadsheet would run as a formula are neutralised with a leading quote. */
import { stringify } from 'csv-stringify/sync';
import type { AttributionRecord } from '../../../shared/attribution';
import type { ReportModel } from './model';

/** OWASP CSV injection guidance: prefix cells starting with = + - @ tab or CR. */
export function neutralizeCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export const ATTRIBUTION_COLUMNS = [
  'eventID', 'eventTime', 'eventSource', 'eventName', 'recipientAccountId', 'awsRegion', 'sourceIPAddress',
  'accessKeyId', 'mechanism', 'chained', 'principal', 'cluster', 'clusterArn', 'oidcId', 'namespace', 'serviceAccount',
  'pod', 'podUid', 'nodeInstanceId', 'nodeName', 'confidenceIdentity', 'confidencePod', 'confidenceNode',
  'candidates', 'chain', 'evidence', 'notes',
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
  ATTRIBUTION_COLUMNS.forEach((c, i) => rows.push(['attribution', c, attributionRow(m.attribution)[i]!]));
  m.hops.forEach((h, i) => rows.push([`hop ${i + 1}`, `${h.rule} (${h.confidence})`, neutralizeCell(`${h.claim} [${h.evidence.join(' ')}]`)]));
  for (const f of m.files) rows.push(['evidence file', neutralizeCell(f.path), `sha256=${f.sha256}${f.sha256Decompressed ? ` decompressed=${f.sha256Decompressed}` : ''}`]);
  return stringify(rows);
}
