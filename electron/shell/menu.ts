/** The application menu. Items only call back into main.ts; nothing here touches the engine. */
import { Menu, type MenuItemConstructorOptions } from 'electron';
import { basename } from 'node:path';

export interface MenuActions {
  openEvidenceFiles(): void;
  openEvidenceFolder(): void;
  openCase(): void;
  newCase(): void;
  openRecent(casePath: string): void;
  clearRecent(): void;
  exportReport(): void;
  openDocs(url: string): void;
}

export function buildMenu(actions: MenuActions, recent: readonly string[], devTools: boolean): Menu {
  const mac = process.platform === 'darwin';
  const recentItems: MenuItemConstructorOptions[] = recent.length
    ? [
        ...recent.map((p) => ({ label: `${basename(p)} — ${p}`, click: () => actions.openRecent(p) })),
        { type: 'separator' as const },
        { label: 'Clear Recent', click: () => actions.clearRecent() },
      ]
    : [{ label: 'No recent cases', enabled: false }];

  const template: MenuItemConstructorOptions[] = [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        // Linux and Windows dialogs pick files or folders, not both: two items.
        { label: mac ? 'Open Evidence…' : 'Open Evidence Files…', accelerator: 'CmdOrCtrl+O', click: () => actions.openEvidenceFiles() },
        ...(mac ? [] : [{ label: 'Open Evidence Folder…', accelerator: 'CmdOrCtrl+Shift+E', click: () => actions.openEvidenceFolder() }]),
        { type: 'separator' },
        { label: 'Open Case…', accelerator: 'CmdOrCtrl+Shift+O', click: () => actions.openCase() },
        { label: 'New Case…', accelerator: 'CmdOrCtrl+N', click: () => actions.newCase() },
        { label: 'Open Recent', submenu: recentItems },
        { type: 'separator' },
        { label: 'Export Report…', accelerator: 'CmdOrCtrl+E', click: () => actions.exportReport() },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(devTools ? [{ role: 'toggleDevTools' as const }] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: 'Help',
      submenu: [
        { label: 'CloudTrail record contents', click: () => actions.openDocs('https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html') },
        { label: 'IAM roles for service accounts (IRSA)', click: () => actions.openDocs('https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html') },
        { label: 'EKS Pod Identity', click: () => actions.openDocs('https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html') },
        { label: 'Kubernetes service accounts', click: () => actions.openDocs('https://kubernetes.io/docs/concepts/security/service-accounts/') },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}
