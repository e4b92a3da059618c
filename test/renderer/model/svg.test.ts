import { describe, expect, it } from 'vitest';
import { DOMParser } from '@xmldom/xmldom';
import { graphToSvg, xmlEscape } from '../../../renderer/src/model/svg';
import { graphElements, type GraphElement } from '../../../renderer/src/model/graph';
import { layeredLayout } from '../../../renderer/src/model/layout';
import { podIdentityChained } from '../fixtures';

describe('graphToSvg', () => {
  it('draws every node and edge, styled by confidence', () => {
    const els = graphElements(podIdentityChained());
    const svg = graphToSvg(els, layeredLayout(els));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect [^>]*rx="5"/g)).toHaveLength(els.filter((e) => e.group === 'nodes').length);
    expect(svg.match(/<line /g)).toHaveLength(els.filter((e) => e.group === 'edges').length);
    expect(svg).toContain('marker-end="url(#arrow-ambiguous)"');
    expect(svg).toContain('stroke-dasharray="1.5 3.5"');
    expect(svg).toContain('>ASIAKEY1111111111111<');
  });

  it('escapes evidence text: a hostile label stays text', () => {
    const evil = '<script>alert(1)</script>"&';
    const els: GraphElement[] = [{ group: 'nodes', data: { id: 'x', kind: 'principal', label: `IAM USER\n${evil}`, title: evil, w: 100, h: 40 } }];
    const svg = graphToSvg(els, new Map([['x', { x: 0, y: 0 }]]));
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;');
    expect(xmlEscape(`'`)).toBe('&#39;');
  });

  it('writes what XML forbids, and invisible characters, as \\u{…}: the exported SVG is well-formed XML (issue 12)', () => {
    const evil = 'Get\ufffeObject\uffff \ud800 \u0001 \u202efdp.exe \u{10fffe} <&>';
    const els: GraphElement[] = [
      { group: 'nodes', data: { id: 'a', kind: 'principal', label: `IAM USER\n${evil}`, title: evil, w: 100, h: 40 } },
      { group: 'nodes', data: { id: 'b', kind: 'principal', label: 'ROLE\nb', title: 'b', w: 100, h: 40 } },
      { group: 'edges', data: { id: 'e', source: 'a', target: 'b', kind: 'chain', label: evil, confidence: 'proven', rule: null, hops: [], decisive: 0, selfFields: [], why: evil } },
    ];
    const svg = graphToSvg(els, new Map([['a', { x: 0, y: 0 }], ['b', { x: 0, y: 120 }]]), evil);
    // XML 1.0 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
    const forbidden = [...svg].filter((ch) => {
      const c = ch.codePointAt(0)!;
      return !(c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff));
    });
    expect(forbidden).toEqual([]);
    expect(svg).not.toContain('\u202e');
    expect(svg).toContain('Get\\u{fffe}Object\\u{ffff} \\u{d800} \\u{0001} \\u{202e}fdp.exe \\u{10fffe} &lt;&amp;&gt;');
    // And an XML parser reads it without a complaint, the label as written.
    const errors: string[] = [];
    const doc = new DOMParser({ errorHandler: (level: string, msg: unknown) => void errors.push(`${level}: ${String(msg)}`) }).parseFromString(svg, 'image/svg+xml');
    expect(errors).toEqual([]);
    expect(doc.documentElement?.getElementsByTagName('title')[0]?.textContent).toBe('Get\\u{fffe}Object\\u{ffff} \\u{d800} \\u{0001} \\u{202e}fdp.exe \\u{10fffe} <&>');
  });
});

