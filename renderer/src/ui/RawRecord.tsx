/**
 * A record exactly as read, shown as text: re-indented token by token (model/highlight.ts), the fields the chain
 * used wrapped in <mark> elements. Record text is hostile input: it only ever becomes React text nodes, with
 * invisible and bidi control characters written as `\u{…}` ("Copy raw" copies the exact bytes).
 */
import { useMemo, useState } from 'react';
import type { Provenance } from '../../../shared/api';
import { highlightSpans, prettyJson, segments } from '../model/highlight';
import { ellipsizeStart, shortHash, shown } from '../model/format';

/** Where a record was read, in full: each file, the record's index in it and the file's SHA-256. */
export function RecordSources({ provenance }: { provenance: readonly Provenance[] }) {
  return (
    <ul className="provenance full">
      {provenance.map((p, i) => (
        <li key={i} data-testid="evidence-source">
          <span className="mono selectable" data-testid="evidence-path">
            {shown(p.path)}
          </span>{' '}
          <span data-testid="evidence-index">record #{p.recordIndex}</span> · SHA-256{' '}
          <span className="mono selectable" data-testid="evidence-sha256">
            {p.fileSha256}
          </span>
        </li>
      ))}
      {provenance.length === 0 && <li className="warn">the case does not say which file this record was read from</li>}
    </ul>
  );
}

export function RawRecord({ raw, fields, provenance, testId }: { raw: string; fields: readonly string[]; provenance?: Provenance[]; testId?: string }) {
  const [copied, setCopied] = useState(false);
  const view = useMemo(() => {
    const pretty = prettyJson(raw);
    if (pretty === null) return { text: raw, segs: [{ text: raw, mark: null }], found: new Set<string>() };
    const spans = highlightSpans(pretty, fields) ?? [];
    return { text: pretty, segs: segments(pretty, spans), found: new Set(spans.map((s) => s.path)) };
  }, [raw, fields]);
  const missing = fields.filter((f) => !view.found.has(f) && ![...view.found].some((p) => f.startsWith(`${p}.`)));
  return (
    <div className="raw">
      <div className="raw-head">
        {fields.length > 0 && (
          <span className="raw-fields">
            fields used:{' '}
            {fields.map((f) => (
              <code key={f} className={missing.includes(f) ? 'absent' : 'used'} title={missing.includes(f) ? 'not in this record' : undefined}>
                {f}
              </code>
            ))}
          </span>
        )}
        <span className="spacer" />
        <button
          type="button"
          className="btn small"
          onClick={() =>
            navigator.clipboard?.writeText(raw).then(
              () => {
                setCopied(true);
                setTimeout(() => setCopied(false), 1200);
              },
              () => {},
            )
          }
          title="copy the record exactly as read"
        >
          {copied ? 'copied' : 'Copy raw'}
        </button>
      </div>
      {provenance && provenance.length > 0 && (
        <ul className="provenance">
          {provenance.map((p, i) => (
            <li key={i} title={`${p.path}\nrecord ${p.recordIndex}\nfile SHA-256 ${p.fileSha256}`}>
              <span className="mono">{ellipsizeStart(p.path, 80)}</span> #{p.recordIndex} · <span className="mono">{shortHash(p.fileSha256, 10)}</span>
            </li>
          ))}
        </ul>
      )}
      <pre className="raw-text" data-testid={testId}>
        {view.segs.map((s, i) =>
          s.mark ? (
            <mark key={i} title={s.mark} data-field={s.mark}>
              {shown(s.text)}
            </mark>
          ) : (
            shown(s.text)
          ),
        )}
      </pre>
    </div>
  );
}
