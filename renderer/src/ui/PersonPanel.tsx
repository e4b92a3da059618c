/**
 * The Person panel (issue 15, the reverse pivot): while the table is filtered to one person (the 'who' chip that
 * "their calls" sets), everything they did in AWS and in Kubernetes in one timeline, as `podtrail actor` gives it
 * (`actor.timeline`): the AWS events of their credentials, the calls their exec sessions made with a pod's
 * credentials, their actions on pods and their other Kubernetes requests (EKS audit log), each with its time, what,
 * key and how it is tied to them. An AWS entry opens that event (table row, chain and detail); a Kubernetes entry
 * opens to its audit record as read (`evidence.audit`: the raw text, each file, record index and SHA-256).
 * Evidence text is hostile: it only becomes React text, through `shown()`.
 */
import { memo, useEffect, useState } from 'react';
import type { ActorEntry, ActorTimelineView } from '../../../shared/api';
import { formatCount, formatTime, shown } from '../model/format';
import { errorText, useClient } from './client-context';
import { AuditRecord } from './PodActors';

/** Entries the panel asks for (the engine says when the timeline holds more). */
export const PERSON_LIMIT = 2000;

type Loaded = { key: string; timeline: ActorTimelineView | null; error: string | null };

/** One entry's lines: when, which side, what; its key and how it is tied to the person. */
function EntryText({ e }: { e: ActorEntry }) {
  return (
    <>
      <span className="person-line">
        <span className="mono">{formatTime(e.time)}</span> <span className={`person-kind ${e.kind}`}>{e.kind === 'aws' ? 'AWS' : 'K8s'}</span>{' '}
        <b className="mono" data-testid="person-entry-what">
          {shown(e.what)}
        </b>
      </span>
      <span className="person-line small muted" data-testid="person-entry-via">
        {e.accessKeyId && <span className="mono">key {shown(e.accessKeyId)} · </span>}via {shown(e.via)}
      </span>
    </>
  );
}

function Entry({ e, opened, onOpenEvent }: { e: ActorEntry; opened: boolean; onOpenEvent: (eventID: string) => void }) {
  return (
    <li data-testid="person-entry" data-kind={e.kind} data-id={e.id} data-ms={e.ms} className={opened ? 'opened' : undefined}>
      {e.kind === 'aws' ? (
        <button type="button" className="person-event" data-testid="person-entry-open" title="open this event: its row in the table, its chain and detail" onClick={() => onOpenEvent(e.id)}>
          <EntryText e={e} />
        </button>
      ) : (
        <AuditRecord auditID={e.id} label="audit" summary={<EntryText e={e} />} />
      )}
      <div className="mono small muted selectable">{shown(e.id)}</div>
    </li>
  );
}

function PersonPanelView({ principal, version, openedEventID, onOpenEvent }: { principal: string; version: number; openedEventID: string | null; onOpenEvent: (eventID: string) => void }) {
  const client = useClient();
  const key = `${version}|${principal}`;
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  useEffect(() => {
    let live = true;
    client.call('actor.timeline', { target: principal, limit: PERSON_LIMIT }).then(
      (timeline) => live && setLoaded({ key, timeline, error: null }),
      (e: unknown) => live && setLoaded({ key, timeline: null, error: errorText(e) }),
    );
    return () => {
      live = false;
    };
  }, [client, principal, key]);
  const current = loaded?.key === key ? loaded : null;
  const t = current?.timeline ?? null;
  const aws = t ? t.entries.filter((e) => e.kind === 'aws').length : 0;
  return (
    <div className="detail person-panel" data-testid="person-panel" data-principal={principal} data-state={current ? (current.error ? 'error' : 'done') : 'loading'}>
      <h3>Person: AWS and Kubernetes, one timeline</h3>
      <div className="person-who">
        <b className="selectable" data-testid="person-who">
          {shown(principal)}
        </b>
      </div>
      {!current && <div className="muted small">reading their timeline…</div>}
      {current?.error && <div className="err small">{current.error}</div>}
      {t && t.principals.length === 0 && <div className="warn small">no principal in this case matches this person</div>}
      {t && t.principals.length > 1 && (
        <div className="small muted" data-testid="person-principals">
          matches {t.principals.length} principals: {t.principals.map((p) => shown(p)).join(' · ')}
        </div>
      )}
      {t && t.principals.length > 0 && (
        <>
          <div className="small muted" data-testid="person-count">
            {formatCount(aws)} AWS event{aws === 1 ? '' : 's'} and {formatCount(t.entries.length - aws)} Kubernetes request{t.entries.length - aws === 1 ? '' : 's'}, in time order
            {t.truncated && <span className="warn"> — the first {formatCount(t.entries.length)} only: `podtrail actor` lists them all</span>}
          </div>
          <ol className="person-timeline" data-testid="person-timeline">
            {t.entries.map((e, i) => (
              <Entry key={`${i}|${e.kind}|${e.id}`} e={e} opened={e.kind === 'aws' && e.id === openedEventID} onOpenEvent={onOpenEvent} />
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

/** Drawn again only when its props change. */
export const PersonPanel = memo(PersonPanelView);
