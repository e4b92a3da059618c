/** Plain-text trace for the terminal. */
import type { Trace } from '../case/queries';
import { fileStatusWords } from '../../../shared/integrity';
import { revealInvisible } from './escape';
import type { ReportIntegrity } from './model';
import { actorWords, podActorWords } from './people';

function where(provenance: Trace['hops'][number]['records'][number]['provenance']): string {
  return provenance.map((p) => `${p.path} #${p.recordIndex}`).join('; ');
}

/** `integrity`: what the case's latest verification says about the cited files (omitted: no integrity section). */
export function traceText(t: Trace, integrity?: ReportIntegrity): string {
  const out: string[] = [];
  const r = t.resolution;
  if (t.event) {
    out.push(`${t.event.eventName} (${t.event.eventSource}) at ${t.event.eventTime}`);
    const ev = t.event;
    const conflict = ev.variants > 1 ? ` — variant ${ev.variant} of ${ev.variants} different records under this eventID` : '';
    out.push(`  eventID ${ev.eventID}${ev.idSynthetic ? ' (derived: the record has none)' : ''}${conflict}`);
    for (const p of ev.provenance) out.push(`  from ${p.path} #${p.recordIndex}`);
    out.push(`  key ${ev.accessKeyId ?? '(none)'}, source IP ${ev.sourceIPAddress ?? '?'}`);
    out.push(`  user agent ${ev.userAgent ?? '(none)'}`);
    for (const o of ev.otherVariants) {
      out.push(`  other record under this eventID: variant ${o.variant} from ${where(o.provenance)}; differs in ${o.differs.join(', ')} (trace ${ev.eventID}#${o.variant})`);
    }
  } else {
    out.push(`Session behind access key ${t.accessKeyId}`);
  }
  out.push('');
  out.push('Chain:');
  t.hops.forEach((h, i) => {
    out.push(`  ${i + 1}. [${h.confidence}] ${h.rule}: ${h.claim}`);
    if (h.fields.length) out.push(`       fields: ${h.fields.join(', ')}`);
    for (const rec of h.records) {
      const what = rec.kind === 'event' ? `${rec.eventName} ${rec.eventTime} ${rec.id}` : rec.kind === 'audit' ? `EKS audit: ${rec.eventName} ${rec.eventTime} auditID ${rec.id}` : rec.id;
      out.push(`       ${what}${rec.variant !== undefined ? ` (variant ${rec.variant} of ${rec.variants})` : ''} — ${where(rec.provenance)}`);
      if (rec.variantNote) out.push(`         ${rec.variantNote}`);
      for (const o of rec.otherVariants ?? []) out.push(`         not cited: variant ${o.variant} from ${where(o.provenance)}; differs in ${o.differs.join(', ')}`);
    }
  });
  if (t.hops.length === 0) out.push('  (no hop: nothing in the bundle links this credential further)');
  out.push('');
  out.push('Verdict:');
  out.push(`  mechanism       ${r.mechanism}${r.chained ? ' (chained)' : ''}`);
  out.push(`  principal       ${r.principal ?? '—'}`);
  out.push(`  cluster         ${r.cluster ? `${r.cluster.name ?? '(unnamed)'}${r.cluster.oidcId ? ` [OIDC ${r.cluster.oidcId}]` : ''}` : '—'}`);
  out.push(`  namespace/sa    ${r.namespace ?? '—'} / ${r.serviceAccount ?? '—'}`);
  out.push(`  pod             ${r.pod ? `${r.pod.name}${r.pod.nameTruncated ? '… (prefix)' : ''}${r.pod.uid ? ` uid ${r.pod.uid}` : ''}` : '—'}   [${r.confidence.pod}]`);
  out.push(`  node            ${r.node?.instanceId ?? '—'}   [${r.confidence.node}]`);
  out.push(`  identity        [${r.confidence.identity}]`);
  for (const c of r.candidates) out.push(`  candidate       ${c.pod?.name ?? '—'} on ${c.node?.instanceId ?? '—'} score ${c.score}: ${c.why}`);
  // Why not the other pods of the service account alive at the exchange: each with its rule and records.
  for (const x of r.ruledOut ?? []) {
    out.push(`  ruled out       ${x.pod.name} on ${x.node?.instanceId ?? '—'} [${x.rule}]: ${x.why}`);
    if (x.evidence.length) out.push(`                  records: ${x.evidence.join(', ')}`);
  }
  // The people behind the pod (EKS audit log): whose exec session made the call, and who acted on the pod.
  const people = t.attribution ?? r;
  if (people.actor) out.push(`  actor           ${actorWords(people.actor)}`);
  for (const p of people.podActors ?? []) out.push(`  pod actor       ${podActorWords(p)}`, `                  ${p.why}`);
  for (const n of t.attribution?.notes ?? r.notes) out.push(`  note: ${n}`);
  for (const f of t.flags) out.push(`  FLAG ${f.flag}: ${f.detail}`);
  if (integrity) {
    out.push('');
    const v = integrity.verification;
    out.push(`Evidence integrity: ${v ? `verification #${v.runId} at ${v.verifiedAt}: ${v.headline}` : 'not verified (run podtrail verify)'}`);
    for (const f of integrity.files) out.push(`  ${f.path}: ${fileStatusWords(f.status)}${f.status === 'failed' || f.status === 'not-covered' ? ` (${f.detail})` : ''}`);
  }
  // Log text reaches a terminal: escape sequences (ESC, C1 CSI), carriage returns and bidi overrides could rewrite
  // or reorder what the investigator reads. They are shown as \u{…} like in the HTML report; our own newlines stay.
  return revealInvisible(out.join('\n')).replace(/\r/g, '\\u{000d}') + '\n';
}
