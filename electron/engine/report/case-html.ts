/**
 * The case report as one self-contained HTML page (no script, no external resource, every log field escaped),
 * laid out for the screen and for A4 print (the PDF is this page printed by Chromium): fixed table layouts that
 * wrap long values instead of running off the page, and the chain drawn at 1:1 with 13 px text (case-chain-svg.ts).
 */
import { missingCase, type AttributionRecord, type Confidence } from '../../../shared/attribution';
import { DETECTIONS } from '../../../shared/detections';
import { fileStatusWords } from '../../../shared/integrity';
import { NOTE_TARGET_WORDS, type NoteView } from '../../../shared/notes';
import type { EvidenceRecord, Provenance, TracedHop } from '../case/queries';
import { caseChainSvg } from './case-chain-svg';
import type { CaseReportModel, CaseReportRow, CaseReportSession } from './case-model';
import { escapeHtml as e } from './escape';
import { recheckCell } from './html';
import type { ReportModel } from './model';

const CSS = `
@page{size:A4;margin:14mm 12mm}
*{box-sizing:border-box}
body{font:13px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:1.5rem auto;max-width:62rem;color:#1c2430;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.8rem 0 .5rem;border-bottom:1px solid #d6dbe3;padding-bottom:.25rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;width:100%;table-layout:fixed}td,th{border:1px solid #d6dbe3;padding:.25rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere;word-break:break-word}
th{background:#f3f5f8;font-weight:600}table.kv th{width:13rem}
table.summary{font-size:10.5px}table.summary td,table.summary th{padding:.2rem .25rem}table.summary .mono{font-size:10px}table.summary .c{padding:0 .25rem;font-size:10px}
code,pre,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11.5px;overflow-wrap:anywhere;word-break:break-all}
pre{background:#f6f8fa;border:1px solid #d6dbe3;padding:.5rem;white-space:pre-wrap;max-height:30rem;overflow:auto}
.c{display:inline-block;padding:0 .4rem;border-radius:.6rem;font-size:11px;font-weight:600}
.proven{background:#d8f3dc;color:#1b5e20}.inferred{background:#fff3c4;color:#7a5b00}.ambiguous{background:#ffe0cc;color:#8a3b00}.none{background:#eceff3;color:#4a5565}
.sev-high{color:#8c1d18;font-weight:600}.sev-medium{color:#7a5200;font-weight:600}.sev-low{color:#4a5565}
.muted{color:#5b6675}.star{color:#b7791f}.tag{display:inline-block;border:1px solid #c8d0da;border-radius:3px;padding:0 .3rem;margin:0 .2rem .1rem 0;font-size:11px}
.warn{border:2px solid #b3261e;background:#fdecea;padding:.5rem 1rem;margin:1rem 0}
.note{border-left:3px solid #b7791f;background:#fffaf0;padding:.3rem .6rem;margin:.4rem 0;white-space:pre-wrap;overflow-wrap:anywhere}
.diagram{overflow-x:auto}.diagram svg{max-width:100%;height:auto}
ol.hops>li{margin-bottom:.8rem}details{margin:.2rem 0}
section.item{border-top:2px solid #44546a;margin-top:2rem}
@media print{body{margin:0;max-width:none;padding:0}pre{max-height:none;overflow:visible}section.item{break-before:page;border-top:0}.diagram{overflow:visible}h2,h3{break-after:avoid}tr{break-inside:avoid}}`;

function badge(c: Confidence): string {
  return `<span class="c ${c}">${e(c)}</span>`;
}

function kv(label: string, value: string): string {
  return `<tr><th>${e(label)}</th><td>${value}</td></tr>`;
}

function where(provenance: Provenance[]): string {
  return provenance.map((p) => `${e(p.path)} #${e(p.recordIndex)}`).join('; ');
}

function pretty(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

function recordLine(r: EvidenceRecord): string {
  const what = r.kind === 'event' ? `${r.eventName ?? ''} ${r.eventTime ?? ''} — eventID ${r.id}` : r.kind === 'audit' ? `EKS audit: ${r.eventName ?? ''} ${r.eventTime ?? ''} — auditID ${r.id}` : r.id;
  const sha = r.provenance.map((p) => `<br><span class="muted">file SHA-256</span> <code>${e(p.fileSha256)}</code>`).join('');
  return `<details><summary>${e(what)}${r.variant !== undefined ? ` (variant ${e(r.variant)} of ${e(r.variants)})` : ''} · ${where(r.provenance)}</summary>${sha}<pre>${e(pretty(r.raw))}</pre></details>`;
}

function hopsList(hops: TracedHop[]): string {
  if (hops.length === 0) return '<p class="muted">No hop: the evidence does not reach past the credential.</p>';
  return `<ol class="hops">${hops
    .map(
      (h) => `<li><div>${badge(h.confidence)} <strong>${e(h.rule)}</strong>: ${e(h.claim)}</div>
<div class="muted">fields: ${h.fields.map((f) => `<code>${e(f)}</code>`).join(', ') || '—'}</div>
${h.records.map(recordLine).join('\n')}</li>`,
    )
    .join('\n')}</ol>`;
}

function marks(r: Pick<CaseReportRow, 'starred' | 'tags' | 'notes'>): string {
  return [r.starred ? '<span class="star" title="starred">★</span>' : '', ...r.tags.map((t) => `<span class="tag">${e(t)}</span>`), r.notes ? `<span class="muted">${e(r.notes)} note${r.notes === 1 ? '' : 's'}</span>` : '']
    .filter(Boolean)
    .join(' ');
}

function noteItem(n: NoteView, withTarget: boolean): string {
  const head = `${withTarget ? `${e(NOTE_TARGET_WORDS[n.target.kind])} <code>${e(n.target.value)}</code> · ` : ''}<span class="muted">${e(n.at)} · ${e(n.actor)} · custody entry ${e(n.custodySeq)}</span>`;
  switch (n.kind) {
    case 'star':
      return `<div class="note"><span class="star">★ starred</span> — ${head}</div>`;
    case 'tag':
      return `<div class="note">tag <span class="tag">${e(n.text)}</span> — ${head}</div>`;
    case 'note':
      return `<div class="note">${head}<br>${e(n.text)}</div>`;
    default:
      return missingCase(n.kind);
  }
}

function flagsCell(flags: CaseReportRow['flags']): string {
  return flags.map((f) => `<span class="sev-${DETECTIONS[f].severity}">${e(f)}</span>`).join('<br>');
}

const LETTER: Record<Confidence, string> = { proven: 'P', inferred: 'I', ambiguous: 'A', none: 'N' };

/** One confidence as a letter in its colour (the summary's I · P · N column; the legend is under the table). */
function letter(c: Confidence, what: string): string {
  return `<span class="c ${c}" title="${e(what)}: ${e(c)}">${LETTER[c]}</span>`;
}

function summaryTable(m: CaseReportModel): string {
  const rows = m.rows
    .map(
      (r) => `<tr><td class="mono">${e(r.eventTime)}</td><td>${r.detailed ? `<a href="#ev-${e(anchor(r.eventID, r.variant))}">${e(r.eventName)}</a>` : e(r.eventName)}${r.errorCode ? ` <span class="sev-high">${e(r.errorCode)}</span>` : ''}<br><span class="muted mono">${e(r.eventID)}${r.variant ? `#${e(r.variant)}` : ''}</span></td>
<td class="mono">${e(r.account ?? '—')}<br>${e(r.region ?? '—')}<br>${e(r.sourceIp ?? '—')}</td><td class="mono">${e(r.accessKeyId ?? '—')}</td>
<td>${e(r.mechanism)}${r.cluster ? `<br><span class="muted">${e(r.cluster)}</span>` : ''}${r.namespace || r.serviceAccount ? `<br>${e(r.namespace ?? '?')}/${e(r.serviceAccount ?? '?')}` : ''}</td>
<td class="mono">${e(r.pod ?? '—')}<br>${e(r.node ?? '—')}</td>
<td>${letter(r.confidence.identity, 'identity')} ${letter(r.confidence.pod, 'pod')} ${letter(r.confidence.node, 'node')}</td><td>${flagsCell(r.flags)}</td><td>${marks(r)}</td></tr>`,
    )
    .join('\n');
  return `<table class="summary"><colgroup><col style="width:10%"><col style="width:16%"><col style="width:12%"><col style="width:11%"><col style="width:13%"><col style="width:14%"><col style="width:6%"><col style="width:12%"><col style="width:6%"></colgroup>
<tr><th>time (UTC)</th><th>event, eventID</th><th>account, region, source IP</th><th>access key</th><th>mechanism, cluster, namespace/SA</th><th>pod, node</th><th>I · P · N</th><th>detections</th><th>★ tags notes</th></tr>
${rows}</table>
<p class="muted">I · P · N: how sure the identity, the pod and the node are — P proven, I inferred, A ambiguous, N none. Detections by severity: <span class="sev-high">high</span>, <span class="sev-medium">medium</span>.</p>`;
}

function anchor(eventID: string, variant: number): string {
  return `${eventID}-${variant}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The verdict; for a session (`ips` given), the addresses its calls came from instead of one event's. */
function verdictTable(a: AttributionRecord, userAgent: string | null, ips?: { ip: string | null; events: number }[]): string {
  const pod = a.pod ? `${e(a.pod.name)}${a.pod.nameTruncated ? ' (truncated prefix)' : ''}${a.pod.uid ? ` <span class="muted">uid ${e(a.pod.uid)}</span>` : ''}` : '—';
  const node = a.node ? `${e(a.node.instanceId ?? '')}${a.node.name ? ` (${e(a.node.name)})` : ''}` : '—';
  const cluster = a.cluster ? `${e(a.cluster.name ?? '(name not in evidence)')}${a.cluster.arn ? ` <span class="muted">${e(a.cluster.arn)}</span>` : ''}` : '—';
  return `<table class="kv">
${kv('Mechanism', `<strong>${e(a.mechanism)}</strong>${a.chained ? ' (role chaining)' : ''}`)}
${kv('Principal', e(a.principal ?? '—'))}
${kv('Cluster', cluster)}
${kv('Namespace / service account', `${e(a.namespace ?? '—')} / ${e(a.serviceAccount ?? '—')}`)}
${kv('Identity', badge(a.confidence.identity))}
${kv('Pod', `${pod} ${badge(a.confidence.pod)}`)}
${kv('Node', `${node} ${badge(a.confidence.node)}`)}
${kv('Access key', `<code>${e(a.accessKeyId ?? '—')}</code>`)}
${ips ? kv('Source IPs', ips.map((x) => `<code>${e(x.ip ?? '—')}</code> (${e(x.events)})`).join(', ') || '—') : kv('Source IP', e(a.sourceIPAddress ?? '—'))}
${userAgent !== null ? kv('User agent', e(userAgent)) : ''}
${ips ? '' : kv('Account / region', `${e(a.recipientAccountId ?? '—')} / ${e(a.awsRegion ?? '—')}`)}
</table>`;
}

function detections(flags: { flag: CaseReportRow['flags'][number]; detail: string }[]): string {
  if (flags.length === 0) return '<p>No detection was raised on this event.</p>';
  return `<div class="warn"><strong>Flagged by ${e(flags.length)} detection${flags.length === 1 ? '' : 's'}.</strong><ul>${flags
    .map((f) => `<li><strong class="sev-${DETECTIONS[f.flag].severity}">${e(f.flag)}</strong> (${e(DETECTIONS[f.flag].severity)}): ${e(f.detail)}</li>`)
    .join('')}</ul></div>`;
}

function eventSection(r: ReportModel, notes: NoteView[], index: number): string {
  const a = r.attribution;
  const candidates = a.candidates.length
    ? `<h3>Candidates</h3><table><tr><th>pod</th><th>node</th><th style="width:5rem">score</th><th>why</th></tr>${a.candidates
        .map((c) => `<tr><td class="mono">${e(c.pod?.name ?? '—')}</td><td class="mono">${e(c.node?.instanceId ?? '—')}</td><td>${e(c.score)}</td><td>${e(c.why)}</td></tr>`)
        .join('')}</table>`
    : '';
  const ruled = a.ruledOut?.length
    ? `<h3>Ruled out</h3><ul>${a.ruledOut.map((x) => `<li><code>${e(x.pod.name)}</code> <strong>${e(x.rule)}</strong>: ${e(x.why)}</li>`).join('')}</ul>`
    : '';
  return `<section class="item" id="ev-${e(anchor(r.event.eventID, r.event.variant))}">
<h2>${e(index)}. ${e(r.event.eventName)} <span class="muted">${e(r.event.eventTime)}</span></h2>
<p class="muted">${e(r.event.eventSource)} · eventID <code>${e(r.event.eventID)}</code>${r.event.variants > 1 ? ` · variant ${e(r.event.variant)} of ${e(r.event.variants)}` : ''}</p>
${verdictTable(a, r.event.userAgent)}
<h3>Detections and reasons</h3>
${detections(r.flags)}
<h3>Notes</h3>
${notes.length ? notes.map((n) => noteItem(n, true)).join('\n') : '<p class="muted">No star, tag or note on this event, its pod, session or principal.</p>'}
<h3>Chain</h3>
<div class="diagram">${caseChainSvg(a)}</div>
${candidates}${ruled}
${a.notes.length ? `<h3>What the chain notes</h3><ul>${a.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : ''}
<h3>Hop by hop</h3>
${hopsList(r.hops)}
<h3>The event's record</h3>
<p class="muted">${where(r.event.provenance)}</p>
<details><summary>raw record</summary><pre>${e(pretty(r.event.raw))}</pre></details>
</section>`;
}

function sessionSection(s: CaseReportSession, notes: NoteView[], index: number): string {
  const a = { ...s.resolution, eventID: '', eventTime: '', eventSource: '', eventName: '', recipientAccountId: null, awsRegion: null, sourceIPAddress: null, accessKeyId: s.accessKeyId, evidence: [] } as AttributionRecord;
  const first = { title: 'SESSION', lines: [s.accessKeyId, `${s.events} event${s.events === 1 ? '' : 's'}, ${s.first ?? '?'} – ${s.last ?? '?'}`] };
  const dets = s.detections.length
    ? `<div class="warn"><strong>Detections over the session's events</strong><ul>${s.detections
        .map((d) => `<li><strong class="sev-${d.severity}">${e(d.flag)}</strong> (${e(d.severity)}) on ${e(d.events)} event${d.events === 1 ? '' : 's'}${d.reasons.length ? `<ul>${d.reasons.map((x) => `<li>${e(x)}</li>`).join('')}</ul>` : ''}</li>`)
        .join('')}</ul></div>`
    : '<p>No detection was raised on any event of this session.</p>';
  const calls = s.calls.map((c) => `<tr><td>${e(c.eventName)} <span class="muted">${e(c.eventSource)}</span></td><td>${e(c.count)}</td></tr>`).join('');
  const mine = notes.filter((n) => (n.target.kind === 'session' && n.target.value === s.accessKeyId) || (n.target.kind === 'principal' && n.target.value === s.resolution.principal));
  return `<section class="item" id="session-${e(anchor(s.accessKeyId, 0))}">
<h2>${e(index)}. Session <code>${e(s.accessKeyId)}</code></h2>
<p>${e(s.events)} event${s.events === 1 ? '' : 's'} made with this key, ${e(s.first ?? '?')} to ${e(s.last ?? '?')} (UTC)${s.listed < s.events ? `; the summary lists the first ${e(s.listed)}` : ', all listed in the summary'}.</p>
${verdictTable(a, null, s.sourceIps)}
<h3>Detections and reasons</h3>
${dets}
<h3>Notes</h3>
${mine.length ? mine.map((n) => noteItem(n, true)).join('\n') : '<p class="muted">No star, tag or note on this session or its principal.</p>'}
<h3>Chain</h3>
<div class="diagram">${caseChainSvg(a, first)}</div>
<h3>Hop by hop</h3>
${hopsList(s.hops)}
<h3>Calls made with the key</h3>
<table><tr><th>API</th><th style="width:6rem">calls</th></tr>${calls}</table>
</section>`;
}

export function caseReportHtml(m: CaseReportModel): string {
  const checks = new Map((m.evidenceCheck ?? []).map((c) => [c.path, c]));
  const integ = new Map(m.integrity.files.map((f) => [f.path, f]));
  const files = m.files
    .map((f) => {
      const i = integ.get(f.path);
      return `<tr><td class="mono">${e(f.path)}</td><td>${e(f.format)}<br>${e(f.size)} bytes</td><td><code>${e(f.sha256)}</code>${f.sha256Decompressed ? `<br><span class="muted">decompressed</span> <code>${e(f.sha256Decompressed)}</code>` : ''}</td><td>${recheckCell(checks.get(f.path))}</td><td>${i ? `${i.status === 'failed' ? '<strong>FAILED</strong>' : e(fileStatusWords(i.status))}<br><span class="muted">${e(i.detail)}</span>` : '—'}</td></tr>`;
    })
    .join('\n');
  const warnings = [
    ...(m.evidenceCheck ?? []).filter((c) => c.status === 'changed' || c.status === 'unreadable').map((c) => `${c.path}: ${c.status === 'changed' ? 'changed since it was ingested' : `unreadable (${c.detail ?? ''})`}`),
    ...(m.custody && !m.custody.intact ? m.custody.problems.map((p) => `custody log: ${p}`) : []),
    ...m.integrity.files.filter((f) => f.status === 'failed').map((f) => `${f.path}: integrity verification failed (${f.detail})`),
  ];
  const s = m.summary;
  const sev = (['high', 'medium', 'low'] as const).filter((k) => s.bySeverity[k]).map((k) => `<span class="sev-${k}">${e(s.bySeverity[k])} ${e(k)}</span>`).join(', ');
  const byDet = s.byDetection.map((d) => `<tr><td><code>${e(d.flag)}</code></td><td class="sev-${d.severity}">${e(d.severity)}</td><td>${e(d.events)}</td><td>${e(DETECTIONS[d.flag].summary)}</td></tr>`).join('');
  const custody = m.custody
    ? `${m.custody.pinned ? `made from entry ${e(m.custody.pinned.seq)} (${e(m.custody.pinned.action)}, ${e(m.custody.pinned.at)}), hash <code>${e(m.custody.pinned.entryHash)}</code>` : 'no entry'}; ${m.custody.intact ? 'hash chain intact' : '<strong>hash chain broken</strong>'}`
    : '—';
  let n = 0;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<title>PodTrail — ${e(m.title)} — ${e(m.case.caseId)}</title>
<style>${CSS}</style></head><body>
<h1>${e(m.title)}</h1>
<table class="kv">
${kv('Case id', `<strong>${e(m.case.caseId)}</strong>${m.case.caseIdGiven ? '' : ' <span class="muted">(the case file\'s name: none was given)</span>'}`)}
${kv('Examiner', `<strong>${e(m.case.examiner ?? 'not recorded')}</strong>${m.case.examinerGiven ? '' : ' <span class="muted">(who made the custody entry this report is pinned to: none was given)</span>'}`)}
${kv('Covers', `${e(m.scope.events.length)} event${m.scope.events.length === 1 ? '' : 's'} in full${m.scope.keys.length ? ` and ${e(m.scope.keys.length)} whole session${m.scope.keys.length === 1 ? '' : 's'} (${m.scope.keys.map((k) => `<code>${e(k)}</code>`).join(', ')})` : ''}`)}
${kv('Tool', `${e(m.tool.name)} ${e(m.tool.version)}`)}
${kv('Case', `<span class="mono">${e(m.case.path)}</span> — ${e(m.case.events)} events from ${e(m.case.evidenceFiles)} evidence files${m.case.failedFiles ? `, ${e(m.case.failedFiles)} unreadable` : ''}; last ingest ${e(m.case.lastIngestAt ?? '—')} UTC`)}
${kv('Custody log', custody)}
${kv('Times', e(m.timeNote))}
</table>
${warnings.length ? `<div class="warn"><strong>Evidence warning.</strong><ul>${warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul></div>` : ''}
<h2>Summary</h2>
<p>${e(s.events)} event${s.events === 1 ? '' : 's'} listed${s.sessions ? ` (from ${e(s.sessions)} session${s.sessions === 1 ? '' : 's'} and the events asked for)` : ''}; ${e(s.flagged)} flagged${sev ? ` (${sev}, by their most severe detection)` : ''}; ${e(s.starred)} starred.</p>
${byDet ? `<table><tr><th style="width:16rem">detection</th><th style="width:6rem">severity</th><th style="width:5rem">events</th><th>what it means</th></tr>${byDet}</table>` : ''}
<h3>Events</h3>
${summaryTable(m)}
${m.notes.length ? `<h2>The examiner's stars, tags and notes</h2>\n${m.notes.map((x) => noteItem(x, true)).join('\n')}` : '<h2>The examiner\'s stars, tags and notes</h2><p class="muted">None on what this report covers.</p>'}
${m.details.map((d) => eventSection(d.report, d.notes, ++n)).join('\n')}
${m.sessions.map((x) => sessionSection(x, m.notes, ++n)).join('\n')}
<section class="item">
<h2>Evidence cited, integrity and custody</h2>
<p>${m.integrity.verification ? `Case verification #${e(m.integrity.verification.runId)} (${e(m.integrity.verification.verifiedAt)} UTC): <strong>${e(m.integrity.verification.headline)}</strong>` : 'The case has not been verified against CloudTrail digest files (<code>podtrail verify</code>).'}</p>
<table><colgroup><col style="width:29%"><col style="width:11%"><col style="width:29%"><col style="width:15%"><col style="width:16%"></colgroup>
<tr><th>path</th><th>format, size</th><th>SHA-256</th><th>re-checked before this report</th><th>integrity</th></tr>
${files}</table>
</section>
</body></html>
`;
}
