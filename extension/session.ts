/**
 * Keeps the Faultline views in step with the debug session: a DebugAdapterTracker sees every `stopped`,
 * `continued`, `invalidated` and `faultline/screenChanged` event the adapter sends and refreshes the views
 * through the custom requests; everything is cleared when the session ends.
 */
import * as vscode from 'vscode';
import { GuestScreen } from './screen/panel';
import { FaultlineTree } from './views/tree';

export class SessionViews implements vscode.DebugAdapterTrackerFactory {
  constructor(private readonly trees: FaultlineTree[], private readonly screen: GuestScreen) {}

  createDebugAdapterTracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
    return {
      onDidSendMessage: (m: { type?: string; event?: string }) => {
        if (m.type !== 'event') return;
        switch (m.event) {
          case 'stopped':
            this.screen.setRunning(session, false);
            void this.refresh(session);
            break;
          case 'invalidated':
            void this.refresh(session);
            break;
          case 'continued':
            for (const t of this.trees) if (t.session === session) t.markRunning();
            this.screen.setRunning(session, true);
            break;
          case 'faultline/screenChanged':
            this.screen.changed(session);
            break;
        }
      },
      onWillReceiveMessage: (m: { type?: string; command?: string }) => {
        if (m.type === 'request' && m.command === 'continue') this.screen.setRunning(session, true);
      },
      onWillStopSession: () => this.ended(session),
      onExit: () => this.ended(session),
    };
  }

  async refresh(session: vscode.DebugSession): Promise<void> {
    // A 'stopped' event arrives before VS Code has asked for threads; let the stack requests go first.
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all(this.trees.map((t) => t.refresh(session)));
    this.screen.changed(session);
  }

  ended(session: vscode.DebugSession): void {
    for (const t of this.trees) if (!t.session || t.session === session) t.clear();
    this.screen.ended(session);
  }
}
