/** The verdict for the opened event: who made the call and how sure, each answer with its confidence. */
import type { ReactNode } from 'react';
import type { EventFilters, TraceView } from '../../../shared/api';
import type { GraphElement } from '../model/graph';
import { DETECTIONS, severityOf } from '../../../shared/detections';
import { ConfidenceBadge, SeverityTag } from './badges';
import { shown } from '../model/format';
import type { Expansion } from './DetailPane';
import { CopyButton } from './CopyButton';

function Pivot({ f, onPivot }: { f: EventFilters; onPivot: (f: EventFilters) => void }) {
  return (
    <button type="button" className="pivot" title="filter the table to this" onClick={() => onPivot(f)}>
      filter
    </button>
  );
}

/** The session as the unit of triage: every event signed with this key, the other filters cleared. */
export function SessionPivot({ accessKeyId, onSession, testId = 'pivot-key' }: { accessKeyId: string; onSession: (key: string) => void; testId?: string }) {
  return (
    <button
      type="button"
      className="pivot"
      data-testid={testId}
      title={`show every event of access key ${accessKeyId} (its credential session); the other filters are cleared`}
      aria-label={`filter the table to access key ${accessKeyId}`}
      onClick={() => onSession(accessKeyId)}
    >
      filter session
    </button>
  );
}

/** Load (or drop) the blast radius of a graph node from the verdict, without hunting for it on the canvas. */
export function Blast({ id, what, elements, expansions, onExpand }: { id: string; what: string; elements: GraphElement[]; expansions: Map<string, Expansion>; onExpand: (id: string) => void }) {
  const node = elements.find((e) => e.group === 'nodes' && e.data.id === id);
  if (!node || node.group !== 'nodes' || !node.data.expand) return null;
  return (
    <button type="button" className="pivot" data-testid={`expand-${what}`} title={`every event of this ${what} (blast radius), drawn in the graph`} onClick={() => onExpand(id)}>
      {expansions.has(id) ? 'collapse' : 'blast radius'}
    </button>
  );
}

export function Verdict({ trace, onPivot, onSession, blast }: { trace: TraceView; onPivot: (f: EventFilters) => void; onSession?: (key: string) => void; blast: (id: string, what: string) => ReactNode }) {
  const a = trace.attribution ?? trace.resolution;
  const key = trace.event ? trace.event.accessKeyId : trace.accessKeyId;
  const c = a.confidence;
  const sa = a.namespace && a.serviceAccount ? `${a.namespace}/${a.serviceAccount}` : null;
  const cluster = a.cluster?.name ?? (a.cluster?.oidcId ? `OIDC ${a.cluster.oidcId} (unnamed)` : null);
  return (
    <dl className="verdict" data-testid="verdict">
      <dt>mechanism</dt>
      <dd>
        <span className={`mech mech-${a.mechanism}`} data-testid="attribution-mechanism">
          {a.mechanism}
        </span>
        {a.chained && <span className="tag">chained ×{a.chain.length}</span>}
        <ConfidenceBadge value={c.identity} testId="confidence-identity" />
      </dd>
      <dt>principal</dt>
      <dd className="mono wrap">
        {a.principal ? shown(a.principal) : '—'}
        {a.principal && <CopyButton value={a.principal} what={a.principal.startsWith('arn:') ? 'ARN' : 'principal'} testId="copy-principal" />}
      </dd>
      <dt>access key</dt>
      <dd>
        <span className="mono" data-testid="attribution-key">
          {key ? shown(key) : '—'}
        </span>
        {key && <CopyButton value={key} what="access key" testId="copy-key" />}
        {key && onSession && <SessionPivot accessKeyId={key} onSession={onSession} />}
        {key && blast(`key:0:${key}`, 'session')}
      </dd>
      <dt>service account</dt>
      <dd>
        <span className="mono" data-testid="attribution-serviceaccount">
          {sa ? shown(sa) : '—'}
        </span>
        {sa && <CopyButton value={sa} what="service account" testId="copy-serviceaccount" />}
        <ConfidenceBadge value={sa ? c.identity : 'none'} testId="confidence-serviceaccount" />
        {sa && <Pivot f={{ namespace: a.namespace!, serviceAccount: a.serviceAccount! }} onPivot={onPivot} />}
        {blast('sa', 'serviceaccount')}
      </dd>
      <dt>pod</dt>
      <dd>
        <span className="mono" data-testid="attribution-pod">
          {a.pod ? `${shown(a.pod.name)}${a.pod.nameTruncated ? '…' : ''}` : '—'}
        </span>
        {a.pod && !a.pod.nameTruncated && <CopyButton value={a.pod.name} what="pod name" testId="copy-pod" />}
        <ConfidenceBadge value={c.pod} testId="confidence-pod" />
        {a.pod && !a.pod.nameTruncated && <Pivot f={{ pod: a.pod.name }} onPivot={onPivot} />}
        {blast('pod', 'pod')}
        {a.pod?.uid && <span className="muted mono small"> uid {shown(a.pod.uid)}</span>}
      </dd>
      <dt>node</dt>
      <dd>
        <span className="mono" data-testid="attribution-node">
          {a.node?.instanceId ? shown(a.node.instanceId) : '—'}
        </span>
        {a.node?.instanceId && <CopyButton value={a.node.instanceId} what="node (instance id)" testId="copy-node" />}
        <ConfidenceBadge value={c.node} testId="confidence-node" />
        {a.node?.instanceId && <Pivot f={{ node: a.node.instanceId }} onPivot={onPivot} />}
        {a.node?.instanceId && blast(`node:${a.node.instanceId}`, 'node')}
      </dd>
      <dt>cluster</dt>
      <dd>
        <span className="mono" data-testid="attribution-cluster">
          {cluster ? shown(cluster) : '—'}
        </span>
        {a.cluster?.arn && <CopyButton value={a.cluster.arn} what="cluster ARN" testId="copy-cluster-arn" />}
        {a.cluster?.name && <Pivot f={{ cluster: a.cluster.name }} onPivot={onPivot} />}
      </dd>
      {trace.flags.length > 0 && (
        <>
          <dt>detections</dt>
          <dd>
            <ul className="detections" data-testid="detections">
              {trace.flags.map((f) => (
                <li key={f.flag} data-testid="detection" data-severity={severityOf(f.flag)}>
                  <span className={`flagged sev-${severityOf(f.flag)}`}>⚑</span> <b title={DETECTIONS[f.flag].summary}>{f.flag}</b> <SeverityTag value={severityOf(f.flag)} /> <Pivot f={{ flag: f.flag }} onPivot={onPivot} />
                  <div className="small wrap">{shown(f.detail)}</div>
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}

