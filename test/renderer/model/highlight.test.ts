import { describe, expect, it } from 'vitest';
import { highlightSpans, prettyJson, segments } from '../../../renderer/src/model/highlight';

const raw = '{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","accessKeyId":"ASIA2KVIHGD6UPRGB4P4","sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},"requestParameters":{"tags":[{"key":"eks-cluster-name","value":"prod-east"}],"durationSeconds":3600},"resources":[{"ARN":"arn:aws:s3:::b"}],"big":12345678901234567890,"esc":"a\\"b\\u00e9","empty":{},"list":[]}';

describe('prettyJson', () => {
  it('indents like JSON.stringify(…, 2) for ordinary records', () => {
    const small = '{"a":1,"b":[true,null,{"c":"d"}],"e":{}}';
    expect(prettyJson(small)).toBe(JSON.stringify(JSON.parse(small), null, 2));
  });

  it('keeps tokens verbatim: big numbers are not rounded, escapes are not rewritten', () => {
    const p = prettyJson(raw)!;
    expect(p).toContain('"big": 12345678901234567890');
    expect(p).toContain('"esc": "a\\"b\\u00e9"');
    expect(JSON.parse(p)).toEqual(JSON.parse(raw));
  });

  it('returns null for text that is not JSON', () => {
    expect(prettyJson('{"a":')).toBeNull();
    expect(prettyJson('{"a" 1}')).toBeNull();
    expect(prettyJson('<script>alert(1)</script>')).toBeNull();
    expect(prettyJson('{"a":1]')).toBeNull();
  });
});

describe('highlightSpans', () => {
  const p = prettyJson(raw)!;
  const text = (paths: string[]) => highlightSpans(p, paths)!.map((s) => p.slice(s.start, s.end));

  it('finds a nested member from its key to the end of its value', () => {
    expect(text(['userIdentity.accessKeyId'])).toEqual(['"accessKeyId": "ASIA2KVIHGD6UPRGB4P4"']);
  });

  it('covers whole objects and arrays, and array elements by index', () => {
    const [tags] = text(['requestParameters.tags']);
    expect(tags!.startsWith('"tags": [')).toBe(true);
    expect(tags!.endsWith(']')).toBe(true);
    expect(text(['resources.0.ARN'])).toEqual(['"ARN": "arn:aws:s3:::b"']);
  });

  it('does not match the same key name elsewhere in the record', () => {
    expect(text(['accessKeyId'])).toEqual([]);
    expect(text(['sessionContext.attributes'])).toEqual([]);
  });

  it('collapses nested matches to the outer span and keeps spans in order', () => {
    const spans = highlightSpans(p, ['userIdentity.type', 'userIdentity', 'eventVersion'])!;
    expect(spans.map((s) => s.path)).toEqual(['eventVersion', 'userIdentity']);
  });

  it('ignores paths that are absent', () => {
    expect(highlightSpans(p, ['responseElements.credentials.accessKeyId'])).toEqual([]);
  });
});

describe('segments', () => {
  it('cuts the text into plain and marked pieces that add back up to the text', () => {
    const p = prettyJson('{"a":{"b":"<img src=x onerror=alert(1)>"},"c":2}')!;
    const segs = segments(p, highlightSpans(p, ['a.b', 'c'])!);
    expect(segs.map((s) => s.text).join('')).toBe(p);
    expect(segs.filter((s) => s.mark).map((s) => s.text)).toEqual(['"b": "<img src=x onerror=alert(1)>"', '"c": 2']);
  });
});
