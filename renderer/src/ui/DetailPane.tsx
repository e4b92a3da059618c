/**
 * The detail pane: the verdict for the opened event, its candidates and notes, the chain's steps, and the
 * evidence behind whatever is selected in the graph (or the event's own record when nothing is).
 */
import { memo } from 'react';
import type { EventFilters, EventPage, TraceView } from '../../../shared/api';
import { eventRecordFields, type ExpandSpec, type GraphElement } from '../model/graph';
import { formatTime, shortSource, shown } from '../model/format';
import { RawRecord } from './RawRecord';
import type { GraphSelection } from './ChainGraph';
import { Blast, Verdict } from './Verdict';
import { Selected, Steps } from './GraphEvidence';
import { NotesPanel } from './NotesPanel';
import { PodActors } from './PodActors';

export interface Expansion {
  spec: ExpandSpec;
  page: EventPage | null;
  error: string | null;
}

interface Props {
  trace: TraceView | null;
  loading: boolean;
  error: string | null;
  elements: GraphElement[];
  selected: GraphSelection | null;
  expansions: Map<string, Expansion>;
  onClearSelection: () => void;
  onSelect?: (s: GraphSelection) => void;
  onJump: (eventID: string) => void;
  onPivot: (f: EventFilters) => void;
  /** Filter the table to one credential session (an access key), the other filters cleared. */
  onSession?: (accessKeyId: string) => void;
  onExpand: (nodeId: string) => void;
}

function DetailPaneView({ trace, loading, error, elements, selected, expansions, onClearSelection, onSelect, onJump, onPivot, onSession, onExpand }: Props) {
  if (loading) return <div className="detail muted pad">Tracing…</div>;
  if (error) return <div className="detail err pad">{error}</div>;
  if (!trace) {
    return (
      <div className="detail pad">
        <h3>No event open</h3>
        <ul className="keys">
          <li>
            <kbd>/</kbd> search, or paste an eventID / access key and press <kbd>Enter</kbd>
          </li>
          <li>
            <kbd>j</kbd> <kbd>k</kbd> move through the table, <kbd>Enter</kbd> opens the chain
          </li>
          <li>
            <kbd>e</kbd> export: the report of the selected event, or the filtered table (CSV, JSON Lines, Timesketch)
          </li>
          <li>drag across the timeline to narrow the time range</li>
          <li>right-click a row to filter the table to its access key (its session), a detection, the event or the workload</li>
        </ul>
      </div>
    );
  }
  const a = trace.attribution ?? trace.resolution;
  const el = selected ? elements.find((e) => e.group === selected.group && e.data.id === selected.id) : undefined;
  const ev = trace.event;
  return (
    <div className="detail" data-testid="detail-pane">
      {ev && (
        <div className="event-head">
          <b>{shown(ev.eventName)}</b> <span className="muted">{shown(shortSource(ev.eventSource))}</span> <span className="mono">{formatTime(ev.eventTime)}</span>
          {ev.sourceIPAddress && <span className="mono muted"> from {shown(ev.sourceIPAddress)}</span>}
          <div className="mono small muted selectable">{shown(ev.eventID)}</div>
        </div>
      )}
      <Verdict trace={trace} onPivot={onPivot} onSession={onSession} blast={(id, what) => <Blast id={id} what={what} elements={elements} expansions={expansions} onExpand={onExpand} />} />
      <NotesPanel trace={trace} onTag={(tag) => onPivot({ tag })} />
      <PodActors trace={trace} onPivot={onPivot} />
      {a.candidates.length > 0 && (
        <section>
          <h3>Candidates</h3>
          <table className="grid compact candidates">
            <thead>
              <tr>
                <th className="num">score</th>
                <th>pod</th>
                <th>node</th>
                <th>why</th>
              </tr>
            </thead>
            <tbody>
              {a.candidates.map((c, i) => (
                <tr key={i}>
                  <td className="num mono">{c.score.toFixed(3)}</td>
                  <td className="mono">{c.pod ? shown(c.pod.name) : '—'}</td>
                  <td className="mono">{c.node?.instanceId ?? '—'}</td>
                  <td>{shown(c.why)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {(a.ruledOut?.length ?? 0) > 0 && (
        <section data-testid="ruled-out">
          <h3>Ruled out: why not these pods?</h3>
          <ul className="notes">
            {a.ruledOut!.map((x, i) => (
              <li key={i} data-testid="ruled-out-pod">
                <span className="mono">{shown(x.pod.name)}</span>
                {x.node?.instanceId && <span className="mono muted"> on {x.node.instanceId}</span>} <b className="mono">{x.rule}</b>: {shown(x.why)}
                {x.evidence.length > 0 && <div className="mono small muted selectable">records: {x.evidence.map((e) => shown(e)).join(', ')}</div>}
              </li>
            ))}
          </ul>
        </section>
      )}
      {a.notes.length > 0 && (
        <section>
          <h3>Notes</h3>
          <ul className="notes">
            {a.notes.map((n, i) => (
              <li key={i}>{shown(n)}</li>
            ))}
          </ul>
        </section>
      )}
      <section>
        <h3>Steps</h3>
        <Steps elements={elements} selected={selected} onSelect={onSelect} />
      </section>
      {el ? (
        <Selected trace={trace} el={el} expansions={expansions} onClear={onClearSelection} onJump={onJump} onExpand={onExpand} onSession={onSession} />
      ) : (
        ev && (
          <section>
            <h3>Event record</h3>
            <RawRecord raw={ev.raw} fields={eventRecordFields(trace)} provenance={ev.provenance} testId="raw-record" />
          </section>
        )
      )}
    </div>
  );
}

/** Drawn again only when its props change (a filter change or a new total leaves the detail as it is). */
export const DetailPane = memo(DetailPaneView);
