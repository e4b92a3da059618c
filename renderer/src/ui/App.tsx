/**
 * The one window: header, evidence, filters, timeline, event table, chain graph and detail. State lives here and
 * flows down; components draw and report. Every read goes through the API client.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { BlastKind, CaseSummary, EventFilters, EventQuery, Facets, PeopleView, TraceView } from '../../../shared/api';
import { DEFAULT_SORT, PAGE_SIZE, cleanFilters, searchIntent } from '../model/query';
import { graphElements, type GraphElement } from '../model/graph';
import { blastElements, BLAST_LIMIT } from '../model/blast';
import { layeredLayout } from '../model/layout';
import { errorText, useClient } from './client-context';
import { Header } from './Header';
import { EvidencePanel } from './EvidencePanel';
import { IntegrityPanel } from './IntegrityPanel';
import { IngestBar, useIngest } from './IngestBar';
import { FilterBar } from './FilterBar';
import { Timeline } from './Timeline';
import { EventTable, type EventTableHandle, type ScrollRequest } from './EventTable';
import { ChainGraph, type GraphSelection } from './ChainGraph';
import { DetailPane, type Expansion } from './DetailPane';
import { ExportMenu } from './ExportMenu';
import { useKeyboard } from './useKeyboard';
import { NotesContext, useNotesState } from './notes-context';
import { CaseReportDialog } from './CaseReportDialog';
import { OfflineBanner } from './Offline';
import { IntegrityBadge } from './IntegrityBadge';
import { PersonPanel } from './PersonPanel';

const BLAST_WHAT: Record<BlastKind, string> = { session: 'session', serviceAccount: 'service account', pod: 'pod', node: 'node' };

export interface Selection {
  index: number;
  eventID: string;
}

interface Opened {
  eventID: string;
  trace: TraceView | null;
  /** The people behind the event's pod, with their records and credential chains (asked for once the trace names any). */
  people: PeopleView | null;
  loading: boolean;
  error: string | null;
}

export function App({ mode }: { mode: 'electron' | 'browser' }) {
  const client = useClient();
  const [version, setVersion] = useState(0);
  const [summary, setSummary] = useState<CaseSummary | null>(null);
  const [facets, setFacets] = useState<Facets | null>(null);
  const [fatal, setFatal] = useState<string | null>(null);
  const [evidenceOpen, setEvidenceOpen] = useState(false);
  const [integrityOpen, setIntegrityOpen] = useState(false);

  const [filters, setFilters] = useState<EventFilters>({});
  const [sort, setSort] = useState<EventQuery['sort']>(DEFAULT_SORT);
  const [searchText, setSearchText] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [selection, setSelection] = useState<Selection | null>(null);
  const [scrollRequest, setScrollRequest] = useState<ScrollRequest | null>(null);
  const [opened, setOpened] = useState<Opened | null>(null);
  const [graphSel, setGraphSel] = useState<GraphSelection | null>(null);
  const [expansions, setExpansions] = useState<Map<string, Expansion>>(new Map());
  const [exportOpen, setExportOpen] = useState(false);
  const [caseReportOpen, setCaseReportOpen] = useState(false);
  const [offline, setOffline] = useState<string | null>(null);
  /** The person (the 'who' filter) for whom the detail pane shows the event instead of the Person tab. */
  const [eventTabFor, setEventTabFor] = useState<string | null>(null);

  const tableRef = useRef<EventTableHandle>(null);
  const searchRef = useRef<HTMLInputElement>(null);

  const ingest = useIngest(() => setVersion((v) => v + 1));
  const notes = useNotesState(client, version);

  // The engine stopped answering: one message and a Retry (which reads the whole case again once it answers).
  useEffect(() => client.onAvailability((up, err) => setOffline(up ? null : (err?.message ?? 'the engine is not answering'))), [client]);
  const retry = useCallback(
    () =>
      client.call('case.summary', {}).then(
        (s) => {
          setSummary(s);
          setFatal(null);
          setVersion((v) => v + 1);
          return true;
        },
        () => false,
      ),
    [client],
  );
  const { adopt, fail } = ingest;

  // The desktop shell's menu and drops (browser mode has none).
  useEffect(() => {
    const off = window.podtrail?.onCommand?.((c) => {
      switch (c.kind) {
        case 'export-report':
          setExportOpen(true);
          break;
        case 'ingest-started':
          adopt(c.jobId, c.paths);
          break;
        case 'ingest-failed':
          fail(c.message);
          break;
      }
    });
    return () => off?.();
  }, [adopt, fail]);

  // Case-wide reads, again after every ingest.
  useEffect(() => {
    let live = true;
    client.call('case.summary', {}).then((s) => live && setSummary(s), (e: unknown) => live && setFatal(errorText(e)));
    client.call('events.facets', {}).then((f) => live && setFacets(f), () => {});
    return () => {
      live = false;
    };
  }, [client, version]);

  // Free text filters as you type; an eventID or access key waits for Enter (it is a jump, not a filter).
  useEffect(() => {
    const intent = searchIntent(searchText);
    if (intent.kind === 'locate') return;
    const t = setTimeout(() => setFilters((f) => (f.search ?? '') === intent.text ? f : { ...f, search: intent.text || undefined }), 250);
    return () => clearTimeout(t);
  }, [searchText]);

  const openChain = useCallback(
    (eventID: string) => {
      setOpened({ eventID, trace: null, people: null, loading: true, error: null });
      setGraphSel(null);
      setExpansions(new Map());
      client.call('trace.get', { target: eventID }).then(
        (trace) => {
          setOpened((o) => (o?.eventID === eventID ? { eventID, trace, people: null, loading: false, error: trace ? null : `${eventID} is not in this case` } : o));
          // Past the pod: the records of the people's actions and their own credential chains (the graph draws
          // the people from the trace meanwhile; without this answer their steps cite nothing).
          if (!(trace?.attribution ?? trace?.resolution)?.podActors?.length) return;
          client.call('trace.people', { target: eventID }).then(
            (people) => setOpened((o) => (o?.eventID === eventID && o.trace === trace ? { ...o, people } : o)),
            () => {},
          );
        },
        (e: unknown) => setOpened((o) => (o?.eventID === eventID ? { eventID, trace: null, people: null, loading: false, error: errorText(e) } : o)),
      );
    },
    [client],
  );

  const select = useCallback((index: number, eventID: string, scroll = true) => {
    setSelection({ index, eventID });
    if (scroll) setScrollRequest({ index, nonce: Date.now() + Math.random(), align: 'center' });
  }, []);

  /** Jump to an eventID or access key: under the current filters if it is visible, else with them cleared. */
  const locate = useCallback(
    async (target: string) => {
      const base = cleanFilters({ ...filters, search: undefined });
      const attempts: { filters: EventFilters; sort: EventQuery['sort']; why: string | null }[] = [{ filters: base, sort, why: null }];
      if (sort.column !== 'eventTime') attempts.push({ filters: base, sort: { column: 'eventTime', dir: sort.dir }, why: 'sorted by time to place it' });
      attempts.push({ filters: {}, sort: { column: 'eventTime', dir: sort.column === 'eventTime' ? sort.dir : 'asc' }, why: 'filters cleared: they hid it' });
      try {
        for (const a of attempts) {
          const r = await client.call('events.locate', { text: target, query: { filters: a.filters, sort: a.sort, offset: 0, limit: PAGE_SIZE } });
          if (!r.eventID) {
            setNotice(`${target} is not in this case`);
            return;
          }
          if (r.offset === null) continue;
          setFilters(a.filters);
          setSort(a.sort);
          setSearchText('');
          setNotice(`${r.accessKeyId ? `first event of ${r.accessKeyId}` : 'event'} at row ${(r.offset + 1).toLocaleString('en-US')}${a.why ? ` — ${a.why}` : ''}`);
          select(r.offset, r.eventID);
          openChain(r.eventID);
          return;
        }
      } catch (e) {
        setNotice(errorText(e));
      }
    },
    [client, filters, sort, select, openChain],
  );

  // Typing a new search: the last jump's note ("event at row …") no longer describes the table.
  const onSearchText = useCallback((t: string) => {
    setSearchText(t);
    setNotice(null);
  }, []);

  const onSearchEnter = useCallback(() => {
    const intent = searchIntent(searchText);
    if (intent.kind === 'locate') void locate(intent.target);
    else setFilters((f) => ({ ...f, search: intent.text || undefined }));
  }, [searchText, locate]);

  const move = useCallback(
    async (delta: number) => {
      if (total === null || total === 0) return;
      const from = selection?.index ?? (delta > 0 ? -1 : total);
      const index = Math.max(0, Math.min(total - 1, from + delta));
      setScrollRequest({ index, nonce: Date.now() + Math.random() });
      const row = await tableRef.current?.rowAt(index);
      if (row) setSelection({ index, eventID: row.eventID });
    },
    [selection, total],
  );

  useKeyboard({
    focusSearch: () => {
      searchRef.current?.focus();
      searchRef.current?.select();
    },
    move: (d) => void move(d),
    open: selection ? () => openChain(selection.eventID) : null,
    exportReport: () => setExportOpen(true),
    close: () => setExportOpen(false),
  });

  // A 'who' filter: the detail pane has a Person tab (that person's AWS and Kubernetes timeline), shown first.
  const person = filters.principal ?? null;

  const changeFilters = useCallback((f: EventFilters) => {
    setFilters(f);
    setSelection(null);
    setNotice(null);
  }, []);

  // Graph: the chain plus any expanded blast radius, laid out left to right.
  const trace = opened?.trace ?? null;
  const people = opened?.people ?? null;
  const elements = useMemo<GraphElement[]>(() => {
    if (!trace) return [];
    const els = graphElements(trace, people);
    for (const [anchor, x] of expansions) if (x.page) els.push(...blastElements(anchor, x.page, BLAST_WHAT[x.spec.kind]));
    return els;
  }, [trace, people, expansions]);
  const [graphSize, setGraphSize] = useState<{ w: number; h: number } | undefined>(undefined);
  const positions = useMemo(() => layeredLayout(elements, { viewport: graphSize }), [elements, graphSize]);

  const expand = useCallback(
    (nodeId: string) => {
      const el = elements.find((e) => e.group === 'nodes' && e.data.id === nodeId);
      const spec = el?.group === 'nodes' ? el.data.expand : undefined;
      if (!spec) return;
      if (expansions.has(nodeId)) {
        setExpansions((m) => {
          const n = new Map(m);
          n.delete(nodeId);
          return n;
        });
        return;
      }
      setExpansions((m) => new Map(m).set(nodeId, { spec, page: null, error: null }));
      client.call('blast.radius', { ...spec, limit: BLAST_LIMIT }).then(
        (page) => setExpansions((m) => (m.has(nodeId) ? new Map(m).set(nodeId, { spec, page, error: null }) : m)),
        (e: unknown) => setExpansions((m) => (m.has(nodeId) ? new Map(m).set(nodeId, { spec, page: null, error: errorText(e) }) : m)),
      );
    },
    [client, elements, expansions],
  );

  // The callbacks below keep their identity across renders (the filters are read when called): the graph, the
  // detail pane and the timeline are memoized, and a new callback would draw them again on every filter change.
  const pivot = useCallback((f: EventFilters) => {
    // "their calls": the detail pane turns to the person's timeline (the Person tab).
    if (f.principal) setEventTabFor(null);
    setFilters((prev) => cleanFilters({ ...prev, ...f }));
    setSelection(null);
    setNotice(null);
  }, []);

  /** The timeline's brush: the time range added to the filters. */
  const narrowTime = useCallback((r: { fromMs?: number; toMs?: number }) => {
    setFilters((prev) => ({ ...prev, ...r }));
    setSelection(null);
    setNotice(null);
  }, []);

  const locateRef = useRef(locate);
  locateRef.current = locate;
  const jump = useCallback((id: string) => void locateRef.current(id), []);
  const openFromPerson = useCallback(
    (id: string) => {
      setEventTabFor(person);
      void locateRef.current(id);
    },
    [person],
  );
  const clickRow = useCallback(
    (index: number, row: { eventID: string }) => {
      select(index, row.eventID, false);
      openChain(row.eventID);
    },
    [select, openChain],
  );
  const clearGraphSelection = useCallback(() => setGraphSel(null), []);

  /** One credential session as the unit of triage: every event of the key, whatever the other filters were. */
  const filterSession = useCallback(
    (accessKeyId: string) => {
      setSearchText('');
      changeFilters({ accessKeyId });
    },
    [changeFilters],
  );

  /** From the table's row menu: the key replaces the filters (a session); anything else narrows them. */
  const rowFilter = useCallback((f: EventFilters) => (f.accessKeyId ? filterSession(f.accessKeyId) : pivot(f)), [filterSession, pivot]);

  if (fatal && !offline) {
    return (
      <div className="fatal">
        <h1>PodTrail</h1>
        <p>The case could not be read: {fatal}</p>
      </div>
    );
  }

  const exportTarget = selection?.eventID ?? opened?.eventID ?? null;
  const personTab = person !== null && eventTabFor !== person;
  // Under a star or tag filter the rows follow the examiner's notes: read again after each change.
  const rowsVersion = filters.starred || filters.tag ? `${version}.${notes.revision}` : version;
  return (
    <NotesContext.Provider value={notes}>
    <div className="app">
      {offline && <OfflineBanner message={offline} onRetry={retry} />}
      <Header summary={summary} mode={mode} evidenceOpen={evidenceOpen} onToggleEvidence={() => setEvidenceOpen((o) => !o)} onMechanism={(m) => pivot({ mechanism: m })} onFlagged={() => pivot({ flag: 'any' })}>
        <ExportMenu eventID={exportTarget} open={exportOpen} onOpenChange={setExportOpen} filters={filters} total={total} onCaseReport={() => setCaseReportOpen(true)} />
        <IntegrityBadge version={version} refresh={integrityOpen} onOpen={() => setIntegrityOpen(true)} />
        <button type="button" className={`btn ${integrityOpen ? 'active' : ''}`} onClick={() => setIntegrityOpen((o) => !o)} aria-expanded={integrityOpen} data-testid="integrity-toggle">
          Integrity
        </button>
      </Header>
      <IngestBar state={ingest} />
      {evidenceOpen && <EvidencePanel version={version} mode={mode} ingest={ingest} />}
      {integrityOpen && <IntegrityPanel version={version} />}
      <FilterBar
        facets={facets}
        filters={filters}
        onChange={changeFilters}
        searchText={searchText}
        onSearchText={onSearchText}
        onSearchEnter={onSearchEnter}
        searchRef={searchRef}
        total={total}
        notice={notice}
        flagCounts={summary ? { byFlag: summary.byFlag, flaggedEvents: summary.flaggedEvents } : null}
      />
      <Timeline filters={filters} version={rowsVersion} markerTime={trace?.event?.eventTime ?? null} onRange={narrowTime} />
      <main className="workspace">
        <section className="table-pane" aria-label="Events">
          <EventTable
            ref={tableRef}
            filters={filters}
            sort={sort}
            onSort={setSort}
            version={rowsVersion}
            selection={selection}
            openedEventID={opened?.eventID ?? null}
            scrollRequest={scrollRequest}
            onTotal={setTotal}
            onRowClick={clickRow}
            onFilter={rowFilter}
          />
        </section>
        <section className="chain-pane" aria-label="Chain">
          <ChainGraph
            elements={elements}
            positions={positions}
            selected={graphSel}
            onSelect={setGraphSel}
            onExpand={expand}
            onViewport={setGraphSize}
            expanded={expansions}
            loading={opened?.loading ?? false}
            empty={opened ? (opened.error ?? null) : 'Select an event: click a row, or j / k then Enter.'}
            eventID={opened?.eventID ?? null}
            onSession={filterSession}
          />
        </section>
        <section className="detail-pane" aria-label="Detail">
          {person !== null && (
            <div className="detail-tabs" role="tablist" aria-label="Detail">
              <button type="button" role="tab" className={`detail-tab ${personTab ? '' : 'active'}`} aria-selected={!personTab} data-testid="detail-tab-event" onClick={() => setEventTabFor(person)}>
                Event
              </button>
              <button type="button" role="tab" className={`detail-tab ${personTab ? 'active' : ''}`} aria-selected={personTab} data-testid="detail-tab-person" onClick={() => setEventTabFor(null)}>
                Person
              </button>
            </div>
          )}
          {person !== null && (
            <div role="tabpanel" hidden={!personTab}>
              <PersonPanel
                principal={person}
                version={version}
                openedEventID={opened?.eventID ?? null}
                onOpenEvent={openFromPerson}
              />
            </div>
          )}
          <div role={person !== null ? 'tabpanel' : undefined} hidden={personTab}>
            <DetailPane
              trace={trace}
              loading={opened?.loading ?? false}
              error={opened?.error ?? null}
              elements={elements}
              selected={graphSel}
              expansions={expansions}
              onClearSelection={clearGraphSelection}
              onSelect={setGraphSel}
              onJump={jump}
              onPivot={pivot}
              onSession={filterSession}
              onExpand={expand}
            />
          </div>
        </section>
      </main>
      {caseReportOpen && (
        <CaseReportDialog
          eventID={exportTarget}
          accessKeyId={trace?.event?.accessKeyId ?? trace?.accessKeyId ?? null}
          filterKey={filters.accessKeyId ?? null}
          onClose={() => setCaseReportOpen(false)}
        />
      )}
    </div>
    </NotesContext.Provider>
  );
}
