/**
 * The evidence behind what is selected in the graph: an edge shows exactly the records `podtrail trace` cites for
 * its hops (past the pod, those `trace.people` cites: an action's audit event, a person's key and its chain) — each
 * with its file, record index and the file's SHA-256, and the record itself with the fields the hop read marked —
 * under one confidence word, the one the deciding hop earned; a node shows what it is and its blast radius. Also the
 * chain's steps as a list (keyboard and screen-reader access to the edges).
 */
import { useEffect, useRef } from 'react';
import type { EvidenceRecordView, HopView, TraceView } from '../../../shared/api';
import type { Confidence } from '../../../shared/attribution';
import type { GraphEdgeData, GraphElement, GraphNodeData } from '../model/graph';
import { formatCount, formatTime, shortSource, shown } from '../model/format';
import { ruleWords } from '../model/confidence';
import { ConfidenceBadge } from './badges';
import { RawRecord, RecordSources } from './RawRecord';
import type { GraphSelection } from './ChainGraph';
import type { Expansion } from './DetailPane';
import { SessionPivot } from './Verdict';

/** Records per step up to which their text is shown open; past it each opens on a click. */
const OPEN_RECORDS = 2;

/** One record a hop cites: what it is, where it was read (file, record index, the file's SHA-256), and the record as read. */
function EvidenceItem({ r, hop, testId, open }: { r: EvidenceRecordView; hop: HopView; testId: string; open: boolean }) {
  return (
    <div className="hop-record" data-testid={testId} data-record-id={r.id} data-kind={r.kind} data-rule={hop.rule}>
      <div className="record-title">
        {r.kind !== 'document' ? (
          <>
            {r.kind === 'audit' && <span className="muted">EKS audit </span>}
            <b>{shown(r.eventName)}</b> {formatTime(r.eventTime)} <span className="mono muted selectable">{shown(r.id)}</span>
          </>
        ) : (
          <>
            document <span className="mono selectable">{shown(r.id)}</span>
          </>
        )}
        {r.variant !== undefined && (
          <span className="muted">
            {' '}
            · variant {r.variant} of {r.variants}
          </span>
        )}
      </div>
      {r.variantNote && <p className="muted small">{shown(r.variantNote)}</p>}
      <RecordSources provenance={r.provenance} />
      <details className="record-raw" open={open}>
        <summary>raw record</summary>
        <RawRecord raw={r.raw} fields={hop.fields} testId="hop-record" />
      </details>
    </div>
  );
}

/**
 * A hop and the records it cites. On a step, `role` says whether the hop decides the step (its confidence is the
 * step's, shown once in the step's head) or is also cited for it (listed after; its own confidence only in the
 * tooltip, so that a step reads one confidence word); on a node the hop carries its own badge.
 */
function HopEvidence({ hop, role, testId, open }: { hop: HopView; role: 'decides' | 'also' | 'node'; testId: string; open: boolean }) {
  return (
    <div className={`hop hop-${role}`} data-rule={hop.rule} data-role={role}>
      <div className="hop-head" title={role === 'also' ? `this hop alone is ${hop.confidence}; the step's confidence is that of the hop that decides it` : undefined}>
        {role === 'node' && <ConfidenceBadge value={hop.confidence} />}
        {role === 'also' && <span className="muted">also cited: </span>}
        <b>{ruleWords(hop.rule)}</b> <span className="muted">({hop.rule})</span>
        {role === 'also' && <span className="muted small"> — it does not decide this step</span>}
      </div>
      <p className="claim">{shown(hop.claim)}</p>
      {hop.records.length === 0 && <p className="muted small">{hop.evidence.length ? `evidence ${hop.evidence.join(', ')} is not in the case` : "read from the event's own record (below the verdict)"}</p>}
      {hop.records.map((r, i) => (
        <EvidenceItem key={`${r.id}#${r.variant ?? 0}#${i}`} r={r} hop={hop} testId={testId} open={open} />
      ))}
    </div>
  );
}

/** A node in a sentence: its value lines ("ml/feature-store"), or its kind when unknown ("pod ?"). */
function nodeLabel(n: GraphNodeData | undefined): string {
  if (!n) return '?';
  const [tag = '', ...rest] = n.label.split('\n');
  const value = rest.join(' ');
  // An action says what it was ("exec 2026-03-02 02:41:10"); other nodes are their value.
  return !value ? n.label : value === '?' || n.kind === 'action' ? `${tag.toLowerCase()} ${value}` : value;
}

export function Steps({ elements, selected, onSelect }: { elements: GraphElement[]; selected: GraphSelection | null; onSelect?: (s: GraphSelection) => void }) {
  const nodes = new Map(elements.filter((e) => e.group === 'nodes').map((e) => [e.data.id, e.data as GraphNodeData]));
  const edges = elements.filter((e) => e.group === 'edges' && e.data.kind !== 'blast' && e.data.kind !== 'more').map((e) => e.data as GraphEdgeData);
  return (
    <ol className="steps">
      {edges.map((e) => (
        <li key={e.id}>
          <button type="button" className={`step ${selected?.id === e.id ? 'active' : ''}`} data-testid="chain-edge" data-edge={e.id} data-confidence={e.confidence} onClick={() => onSelect?.({ group: 'edges', id: e.id })}>
            <span className={`line-sample line-${e.confidence}`} />
            <span className="step-text">
              {nodeLabel(nodes.get(e.source))} → {nodeLabel(nodes.get(e.target))}
            </span>
            <span className={`step-conf conf-text-${e.confidence}`}>{e.label.replace('\n', ' · ')}</span>
          </button>
        </li>
      ))}
    </ol>
  );
}

function BlastList({ node, expansions, onJump }: { node: GraphNodeData; expansions: Map<string, Expansion>; onJump: (id: string) => void }) {
  const x = expansions.get(node.blast!.anchor);
  const ids = new Set(node.blast!.eventIDs);
  const rows = (x?.page?.rows ?? []).filter((r) => ids.has(r.eventID));
  return (
    <div>
      <p>
        {node.title}
        {x?.page && x.page.total > x.page.rows.length && (
          <span className="warn">
            {' '}
            (the expansion shows the first {formatCount(x.page.rows.length)} of {formatCount(x.page.total)} events)
          </span>
        )}
      </p>
      <table className="grid compact">
        <tbody>
          {rows.slice(0, 500).map((r) => (
            <tr key={r.rowid} className="clickable" onClick={() => onJump(r.eventID)} title="open this event">
              <td className="mono">{formatTime(r.eventTime)}</td>
              <td>{shown(r.eventName)}</td>
              <td>{shortSource(r.eventSource)}</td>
              <td className="mono">{r.sourceIp}</td>
              <td className="err">{r.errorCode}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > 500 && <p className="muted">{formatCount(rows.length - 500)} more…</p>}
    </div>
  );
}

export function Selected({
  trace,
  el,
  expansions,
  onClear,
  onJump,
  onExpand,
  onSession,
}: {
  trace: TraceView;
  el: GraphElement;
  expansions: Map<string, Expansion>;
  onClear: () => void;
  onJump: (id: string) => void;
  onExpand: (id: string) => void;
  onSession?: (accessKeyId: string) => void;
}) {
  const ref = useRef<HTMLElement>(null);
  // The hops behind the selection: this event's (indexes into trace.hops), or past the pod a person's own.
  const hops: HopView[] = el.data.peopleHops ?? (el.data.hops ?? []).map((i) => trace.hops[i]!);
  // The records' text is shown open when the selection cites few of them; otherwise each opens on a click.
  const cited = hops.reduce((n, h) => n + h.records.length, 0) + (el.group === 'edges' && el.data.selfFields.length > 0 ? 1 : 0);
  const open = cited <= OPEN_RECORDS;
  // Bring the evidence of a newly selected step or node into view. (Braces: newer Chromium returns a Promise
  // from scrollIntoView, which React would take for a cleanup function.)
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'start' });
  }, [el.data.id]);
  return (
    <section className="graph-selection" data-testid="graph-selection" data-selected={el.data.id} key={el.data.id} ref={ref}>
      <div className="section-head">
        <h3>{el.group === 'edges' ? 'How this step is known' : 'Node'}</h3>
        <button type="button" className="btn small" onClick={onClear}>
          Back to the event record
        </button>
      </div>
      {el.group === 'edges' ? (
        <>
          <p data-testid="step-head" data-confidence={el.data.confidence}>
            <ConfidenceBadge value={el.data.confidence as Confidence} testId="step-confidence" /> {el.data.rule ?? ''}
            {el.data.score !== undefined && <> — score {el.data.score.toFixed(3)}</>}
          </p>
          {el.data.why && <p className="claim">{shown(el.data.why)}</p>}
          {el.data.kind === 'blast' && <p className="muted">Events attributed to the same credential or workload (blast radius).</p>}
          {hops.map((hop, n) => (
            <HopEvidence key={n} hop={hop} role={n < el.data.decisive ? 'decides' : 'also'} testId="step-evidence" open={open} />
          ))}
          {el.data.selfFields.length > 0 && trace.event && (
            <div className="hop hop-self" data-role="self">
              <div className="hop-head">
                <b>the event itself</b> <span className="muted">names the key it was signed with</span>
              </div>
              <EvidenceItem
                r={{ id: trace.event.eventID, kind: 'event', eventName: trace.event.eventName, eventTime: trace.event.eventTime, provenance: trace.event.provenance, raw: trace.event.raw }}
                hop={{ rule: 'signed with', confidence: el.data.confidence as Confidence, claim: '', evidence: [trace.event.eventID], fields: el.data.selfFields, records: [] }}
                testId="step-evidence"
                open={open}
              />
            </div>
          )}
          {el.data.kind === 'more' && <p className="muted">Not drawn, to keep the graph readable: every action on the pod is listed under People.</p>}
          {hops.length === 0 && el.data.selfFields.length === 0 && el.data.kind !== 'blast' && el.data.kind !== 'more' && <p className="muted">No record establishes this step: {el.data.confidence === 'none' ? 'the evidence does not reach it.' : 'it follows from the attribution.'}</p>}
        </>
      ) : (
        <>
          <pre className="node-title">{el.data.title}</pre>
          {el.data.kind === 'session' && el.data.link && onSession && (
            <p>
              <SessionPivot accessKeyId={el.data.link.accessKeyId} onSession={onSession} testId="node-filter-key" />
            </p>
          )}
          {el.data.expand && (
            <p>
              <button type="button" className="btn small" onClick={() => onExpand(el.data.id)}>
                {expansions.has(el.data.id) ? 'Collapse blast radius' : 'Expand blast radius'}
              </button>{' '}
              <ExpansionStatus x={expansions.get(el.data.id)} />
            </p>
          )}
          {el.data.kind === 'blastBand' && el.data.blast && (
            <p>
              <button type="button" className="btn small" onClick={() => onExpand(el.data.blast!.anchor)}>
                Collapse blast radius
              </button>{' '}
              <span className="muted">click a kind of call to list its events</span>
            </p>
          )}
          {el.data.kind === 'blastGroup' && el.data.blast && <BlastList node={el.data} expansions={expansions} onJump={onJump} />}
          {hops.map((hop, n) => (
            <HopEvidence key={n} hop={hop} role="node" testId="node-evidence" open={open} />
          ))}
        </>
      )}
    </section>
  );
}

function ExpansionStatus({ x }: { x: Expansion | undefined }) {
  if (!x) return null;
  if (x.error) return <span className="err">{x.error}</span>;
  if (!x.page) return <span className="muted">loading…</span>;
  return (
    <span className="muted">
      {formatCount(x.page.total)} events{x.page.total > x.page.rows.length ? `, first ${formatCount(x.page.rows.length)} drawn` : ''}
    </span>
  );
}

