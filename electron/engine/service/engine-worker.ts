/** Worker thread hosting a CaseService: the engine runs here, off the UI / server thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { CaseService } from './case-service';
import type { HostMessage, HostRequest } from './host';

if (!parentPort) throw new Error('engine-worker must run as a worker thread');
const port = parentPort;
const service = CaseService.open((workerData as { casePath: string }).casePath, (name, payload) =>
  port.postMessage({ kind: 'push', name, payload } satisfies HostMessage),
);
port.postMessage({ kind: 'ready' } satisfies HostMessage); // the case is open and migrated: readers may open it
port.on('message', (req: HostRequest) => {
  if (req.kind === 'close') {
    service.close();
    port.postMessage({ kind: 'closed' } satisfies HostMessage);
    return;
  }
  void service.dispatch(req.name, req.input).then((result) => port.postMessage({ kind: 'result', id: req.id, result } satisfies HostMessage));
});
