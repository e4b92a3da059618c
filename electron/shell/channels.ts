/** The IPC channel names on the main-process side (the preload spells the same literals; see bridge.ts). */
import type { ApiNamesSwitch, Channels } from './bridge';

export const CHANNELS: Channels = {
  call: 'podtrail:call',
  push: 'podtrail:push',
  command: 'podtrail:command',
  printPdf: 'podtrail:print-pdf',
  drop: 'podtrail:drop',
};

export const API_NAMES_SWITCH: ApiNamesSwitch = '--podtrail-api-names=';
