/** The self-contained HTML attribution report: no script, no external resource, every log field escaped. */
import type { ReportModel } from './model';
import type { EvidenceRecord, Provenance } from '../case/queries';
import { missingCase, type Confidence } from '../../../shared/attribution';
import type { RecheckResult } from '../custody/recheck';
import { escapeHtml as e } from './escape';
import { chainSvg } from './chain-svg';
import { peopleHtml } from './people';
import { fileStatusWords } from '../../../shared/integrity';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:70rem;color:#1c2430;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem;border-bottom:1px solid #d6dbe3;padding-bottom:.25rem}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #d6dbe3;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f8;width:14rem;font-weight:600}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f6f8fa;border:1px solid #d6dbe3;padding:.5rem;overflow:auto;max-height:24rem;white-space:pre-wrap;word-break:break-all}
.c{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:12px;font-weight:600}
.proven{background:#d8f3dc;color:#1b5e20}.inferred{background:#fff3c4;color:#7a5b00}.ambiguous{background:#ffe0cc;color:#8a3b00}.none{background:#eceff3;color:#4a5565}
ol.hops>li{margin-bottom:1rem}.muted{color:#5b6675}details{margin:.25rem 0}
.warn{border:2px solid #b3261e;background:#fdecea;padding:.5rem 1rem;margin:1rem 0}`;

function badge(c: Confidence): string {
  return `<span class="c ${c}">${e(c)}</span>`;
}

function row(label: string, value: string): string {
  return `<tr><th>${e(label)}</th><td>${value}</td></tr>`;
}

/** A cited file's re-check, as a table cell (also the case report's). */
export function recheckCell(c: RecheckResult | undefined): string {
  if (!c) return '<span class="muted">not re-checked</span>';
  switch (c.status) {
    case 'unchanged':
      return 'unchanged';
    case 'changed':
      return `<strong>CHANGED</strong> — SHA-256 now <code>${e(c.sha256Now ?? '')}</code>`;
    case 'missing':
    case 'unreadable':
      return `could not re-check: ${e(c.status)}${c.detail ? ` (${e(c.detail)})` : ''}`;
    default:
      return missingCase(c.status);
  }
}

function custodyCell(c: NonNullable<ReportModel['custody']>, examiner: string | null | undefined): string {
  const by = examiner === undefined ? '' : `, examiner <strong>${e(examiner ?? 'not recorded')}</strong>`;
  const pin = c.pinned ? `made from entry ${e(c.pinned.seq)} (${e(c.pinned.action)}, ${e(c.pinned.at)}), hash <code>${e(c.pinned.entryHash)}</code>${by}` : 'no entry';
  return `${pin}; ${c.intact ? 'hash chain intact' : '<strong>hash chain broken</strong>'}`;
}

function pretty(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

function where(provenance: Provenance[]): string {
  return provenance.map((p) => `${e(p.path)} #${e(p.recordIndex)}`).join('; ');
}

/**
 * Each raw record once: the first place that cites a record shows it, every later one says where it is. The
 * event's own record is shown under "The event".
 */
class RawRecords {
  private readonly shownAt = new Map<string, string>();

  constructor(eventRaw: string) {
    this.shownAt.set(eventRaw, 'under “The event”');
  }

  /** `summary` (markup) with the record, or with where the record is shown when it already is. */
  cite(summary: string, raw: string, at: string): string {
    const shown = this.shownAt.get(raw);
    if (shown !== undefined) return `<div>${summary} <span class="muted">— raw record shown ${e(shown)}</span></div>`;
    this.shownAt.set(raw, at);
    return `<details><summary>${summary}</summary><pre>${e(pretty(raw))}</pre></details>`;
  }
}

function recordSummary(r: EvidenceRecord): string {
  const what = r.kind === 'event' ? `${r.eventName ?? ''} ${r.eventTime ?? ''} — eventID ${r.id}` : r.kind === 'audit' ? `EKS audit: ${r.eventName ?? ''} ${r.eventTime ?? ''} — auditID ${r.id}` : r.id;
  return `${e(what)}${r.variant !== undefined ? ` (variant ${e(r.variant)} of ${e(r.variants)})` : ''} · ${where(r.provenance)}`;
}

/** The records a hop cites; for an eventID with several records, which one the hop rests on and the others. */
function hopRecords(records: EvidenceRecord[], raws: RawRecords, hop: number): string {
  return records
    .map((r) => {
      const parts = [raws.cite(recordSummary(r), r.raw, `under hop ${hop}`)];
      if (r.variantNote) parts.push(`<div class="muted">${e(r.variantNote)}</div>`);
      for (const o of r.otherVariants ?? []) {
        parts.push(raws.cite(`not cited: eventID ${e(r.id)} variant ${e(o.variant)} · ${where(o.provenance)} · differs in ${e(o.differs.join(', '))}`, o.raw, `under hop ${hop}`));
      }
      return parts.join('\n');
    })
    .join('\n');
}

function detectionsSection(m: ReportModel): string {
  const raised = m.flags.length
    ? `<div class="warn"><strong>Flagged by ${e(m.flags.length)} detection${m.flags.length === 1 ? '' : 's'}.</strong><ul>${m.flags
        .map((f) => `<li><strong>${e(f.flag)}</strong>: ${e(f.detail)}</li>`)
        .join('')}</ul></div>`
    : '<p>No detection was raised on this event.</p>';
  const ran = m.detections
    .map((d) => `<tr><td><code>${e(d.flag)}</code></td><td>${d.raised ? '<strong>raised</strong>' : 'not raised'}</td></tr>`)
    .join('');
  return `<h2>Detections</h2>
${raised}
<p class="muted">The detections PodTrail ran on the case (each over every event, when the case was attributed):</p>
<table><tr><th>detection</th><th>on this event</th></tr>${ran}</table>`;
}

function credentialSection(m: ReportModel): string {
  const c = m.credential;
  if (!c) return '';
  const a = m.attribution;
  const who = a.accessKeyId ? `access key <code>${e(a.accessKeyId)}</code>` : `the identity ${e(a.principal ?? '—')}`;
  const calls = c.calls.map((x) => `<tr><td>${e(x.eventName)} <span class="muted">${e(x.eventSource)}</span></td><td>${e(x.count)}</td></tr>`).join('');
  return `<h2>The same credential</h2>
<p>Made with ${who} (${e(a.mechanism)}): ${e(c.events)} event${c.events === 1 ? '' : 's'} in the case, this one included${
    c.more ? `; the ${e(c.calls.length)} most frequent APIs are listed, ${e(c.more)} other${c.more === 1 ? '' : 's'} not` : ''
  }.</p>
<table><tr><th>API</th><th>calls</th></tr>${calls}</table>`;
}

function eventSection(m: ReportModel, raws: RawRecords): string {
  const ev = m.event;
  const conflict =
    ev.variants > 1
      ? `<div class="warn"><strong>Conflict.</strong> The bundle holds ${e(ev.variants)} different records under this eventID. This report is on variant ${e(ev.variant)} (0 is the first ingested); each is attributed on its own (<code>podtrail report --event ${e(ev.eventID)}#&lt;variant&gt;</code>).</div>`
      : '';
  const others = ev.otherVariants
    .map((o) => raws.cite(`variant ${e(o.variant)} · ${where(o.provenance)} · differs in ${e(o.differs.join(', '))}`, o.raw, 'under “The event”'))
    .join('\n');
  return `<h2>The event</h2>
${conflict}
<p class="muted">${ev.provenance.map((p) => `${e(p.path)} #${e(p.recordIndex)}`).join('<br>')}</p>
<pre>${e(pretty(ev.raw))}</pre>
${others ? `<h3>The other records under this eventID</h3>\n${others}` : ''}`;
}

export function reportHtml(m: ReportModel): string {
  const a = m.attribution;
  const pod = a.pod ? `${e(a.pod.name)}${a.pod.nameTruncated ? ' (truncated prefix)' : ''}${a.pod.uid ? ` <span class="muted">uid ${e(a.pod.uid)}</span>` : ''}` : '—';
  const node = a.node ? `${e(a.node.instanceId ?? '')}${a.node.name ? ` (${e(a.node.name)})` : ''}` : '—';
  const cluster = a.cluster
    ? `${e(a.cluster.name ?? '(name not in evidence)')}${a.cluster.arn ? ` <span class="muted">${e(a.cluster.arn)}</span>` : ''}${a.cluster.oidcId ? ` <span class="muted">OIDC ${e(a.cluster.oidcId)}</span>` : ''}`
    : '—';
  const candidates = a.candidates.length
    ? `<table><tr><th>pod</th><th>node</th><th>score</th><th>why</th></tr>${a.candidates
        .map((c) => `<tr><td>${e(c.pod?.name ?? '—')}</td><td>${e(c.node?.instanceId ?? '—')}</td><td>${e(c.score)}</td><td>${e(c.why)}</td></tr>`)
        .join('')}</table>`
    : '';
  const raws = new RawRecords(m.event.raw);
  const hops = m.hops
    .map(
      (h, i) => `<li><div>${badge(h.confidence)} <strong>${e(h.rule)}</strong>: ${e(h.claim)}</div>
<div class="muted">fields: ${h.fields.map((f) => `<code>${e(f)}</code>`).join(', ') || '—'}</div>
${hopRecords(h.records, raws, i + 1)}</li>`,
    )
    .join('\n');
  const event = eventSection(m, raws);
  const checks = new Map((m.evidenceCheck ?? []).map((c) => [c.path, c]));
  const files = m.files
    .map((f) => `<tr><td>${e(f.path)}</td><td>${e(f.format)}</td><td>${e(f.size)}</td><td><code>${e(f.sha256)}</code>${f.sha256Decompressed ? `<br><span class="muted">decompressed</span> <code>${e(f.sha256Decompressed)}</code>` : ''}</td><td>${recheckCell(checks.get(f.path))}</td></tr>`)
    .join('');
  const warnings = [
    ...(m.evidenceCheck ?? []).filter((c) => c.status === 'changed' || c.status === 'unreadable').map((c) => `${c.path}: ${c.status === 'changed' ? 'changed since it was ingested' : `unreadable (${c.detail ?? ''})`}`),
    ...(m.custody && !m.custody.intact ? m.custody.problems.map((p) => `custody log: ${p}`) : []),
  ];
  const integ = m.integrity;
  const integrityRows = integ.files
    .map((f) => `<tr><td>${e(f.path)}</td><td>${f.status === 'failed' ? '<strong>FAILED</strong>' : e(fileStatusWords(f.status))}</td><td>${e(f.detail)}</td></tr>`)
    .join('');
  const eventIntegrity = integ.event.map((f) => `${e(fileStatusWords(f.status))} <span class="muted">(${e(f.path)})</span>`).join('<br>') || '—';
  const integrityFailed = integ.files.filter((f) => f.status === 'failed');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<title>PodTrail attribution report — ${e(m.event.eventName)} ${e(m.event.eventID)}</title>
<style>${CSS}</style></head><body>
<h1>Attribution report: ${e(m.event.eventName)}</h1>
${warnings.length ? `<div class="warn"><strong>Evidence warning.</strong><ul>${warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul></div>` : ''}
${integrityFailed.length ? `<div class="warn"><strong>Evidence integrity failure.</strong><ul>${integrityFailed.map((f) => `<li>${e(f.path)}: ${e(f.detail)}</li>`).join('')}</ul></div>` : ''}
<p class="muted">${e(m.event.eventSource)} · ${e(m.event.eventTime)} · eventID <code>${e(m.event.eventID)}</code></p>
<h2>Verdict</h2>
<table>
${row('Mechanism', `<strong>${e(a.mechanism)}</strong>${a.chained ? ' (role chaining)' : ''}`)}
${row('Principal', e(a.principal ?? '—'))}
${row('Cluster', cluster)}
${row('Namespace / service account', `${e(a.namespace ?? '—')} / ${e(a.serviceAccount ?? '—')}`)}
${row('Identity confidence', badge(a.confidence.identity))}
${row('Pod', `${pod} ${badge(a.confidence.pod)}`)}
${row('Node', `${node} ${badge(a.confidence.node)}`)}
${row('Access key', e(a.accessKeyId ?? '—'))}
${row('Source IP', e(a.sourceIPAddress ?? '—'))}
${row('User agent', e(m.event.userAgent ?? '—'))}
${row('Detections', m.flags.length ? `<strong>${m.flags.map((f) => e(f.flag)).join(', ')}</strong> (reasons below)` : `none of the ${e(m.detections.length)} raised`)}
${row('Account / region', `${e(a.recipientAccountId ?? '—')} / ${e(a.awsRegion ?? '—')}`)}
${row('Integrity of the event\'s record', eventIntegrity)}
</table>
${detectionsSection(m)}
${credentialSection(m)}
<h2>Chain</h2>
<div>${chainSvg(a)}</div>
${candidates ? `<h2>Candidates</h2>${candidates}` : ''}
${peopleHtml(a)}
${a.notes.length ? `<h2>Notes</h2><ul>${a.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : ''}
<h2>Chain, hop by hop</h2>
<p class="muted">proven: a record states it · inferred: a join on time, cluster or IP picked one answer · ambiguous: several remain · none: the evidence does not reach.</p>
<ol class="hops">${hops}</ol>
${event}
<h2>Evidence integrity</h2>
<p>${integ.verification ? `Case verification #${e(integ.verification.runId)} (${e(integ.verification.verifiedAt)} UTC): <strong>${e(integ.verification.headline)}</strong>` : 'The case has not been verified against CloudTrail digest files (<code>podtrail verify</code>).'}</p>
<p class="muted">authenticated: signed by CloudTrail's key for the region (given by the investigator) · consistent: the hashes agree, but anyone able to write to the bucket could have produced them · not covered: no digest speaks for the file.</p>
<table><tr><th>path</th><th>integrity</th><th>why</th></tr>${integrityRows}</table>
<h2>Chain of custody</h2>
<table>
${row('Tool', `${e(m.tool.name)} ${e(m.tool.version)}`)}
${row('Case', e(m.case.path))}
${row('Case contents', `${e(m.case.events)} events from ${e(m.case.evidenceFiles)} evidence files${m.case.failedFiles ? `, ${e(m.case.failedFiles)} unreadable` : ''}`)}
${row('Last ingest (UTC)', e(m.case.lastIngestAt ?? '—'))}
${row('Times', e(m.timeNote))}
${m.custody ? row('Custody log', custodyCell(m.custody, m.examiner)) : ''}
</table>
<h3>Evidence files cited</h3>
<table><tr><th>path</th><th>format</th><th>bytes</th><th>SHA-256</th><th>re-checked before this report</th></tr>${files}</table>
</body></html>
`;
}
