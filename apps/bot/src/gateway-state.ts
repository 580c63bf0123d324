/** Where the gateway session stands; the bot is ready only while it is `ready`. */
export type GatewayStatus =
  | 'not_configured'
  | 'connecting'
  | 'ready'
  | 'reconnecting'
  | 'disconnected';

export interface GatewaySnapshot {
  status: GatewayStatus;
  since: string;
  reason?: string;
}

export class GatewayState {
  private snapshot: GatewaySnapshot;
  private readonly listeners: ((snapshot: GatewaySnapshot) => void)[] = [];

  constructor(initial: GatewayStatus, reason?: string) {
    this.snapshot = {
      status: initial,
      since: new Date().toISOString(),
      ...(reason ? { reason } : {}),
    };
  }

  get current(): GatewaySnapshot {
    return this.snapshot;
  }

  get ready(): boolean {
    return this.snapshot.status === 'ready';
  }

  set(status: GatewayStatus, reason?: string): void {
    if (status === this.snapshot.status && reason === this.snapshot.reason) return;
    this.snapshot = { status, since: new Date().toISOString(), ...(reason ? { reason } : {}) };
    for (const listener of this.listeners) listener(this.snapshot);
  }

  onChange(listener: (snapshot: GatewaySnapshot) => void): void {
    this.listeners.push(listener);
  }
}
