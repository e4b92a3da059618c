/**
 * How the chain graph looks, as data: the cytoscape stylesheet and the SVG export are both built from it, so the
 * exported picture is the one on screen. Confidence is drawn four ways that differ in more than colour:
 * proven solid green, inferred dashed amber, ambiguous dotted orange, none thin grey.
 */
import type { Confidence } from '../../../shared/attribution';
import type { EdgeKind, NodeKind } from './graph';

export const FONT = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace';

export interface EdgeLook {
  color: string;
  width: number;
  line: 'solid' | 'dashed' | 'dotted';
  dash: string | null;
}

export const EDGE_LOOK: Record<Confidence, EdgeLook> = {
  proven: { color: '#1a7f37', width: 2, line: 'solid', dash: null },
  inferred: { color: '#9a6700', width: 2, line: 'dashed', dash: '7 4' },
  ambiguous: { color: '#c4470c', width: 2.2, line: 'dotted', dash: '1.5 3.5' },
  none: { color: '#8c959f', width: 1.2, line: 'solid', dash: null },
};

export const BLAST_EDGE: EdgeLook = { color: '#a8a3c7', width: 1, line: 'solid', dash: null };

export function edgeLook(kind: EdgeKind, confidence: Confidence): EdgeLook {
  return kind === 'blast' ? BLAST_EDGE : EDGE_LOOK[confidence];
}

export interface NodeLook {
  fill: string;
  border: string;
  text: string;
  borderWidth: number;
  dashed: boolean;
}

export const NODE_LOOK: Record<NodeKind, NodeLook> = {
  event: { fill: '#e8f1fb', border: '#0b5cad', text: '#0a2540', borderWidth: 2, dashed: false },
  session: { fill: '#f6f8fa', border: '#57606a', text: '#1f2328', borderWidth: 1, dashed: false },
  serviceAccount: { fill: '#eef7f0', border: '#1a7f37', text: '#12361f', borderWidth: 1.5, dashed: false },
  pod: { fill: '#eef7f0', border: '#2f8a4a', text: '#12361f', borderWidth: 1.5, dashed: false },
  node: { fill: '#f1f4fa', border: '#4c6a92', text: '#1b2a41', borderWidth: 1.5, dashed: false },
  cluster: { fill: '#f4f0fb', border: '#6f42c1', text: '#2b1a4d', borderWidth: 1.5, dashed: false },
  principal: { fill: '#fff8e6', border: '#9a6700', text: '#3d2a00', borderWidth: 1.5, dashed: false },
  person: { fill: '#fdf1f4', border: '#b0305a', text: '#4a1226', borderWidth: 1.5, dashed: false },
  action: { fill: '#fff5f7', border: '#c66b8a', text: '#4a1226', borderWidth: 1, dashed: false },
  more: { fill: '#ffffff', border: '#c66b8a', text: '#6e7781', borderWidth: 1, dashed: true },
  unknown: { fill: '#ffffff', border: '#afb8c1', text: '#6e7781', borderWidth: 1, dashed: true },
  blastBand: { fill: '#f7f6fc', border: '#b9b4d6', text: '#4a4470', borderWidth: 1, dashed: true },
  blastGroup: { fill: '#ffffff', border: '#a8a3c7', text: '#3b3561', borderWidth: 1, dashed: false },
};
