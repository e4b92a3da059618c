import { describe, expect, it } from 'vitest';
import { JsonRecordScanner, ScanError } from '../../../electron/engine/ingest/scanner';

function scan(text: string, chunkSize = 7, keys = ['Records', 'Events']) {
  const elements: [string, string, number][] = [];
  const values: [string, number][] = [];
  const s = new JsonRecordScanner(
    {
      element: (c, b, i) => elements.push([c, b.toString(), i]),
      value: (b, i) => values.push([b.toString(), i]),
    },
    new Set(keys),
  );
  const buf = Buffer.from(text);
  for (let i = 0; i < buf.length; i += chunkSize) s.push(buf.subarray(i, i + chunkSize));
  s.end();
  return { elements, values };
}

describe('JsonRecordScanner', () => {
  const trail = '{"Records":[{"a":"x}]\\"","b":[1,{"c":2}]}, {"d":"{"} ,{"e":[]}]}';

  it.each([1, 3, 7, 1000])('splits a trail file into records (chunk size %i)', (size) => {
    const { elements, values } = scan(trail, size);
    expect(values).toEqual([]);
    expect(elements.map((e) => JSON.parse(e[1]))).toEqual([{ a: 'x}]"', b: [1, { c: 2 }] }, { d: '{' }, { e: [] }]);
    expect(elements.map((e) => e[2])).toEqual([0, 1, 2]);
    expect(elements.every((e) => e[0] === 'Records')).toBe(true);
  });

  it('ignores other members of the top-level object, before and after the container', () => {
    const { elements } = scan('{"NextToken":"abc","Events":[{"x":1}],"More":{"Records":[1]}}');
    expect(elements).toEqual([['Events', '{"x":1}', 0]]);
  });

  it('emits each line of JSON Lines as a value', () => {
    const { values } = scan('{"eventName":"A"}\n{"eventName":"B"}\r\n\n{"eventName":"C"}\n');
    expect(values.map((v) => JSON.parse(v[0]).eventName)).toEqual(['A', 'B', 'C']);
    expect(values.map((v) => v[1])).toEqual([0, 1, 2]);
  });

  it('emits a document without a container whole', () => {
    const doc = '{"digestStartTime":"x","logFiles":[{"s3Object":"k"}]}';
    expect(scan(doc).values).toEqual([[doc, 0]]);
  });

  it('emits elements of a bare array, scalars included', () => {
    expect(scan('[{"a":1}, "s", 3 ]').elements.map((e) => e[1])).toEqual(['{"a":1}', '"s"', '3']);
  });

  it('rejects truncated JSON with the byte offset', () => {
    expect(() => scan('{"Records":[{"a":1},{"b":')).toThrowError(ScanError);
    expect(() => scan('{"Records":[{"a":1},{"b":')).toThrowError(/ends early/);
  });

  it('rejects content that is not JSON', () => {
    expect(() => scan('hello')).toThrowError(/expected '\{' or '\['/);
    expect(() => scan('')).toThrowError(/no JSON value/);
  });

  it('enforces the nesting limit instead of overflowing the stack', () => {
    const deep = '{"Records":[' + '['.repeat(10000) + ']'.repeat(10000) + ']}';
    expect(() => scan(deep, 4096)).toThrowError(/nested deeper/);
  });

  it('enforces the record size limit', () => {
    const s = new JsonRecordScanner({ element: () => {}, value: () => {} }, new Set(['Records']), {
      maxValueBytes: 100,
      maxDepth: 64,
    });
    expect(() => s.push(Buffer.from('{"Records":[{"a":"' + 'x'.repeat(200) + '"}]}'))).toThrowError(/larger than 100/);
  });
});
