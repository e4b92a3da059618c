/**
 * Draws the chain graph (cytoscape) from elements and positions computed elsewhere (model/graph.ts,
 * model/layout.ts) and reports clicks; selection lives in the App. Double-click (or "Expand") loads a node's
 * blast radius.
 */
import { memo, useEffect, useRef } from 'react';
import cytoscape, { type Core, type StylesheetJson } from 'cytoscape';
import type { GraphElement } from '../model/graph';
import { FIT_MAX_ZOOM, isWrapEdge, type Position } from '../model/layout';
import { EDGE_LOOK, FONT, NODE_LOOK, BLAST_EDGE } from '../model/graph-style';
import { graphToSvg } from '../model/svg';
import type { Expansion } from './DetailPane';
import { saveBlob } from './download';

export type GraphSelection = { group: 'nodes' | 'edges'; id: string };

function stylesheet(): StylesheetJson {
  const s: StylesheetJson = [
    {
      selector: 'node',
      style: {
        shape: 'round-rectangle',
        width: 'data(w)',
        height: 'data(h)',
        label: 'data(label)',
        'text-wrap': 'wrap',
        'text-max-width': '1000px',
        'text-valign': 'center',
        'text-halign': 'center',
        'font-family': FONT,
        'font-size': 10,
        'line-height': 1.3,
        'border-width': 1,
        'corner-radius': '5',
      },
    },
    {
      selector: 'edge',
      style: {
        'curve-style': 'bezier',
        // From the right middle of a box to the left middle of the next: with the boxes of a column as wide as the
        // column (layeredLayout), an edge stays in the gap between two columns and crosses no box.
        'source-endpoint': '50% 0%',
        'target-endpoint': '-50% 0%',
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.9,
        label: 'data(label)',
        'text-wrap': 'wrap',
        'font-family': FONT,
        'font-size': 9,
        'text-background-color': '#ffffff',
        'text-background-opacity': 0.92,
        'text-background-padding': '2px',
        'text-background-shape': 'roundrectangle',
      },
    },
  ];
  for (const [kind, look] of Object.entries(NODE_LOOK)) {
    s.push({
      selector: `node[kind = "${kind}"]`,
      style: { 'background-color': look.fill, 'border-color': look.border, color: look.text, 'border-width': look.borderWidth, 'border-style': look.dashed ? 'dashed' : 'solid' },
    });
  }
  for (const [conf, look] of Object.entries(EDGE_LOOK)) {
    s.push({
      selector: `edge[confidence = "${conf}"]`,
      style: { 'line-color': look.color, 'target-arrow-color': look.color, width: look.width, 'line-style': look.line, color: look.color, ...(look.line === 'dotted' ? { 'line-dash-pattern': [1.5, 3.5] } : look.line === 'dashed' ? { 'line-dash-pattern': [7, 4] } : {}) },
    });
  }
  s.push(
    {
      selector: 'edge[kind = "blast"]',
      style: {
        'line-color': BLAST_EDGE.color,
        'target-arrow-color': BLAST_EDGE.color,
        width: BLAST_EDGE.width,
        'line-style': 'solid',
        color: '#5c5680',
        'curve-style': 'taxi',
        'taxi-direction': 'downward',
        'taxi-turn': '-14px',
        'source-endpoint': 'outside-to-node',
        'target-endpoint': 'outside-to-node',
      },
    },
    {
      selector: 'node[kind = "blastBand"]',
      style: { 'text-valign': 'top', 'text-halign': 'center', 'text-margin-y': -3, padding: '8px', 'font-size': 10, 'background-opacity': 0.7 },
    },
    { selector: 'edge.wrap', style: { 'curve-style': 'taxi', 'taxi-direction': 'downward', 'taxi-turn': '50%', 'source-endpoint': 'outside-to-node', 'target-endpoint': 'outside-to-node' } },
    { selector: 'edge[kind = "more"]', style: { 'line-style': 'dashed', 'line-dash-pattern': [4, 3] } },
    { selector: 'node[?candidate]', style: { 'background-opacity': 0.8 } },
    { selector: 'node[confidence = "none"]', style: { 'border-style': 'dashed' } },
    { selector: 'node[kind = "blastGroup"]', style: { 'font-size': 9.5 } },
    { selector: 'node.expanded', style: { 'border-width': 2.5 } },
    { selector: 'node:selected', style: { 'border-color': '#0b5cad', 'border-width': 3, 'overlay-opacity': 0 } },
    { selector: 'edge:selected', style: { width: 4, 'overlay-color': '#0b5cad', 'overlay-opacity': 0.12, 'overlay-padding': 4 } },
  );
  return s;
}

function ChainGraphView({
  elements,
  positions,
  selected,
  onSelect,
  onExpand,
  onViewport,
  expanded,
  loading,
  empty,
  eventID,
  onSession,
}: {
  elements: GraphElement[];
  positions: Map<string, Position>;
  selected: GraphSelection | null;
  onSelect: (s: GraphSelection | null) => void;
  onExpand: (nodeId: string) => void;
  /** The drawing area's size, for the layout (a long chain wraps into rows in a tall pane). */
  onViewport: (size: { w: number; h: number }) => void;
  expanded: Map<string, Expansion>;
  loading: boolean;
  empty: string | null;
  eventID: string | null;
  /** Filter the table to the selected session node's access key. */
  onSession?: (accessKeyId: string) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | null>(null);
  const handlers = useRef({ onSelect, onExpand, onViewport });
  useEffect(() => {
    handlers.current = { onSelect, onExpand, onViewport };
  }, [onSelect, onExpand, onViewport]);

  useEffect(
    () => () => {
      cy.current?.destroy();
      cy.current = null;
    },
    [],
  );

  useEffect(() => {
    // The drawing engine is made with the first elements: the app's start (no event opened) draws nothing, and
    // making it there took 60–100 ms of the main thread while the first rows were on their way.
    if (!cy.current && elements.length > 0 && box.current) cy.current = makeGraph(box.current, handlers);
    const c = cy.current;
    if (!c) return;
    c.batch(() => {
      c.elements().remove();
      const at = (id: string) => positions.get(id) ?? { x: 0, y: 0 };
      c.add(
        elements.map((el) => {
          if (el.group === 'edges') return { ...el, classes: el.data.kind !== 'blast' && isWrapEdge(at(el.data.source), at(el.data.target)) ? 'wrap' : '' };
          // A box is drawn as wide as its column (layeredLayout), so that edges run in the gaps between columns.
          const { x, y, w } = at(el.data.id);
          return { ...el, data: w ? { ...el.data, w } : el.data, position: { x, y } };
        }),
      );
    });
    c.resize();
    fit(c);
  }, [elements, positions]);

  useEffect(() => {
    const c = cy.current;
    if (!c) return;
    c.nodes().removeClass('expanded');
    for (const id of expanded.keys()) c.getElementById(id).addClass('expanded');
  }, [expanded, elements]);

  useEffect(() => {
    const c = cy.current;
    if (!c) return;
    c.elements(':selected').unselect();
    if (selected) c.getElementById(selected.id).select();
  }, [selected, elements]);

  // Keep the drawing fitted when the pane changes size.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let last = { w: 0, h: 0 };
    const report = () => {
      const size = { w: el.clientWidth, h: el.clientHeight };
      if (Math.abs(size.w - last.w) > 24 || Math.abs(size.h - last.h) > 24) {
        last = size;
        handlers.current.onViewport(size);
      }
    };
    report();
    const ro = new ResizeObserver(() => {
      report();
      if (cy.current) {
        cy.current.resize();
        fit(cy.current);
      }
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const selNode = selected?.group === 'nodes' ? elements.find((e) => e.group === 'nodes' && e.data.id === selected.id) : undefined;
  const canExpand = selNode?.group === 'nodes' && selNode.data.expand !== undefined;
  const sessionKey = selectedSessionKey(elements, selected);
  const nodes = elements.filter((e) => e.group === 'nodes').length;
  const base = eventID ? `podtrail-chain-${eventID.replace(/[^A-Za-z0-9-]/g, '_').slice(0, 80)}` : 'podtrail-chain';

  return (
    <div className="chain">
      <div className="chain-toolbar">
        <span className="pane-title">Chain</span>
        <span className="legend" aria-label="edge legend">
          {(['proven', 'inferred', 'ambiguous', 'none'] as const).map((c) => (
            <span key={c} className="legend-item">
              <svg width="26" height="8" aria-hidden="true">
                <line x1="1" y1="4" x2="25" y2="4" stroke={EDGE_LOOK[c].color} strokeWidth={EDGE_LOOK[c].width} strokeDasharray={EDGE_LOOK[c].dash ?? undefined} strokeLinecap={c === 'ambiguous' ? 'round' : undefined} />
              </svg>
              {c}
            </span>
          ))}
        </span>
        <span className="spacer" />
        <button type="button" className="btn small" disabled={!canExpand} onClick={() => selNode && onExpand(selNode.data.id)} data-testid="graph-expand" title="load this node's blast radius (or double-click the node)">
          {selNode && expanded.has(selNode.data.id) ? 'Collapse' : 'Expand'}
        </button>
        {onSession && (
          <button
            type="button"
            className="btn small"
            disabled={!sessionKey}
            onClick={() => sessionKey && onSession(sessionKey)}
            data-testid="graph-filter-key"
            title={sessionKey ? `filter the table to access key ${sessionKey} (its session)` : 'select a session (access key) node to filter the table to it'}
          >
            Filter session
          </button>
        )}
        <button type="button" className="btn small" disabled={!nodes} onClick={() => cy.current && fit(cy.current)}>
          Fit
        </button>
        <button
          type="button"
          className="btn small"
          disabled={!nodes}
          data-testid="graph-export-png"
          onClick={() => {
            const c = cy.current;
            if (c) saveBlob(`${base}.png`, c.png({ output: 'blob', full: true, scale: 2, bg: '#ffffff' }));
          }}
        >
          PNG
        </button>
        <button type="button" className="btn small" disabled={!nodes} data-testid="graph-export-svg" onClick={() => saveBlob(`${base}.svg`, new Blob([graphToSvg(elements, positions, base)], { type: 'image/svg+xml' }))}>
          SVG
        </button>
      </div>
      <div className="chain-canvas" ref={box} data-testid="chain-graph" data-nodes={nodes} data-edges={elements.length - nodes} aria-label="chain graph" />
      {(loading || (!nodes && empty)) && <div className="chain-empty">{loading ? 'Tracing…' : empty}</div>}
    </div>
  );
}

/** The cytoscape instance of the chain pane, its taps reported through `handlers` (the latest callbacks). */
function makeGraph(container: HTMLDivElement, handlers: { current: { onSelect: (s: GraphSelection | null) => void; onExpand: (nodeId: string) => void } }): Core {
  const c = cytoscape({
    container,
    style: stylesheet(),
    layout: { name: 'preset' },
    minZoom: 0.15,
    maxZoom: 3,
    boxSelectionEnabled: false,
    autoungrabify: false,
    selectionType: 'single',
    wheelSensitivity: 0.3,
  });
  c.on('tap', 'node', (e) => handlers.current.onSelect({ group: 'nodes', id: e.target.id() }));
  c.on('tap', 'edge', (e) => handlers.current.onSelect({ group: 'edges', id: e.target.id() }));
  c.on('tap', (e) => {
    if (e.target === c) handlers.current.onSelect(null);
  });
  c.on('dbltap', 'node', (e) => handlers.current.onExpand(e.target.id()));
  return c;
}

/** The access key of the selected session node, or of the session a selected step leads to (or comes from). */
function selectedSessionKey(elements: GraphElement[], selected: GraphSelection | null): string | null {
  if (!selected) return null;
  const keyOf = (id: string) => {
    const n = elements.find((e) => e.group === 'nodes' && e.data.id === id);
    return n?.group === 'nodes' && n.data.kind === 'session' ? (n.data.link?.accessKeyId ?? null) : null;
  };
  if (selected.group === 'nodes') return keyOf(selected.id);
  const edge = elements.find((e) => e.group === 'edges' && e.data.id === selected.id);
  return edge?.group === 'edges' && edge.data.kind !== 'blast' ? (keyOf(edge.data.target) ?? keyOf(edge.data.source)) : null;
}

function fit(c: Core): void {
  if (c.elements().length === 0) return;
  c.fit(undefined, 20);
  // A short chain should not be blown up to poster size.
  if (c.zoom() > FIT_MAX_ZOOM) {
    c.zoom(FIT_MAX_ZOOM);
    c.center();
  }
}

/** Drawn again only when its props change (a filter change or a new total leaves the graph as it is). */
export const ChainGraph = memo(ChainGraphView);
