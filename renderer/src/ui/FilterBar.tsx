/**
 * Filters (every one narrows in SQL, none in the browser), the time range, and the search box: free text
 * filters as you type; an eventID or access key + Enter jumps to that event.
 */
import { useState, type RefObject } from 'react';
import type { EventFilters, Facets } from '../../../shared/api';
import { FLAGS, MECHANISMS, type Flag, type Mechanism } from '../../../shared/attribution';
import { DETECTIONS, SEVERITIES, bySeverity } from '../../../shared/detections';
import { activeFilterCount } from '../model/query';
import { formatCount, formatMs, parseUtc, shortSource } from '../model/format';
import { useNotes } from './notes-context';

/** Events per detection (case.summary): null until known. */
export interface FlagCounts {
  byFlag: Partial<Record<Flag, number>>;
  flaggedEvents: number;
}

/**
 * The detection filter: 'any flagged' first, then each detection under its severity, most severe first, each with
 * the number of events it flagged in the case (a detection that found nothing is listed with 0: it ran).
 */
function DetectionSelect({ value, counts, onChange }: { value: EventFilters['flag']; counts: FlagCounts | null; onChange: (v: EventFilters['flag']) => void }) {
  const n = (k: number | undefined) => (counts ? ` (${formatCount(k ?? 0)})` : '');
  const ordered = bySeverity(FLAGS);
  return (
    <label className="f">
      <span>detection</span>
      <select
        value={value ?? ''}
        data-testid="filter-detection"
        className={value ? 'set' : undefined}
        style={{ width: 170 }}
        onChange={(e) => onChange((e.target.value || undefined) as EventFilters['flag'])}
      >
        <option value="">any</option>
        <option value="any" data-testid="detection-option" data-count={counts?.flaggedEvents}>
          {`any flagged${n(counts?.flaggedEvents)}`}
        </option>
        {SEVERITIES.map((sev) => {
          const flags = ordered.filter((f) => DETECTIONS[f].severity === sev);
          if (flags.length === 0) return null;
          return (
            <optgroup key={sev} label={`${sev} severity`}>
              {flags.map((f) => (
                <option key={f} value={f} title={DETECTIONS[f].summary} data-testid="detection-option" data-flag={f} data-severity={sev} data-count={counts?.byFlag[f] ?? 0}>
                  {`${f}${n(counts?.byFlag[f])}`}
                </option>
              ))}
            </optgroup>
          );
        })}
      </select>
    </label>
  );
}

type TextKey = 'account' | 'region' | 'eventSource' | 'cluster' | 'namespace' | 'serviceAccount' | 'pod' | 'node';

function Select({ label, value, options, onChange, render, width, testId }: { label: string; value: string | undefined; options: readonly string[]; onChange: (v: string | undefined) => void; render?: (v: string) => string; width?: number; testId?: string }) {
  return (
    <label className="f">
      <span>{label}</span>
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)} style={width ? { width } : undefined} className={value ? 'set' : undefined} data-testid={testId}>
        <option value="">any</option>
        {value && !options.includes(value) && <option value={value}>{value}</option>}
        {options.map((o) => (
          <option key={o} value={o}>
            {render ? render(o) : o}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A text field that commits on Enter or blur (exact match in the engine), with suggestions. */
function TextFilter({ label, value, onChange, suggestions, placeholder, width, id }: { label: string; value: string | undefined; onChange: (v: string | undefined) => void; suggestions?: readonly string[]; placeholder?: string; width?: number; id: string }) {
  // Remounted (key) when the filter changes elsewhere, so the field starts from the applied value.
  const [text, setText] = useState(value ?? '');
  const commit = () => {
    const t = text.trim();
    if (t !== (value ?? '')) onChange(t || undefined);
  };
  return (
    <label className="f">
      <span>{label}</span>
      <input
        type="text"
        value={text}
        list={suggestions ? `${id}-list` : undefined}
        placeholder={placeholder ?? 'any'}
        spellCheck={false}
        style={width ? { width } : undefined}
        className={value ? 'set' : undefined}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
      {suggestions && (
        <datalist id={`${id}-list`}>
          {suggestions.slice(0, 2000).map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      )}
    </label>
  );
}

function TimeField({ label, ms, onChange }: { label: string; ms: number | undefined; onChange: (v: number | undefined) => void }) {
  const [text, setText] = useState(ms === undefined ? '' : formatMs(ms));
  const parsed = text.trim() === '' ? undefined : parseUtc(text);
  const commit = () => {
    if (parsed === null) return;
    if (parsed !== ms) onChange(parsed);
  };
  return (
    <label className="f">
      <span>{label}</span>
      <input
        type="text"
        className={`mono time ${parsed === null ? 'invalid' : ''} ${ms !== undefined ? 'set' : ''}`}
        value={text}
        placeholder="YYYY-MM-DD hh:mm:ss"
        title="UTC"
        aria-invalid={parsed === null}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
    </label>
  );
}

export function FilterBar({
  facets,
  filters,
  onChange,
  searchText,
  onSearchText,
  onSearchEnter,
  searchRef,
  total,
  notice,
  flagCounts,
}: {
  facets: Facets | null;
  filters: EventFilters;
  onChange: (f: EventFilters) => void;
  searchText: string;
  onSearchText: (t: string) => void;
  onSearchEnter: () => void;
  searchRef: RefObject<HTMLInputElement | null>;
  total: number | null;
  notice: string | null;
  /** Events per detection in the case, for the detection filter. */
  flagCounts?: FlagCounts | null;
}) {
  const set = (patch: Partial<EventFilters>) => onChange({ ...filters, ...patch });
  const tags = useNotes()?.tags ?? [];
  const text = (k: TextKey) => (v: string | undefined) => set({ [k]: v });
  const errorMode = filters.errorCode === undefined ? '' : filters.errorCode === 'any' || filters.errorCode === 'none' ? filters.errorCode : 'code';
  const n = activeFilterCount({ ...filters, search: undefined });
  return (
    <div className="filters" role="search">
      <div className="search">
        <input
          ref={searchRef}
          type="search"
          data-testid="event-search"
          placeholder="Search every field (requestParameters.secretId:prod/*), or paste an eventID / key + Enter   ( / )"
          title={'Free text: a substring of event, source, principal, IP, user agent, key or eventID, or whole words anywhere in the record.\npath:glob: one field of the record, e.g. requestParameters.secretId:prod/* (* any run, ? one character). Terms AND; ASCII case ignored.'}
          spellCheck={false}
          autoComplete="off"
          value={searchText}
          onChange={(e) => onSearchText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              onSearchEnter();
            } else if (e.key === 'Escape') {
              // Leaves the field and keeps the query (Chromium's search field would erase it); the × clears it.
              e.preventDefault();
              e.currentTarget.blur();
            }
          }}
        />
      </div>
      <TimeField key={`from${filters.fromMs}`} label="from" ms={filters.fromMs} onChange={(v) => set({ fromMs: v })} />
      <TimeField key={`to${filters.toMs}`} label="to" ms={filters.toMs} onChange={(v) => set({ toMs: v })} />
      <Select label="account" value={filters.account} options={facets?.accounts ?? []} onChange={text('account')} />
      <Select label="region" value={filters.region} options={facets?.regions ?? []} onChange={text('region')} />
      <Select label="source" value={filters.eventSource} options={facets?.eventSources ?? []} onChange={text('eventSource')} render={shortSource} />
      <TextFilter key={`ev${filters.eventName}`} id="f-event" label="event" value={filters.eventName} onChange={(v) => set({ eventName: v })} width={120} />
      <label className="f">
        <span>error</span>
        <select
          value={errorMode}
          className={errorMode ? 'set' : undefined}
          onChange={(e) => {
            const m = e.target.value;
            set({ errorCode: m === '' ? undefined : m === 'code' ? (errorMode === 'code' ? filters.errorCode : 'AccessDenied') : m });
          }}
        >
          <option value="">any</option>
          <option value="any">failed</option>
          <option value="none">succeeded</option>
          <option value="code">code…</option>
        </select>
        {errorMode === 'code' && <TextFilter key={`er${filters.errorCode}`} id="f-error" label="" value={filters.errorCode} onChange={(v) => set({ errorCode: v })} width={110} />}
      </label>
      <Select label="mechanism" value={filters.mechanism} options={(facets?.mechanisms ?? MECHANISMS) as readonly string[]} onChange={(v) => set({ mechanism: v as Mechanism | undefined })} />
      <Select label="cluster" value={filters.cluster} options={facets?.clusters ?? []} onChange={text('cluster')} />
      <Select label="namespace" value={filters.namespace} options={facets?.namespaces ?? []} onChange={text('namespace')} />
      <Select label="service account" value={filters.serviceAccount} options={facets?.serviceAccounts ?? []} onChange={text('serviceAccount')} width={130} />
      <TextFilter key={`pod${filters.pod}`} id="f-pod" label="pod" value={filters.pod} onChange={text('pod')} suggestions={facets?.pods} width={150} />
      <TextFilter key={`node${filters.node}`} id="f-node" label="node" value={filters.node} onChange={text('node')} suggestions={facets?.nodes} width={130} />
      <DetectionSelect value={filters.flag} counts={flagCounts ?? null} onChange={(v) => set({ flag: v })} />
      <div className="f">
        <span>starred</span>
        <button
          type="button"
          className={`btn small star-btn star-filter ${filters.starred ? 'active' : ''}`}
          aria-pressed={!!filters.starred}
          aria-label="only the starred events"
          data-testid="filter-starred"
          title={filters.starred ? 'show every event again' : 'only the events you starred (the ★ column)'}
          onClick={() => set({ starred: filters.starred ? undefined : true })}
        >
          {filters.starred ? '★' : '☆'}
        </button>
      </div>
      {(tags.length > 0 || filters.tag) && (
        <Select label="tag" value={filters.tag} options={tags} onChange={(v) => set({ tag: v })} width={110} testId="filter-tag" />
      )}
      {filters.accessKeyId && (
        <span className="chip" data-testid="filter-chip" data-filter="accessKeyId" title={`only the events signed with access key ${filters.accessKeyId} (one credential session)`}>
          <span className="chip-label">key</span> {filters.accessKeyId}
          <button type="button" aria-label={`remove the filter on access key ${filters.accessKeyId}`} data-testid="filter-chip-remove" onClick={() => set({ accessKeyId: undefined })}>
            ×
          </button>
        </span>
      )}
      {filters.starred && (
        <span className="chip" data-testid="filter-chip" data-filter="starred" title="only the events you starred (a star on the event itself)">
          <span className="chip-label">★</span> starred
          <button type="button" aria-label="remove the filter on starred events" data-testid="filter-chip-remove" onClick={() => set({ starred: undefined })}>
            ×
          </button>
        </span>
      )}
      {filters.tag && (
        <span className="chip" data-testid="filter-chip" data-filter="tag" title={`only the events tagged ${filters.tag}, and those of a session, pod or person tagged so`}>
          <span className="chip-label">tag</span> {filters.tag}
          <button type="button" aria-label={`remove the filter on tag ${filters.tag}`} data-testid="filter-chip-remove" onClick={() => set({ tag: undefined })}>
            ×
          </button>
        </span>
      )}
      {filters.principal && (
        <span className="chip" data-testid="filter-chip" data-filter="principal" title={`only the events of ${filters.principal}: its own calls, and the calls it made through a pod`}>
          <span className="chip-label">who</span> {filters.principal}
          <button type="button" aria-label={`remove the filter on ${filters.principal}`} data-testid="filter-chip-remove" onClick={() => set({ principal: undefined })}>
            ×
          </button>
        </span>
      )}
      <div className="filters-end">
        {notice && (
          <span className="notice" role="status" data-testid="search-notice" title={notice}>
            {notice}
          </span>
        )}
        <span className="total" data-testid="event-total">
          {total === null ? '…' : `${formatCount(total)} events`}
        </span>
        {n > 0 && (
          <button type="button" className="btn small" onClick={() => onChange({ search: filters.search })} data-testid="clear-filters">
            Clear {n} filter{n === 1 ? '' : 's'}
          </button>
        )}
      </div>
    </div>
  );
}
