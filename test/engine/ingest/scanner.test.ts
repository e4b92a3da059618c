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

  it.each([1, 5, 4096])('names the record a truncated trail ends in, and where it starts (chunk size %i)', (size) => {
    const text = '{"Records":[{"a":1}, {"b":2},{"c":"x';
    const err = (() => {
      try {
        scan(text, size);
      } catch (e) {
        return e as ScanError;
      }
      throw new Error('not rejected');
    })();
    expect(err.message).toBe(`JSON ends early inside record 2 (which starts at byte ${text.indexOf('{"c"')}): 3 unclosed bracket(s) inside a string`);
    expect(err.byteOffset).toBe(text.length);
    expect(() => scan('{"Records":[{"a":1},', size)).toThrowError('JSON ends early after record 0, the record array not closed: 2 unclosed bracket(s)');
    expect(() => scan('{"Records":[{"a":1}]', size)).toThrowError('JSON ends early after the "Records" array: 1 unclosed bracket(s)');
  });

  it('numbers records through the whole file, across concatenated record arrays and values', () => {
    const { elements, values } = scan('{"Records":[{"a":0},{"a":1}]}\n{"Records":[{"a":2}]}\n{"eventName":"x"}\n');
    expect(elements.map((e) => e[2])).toEqual([0, 1, 2]);
    expect(values.map((v) => v[1])).toEqual([3]);
  });

  describe('JSON Lines: a broken line fails alone', () => {
    const a = '{"eventName":"A","n":{"x":[1,2]}}';
    const c = '{"eventName":"C"}';
    it.each([1, 2, 7, 64, 4096])('chunk size %i', (size) => {
      for (const [broken, label] of [
        ['{"eventName":"B","userAgent":"cut inside a str', 'cut inside a string'],
        ['{"eventName":"B","n":{"x":[1,', 'cut outside a string'],
        ['not json at all, "quoted" {', 'not JSON'],
        ['{"eventName":"B"} trailing garbage', 'a complete value followed by garbage'],
      ] as const) {
        const { values } = scan(`${a}\n${broken}\n${c}\r\n\n${a}`, size);
        const complete = label === 'a complete value followed by garbage';
        // Every line keeps its own index; the bad part is handed out as it is, to fail as that record.
        expect(values.map((v) => v[0]), label).toEqual(
          complete ? [a, '{"eventName":"B"}', 'trailing garbage', c, a] : [a, broken, c, a],
        );
        expect(values.map((v) => v[1]), label).toEqual(complete ? [0, 1, 2, 3, 4] : [0, 1, 2, 3]);
      }
    });

    it.each([1, 3, 4096])('the last line cut short is handed out as it is (chunk size %i)', (size) => {
      expect(scan(`${a}\n${c}\n{"eventName":"D","x":"y`, size).values.map((v) => v[0])).toEqual([a, c, '{"eventName":"D","x":"y']);
      expect(scan(`${a}\n${c}\n{"eventName":"D","x":{`, size).values.map((v) => v[1])).toEqual([0, 1, 2]);
    });

    it('a file whose first value spans lines is concatenated JSON, not JSON Lines', () => {
      const pretty = '{\n  "eventName": "A"\n}\n{\n  "eventName": "B"\n}\n';
      expect(scan(pretty, 3).values.map((v) => JSON.parse(v[0]).eventName)).toEqual(['A', 'B']);
      // …and a cut there cannot be confined to one line: the file is refused, naming where the cut record starts.
      const cut = '{\n "a": 1\n}\n{\n "b": ';
      expect(() => scan(cut, 3)).toThrowError(`JSON ends early inside record 1 (which starts at byte ${cut.lastIndexOf('{')}): 1 unclosed bracket(s)`);
    });
  });

  describe('what two JSON parsers would read differently is refused', () => {
    it.each([
      ['{"Records":[{"a":1}],"Records":[{"b":2}]}', /duplicate key "Records"/],
      ['{"Records":[{"a":1}],"Records":null}', /duplicate key "Records"/],
      ['{"Records":[{"a":1}],"Rec\\u006frds":[]}', /duplicate key "Records"/],
      ['{"Records":[{"a":1}],"Events":[{"b":2}]}', /a second record array \("Events" after "Records"\)/],
    ])('%s', (text, error) => {
      for (const size of [1, 4096]) expect(() => scan(text, size)).toThrowError(error);
    });

    it('reads a container key written with escapes as JSON.parse does', () => {
      expect(scan('{"Rec\\u006frds":[{"a":1}]}').elements).toEqual([['Records', '{"a":1}', 0]]);
    });
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
