/** Worker-thread entry for driver.ts: runs one task and posts its report. */
import { parentPort, workerData } from 'node:worker_threads';
import { runTask, WorkerTask } from './driver';

parentPort!.postMessage(runTask(workerData as WorkerTask));
