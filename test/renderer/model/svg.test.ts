import { describe, expect, it } from 'vitest';
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
});
