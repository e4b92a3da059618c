/**
 * The evidence behind what is selected in the graph: an edge shows the records of its hops with the fields they
 * used marked; a node shows what it is and its blast radius. Also the chain's steps as a list (keyboard and
 * screen-reader access to the edges).
 */
import { useEffect, useRef } from 'react';
import type { HopView, TraceView } from '../../../shared/api';
import type { Confidence } from '../../../shared/attribution';
import type { GraphEdgeData, GraphElement, GraphNodeData } from '../model/graph';
import { formatCount, formatTime, shortSource, shown } from '../model/format';
import { ruleWords } from '../model/confidence';
import { ConfidenceBadge } from './badges';
import { RawRecord } from './RawRecord';
import type { GraphSelection } from './ChainGraph';
import type { Expansion } from './DetailPane';
import { SessionPivot } from './Verdict';

function HopEvidence({ hop }: { hop: HopView }) {
  return (
    <div className="hop">
      <div className="hop-head">
        <ConfidenceBadge value={hop.confidence} />
        <b>{ruleWords(hop.rule)}</b> <span className="muted">({hop.rule})</span>
      </div>
      <p className="claim">{shown(hop.claim)}</p>
      {hop.records.length === 0 && <p className="muted small">{hop.evidence.length ? `evidence ${hop.evidence.join(', ')} is not in the case` : "read from the event's own record (below the verdict)"}</p>}
      {hop.records.map((r) => (
        <div key={r.id} className="hop-record">
          <div className="record-title">
            {r.kind !== 'document' ? (
              <>
                {r.kind === 'audit' && <span className="muted">EKS audit </span>}
                <b>{shown(r.eventName)}</b> {formatTime(r.eventTime)} <span className="mono muted">{shown(r.id)}</span>
              </>
            ) : (
              <>
                document <span className="mono">{shown(r.id)}</span>
              </>
            )}
          </div>
          <RawRecord raw={r.raw} fields={hop.fields} provenance={r.provenance} testId="hop-record" />
        </div>
      ))}
    </div>
  );
}

/** A node in a sentence: its value lines ("ml/feature-store"), or its kind when unknown ("pod ?"). */
function nodeLabel(n: GraphNodeData | undefined): string {
  if (!n) return '?';
  const [tag = '', ...rest] = n.label.split('\n');
  const value = rest.join(' ');
  return !value ? n.label : value === '?' ? `${tag.toLowerCase()} ?` : value;
}

export function Steps({ elements, selected, onSelect }: { elements: GraphElement[]; selected: GraphSelection | null; onSelect?: (s: GraphSelection) => void }) {
  const nodes = new Map(elements.filter((e) => e.group === 'nodes').map((e) => [e.data.id, e.data as GraphNodeData]));
  const edges = elements.filter((e) => e.group === 'edges' && e.data.kind !== 'blast').map((e) => e.data as GraphEdgeData);
  return (
    <ol className="steps">
      {edges.map((e) => (
        <li key={e.id}>
          <button type="button" className={`step ${selected?.id === e.id ? 'active' : ''}`} data-testid="chain-edge" data-confidence={e.confidence} onClick={() => onSelect?.({ group: 'edges', id: e.id })}>
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
  // Bring the evidence of a newly selected step or node into view. (Braces: newer Chromium returns a Promise
  // from scrollIntoView, which React would take for a cleanup function.)
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'start' });
  }, [el.data.id]);
  return (
    <section className="graph-selection" data-testid="graph-selection" ref={ref}>
      <div className="section-head">
        <h3>{el.group === 'edges' ? 'How this step is known' : 'Node'}</h3>
        <button type="button" className="btn small" onClick={onClear}>
          Back to the event record
        </button>
      </div>
      {el.group === 'edges' ? (
        <>
          <p>
            <ConfidenceBadge value={el.data.confidence as Confidence} /> {el.data.label.replace('\n', ' · ')}
            {el.data.score !== undefined && <> — score {el.data.score.toFixed(3)}</>}
          </p>
          {el.data.why && <p className="claim">{shown(el.data.why)}</p>}
          {el.data.kind === 'blast' && <p className="muted">Events attributed to the same credential or workload (blast radius).</p>}
          {el.data.hops.map((i) => (
            <HopEvidence key={i} hop={trace.hops[i]!} />
          ))}
          {el.data.selfFields.length > 0 && trace.event && (
            <div className="hop">
              <div className="hop-head">
                <ConfidenceBadge value="proven" /> <b>the event itself</b> <span className="muted">names the key it was signed with</span>
              </div>
              <RawRecord raw={trace.event.raw} fields={el.data.selfFields} provenance={trace.event.provenance} testId="hop-record" />
            </div>
          )}
          {el.data.hops.length === 0 && el.data.selfFields.length === 0 && el.data.kind !== 'blast' && <p className="muted">No record establishes this step: {el.data.confidence === 'none' ? 'the evidence does not reach it.' : 'it follows from the attribution.'}</p>}
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
          {(el.data.hops ?? []).map((i) => (
            <HopEvidence key={i} hop={trace.hops[i]!} />
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

