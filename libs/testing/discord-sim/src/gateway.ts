import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import { GatewayCloseCodes, GatewayOpcodes } from 'discord-api-types/v10';

export interface GatewayOptions {
  token: string;
  heartbeatIntervalMs: number;
  resumeUrl: () => string;
  /** READY payload and the dispatches that follow it (GUILD_CREATE…). */
  onIdentify: (sessionId: string) => { ready: unknown; then: { t: string; d: unknown }[] };
  log?: (line: string) => void;
}

interface Session {
  id: string;
  seq: number;
  socket: WebSocket | null;
  /** Recent dispatches, replayed on RESUME. */
  buffer: { s: number; t: string; d: unknown }[];
}

const REPLAY_BUFFER = 1000;

/**
 * The gateway: HELLO, IDENTIFY → READY, heartbeats and ACKs, RESUME with replay of missed
 * dispatches, INVALID_SESSION when a session is unknown, close 4004 for a bad token.
 */
export class SimulatedGateway {
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  identifies = 0;
  resumes = 0;

  constructor(private readonly options: GatewayOptions) {
    this.server.on('connection', (socket) => this.accept(socket));
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.server.handleUpgrade(req, socket, head, (ws) => this.server.emit('connection', ws, req));
  }

  /** Whether a session is connected and identified. */
  get connected(): boolean {
    return [...this.sessions.values()].some((s) => s.socket?.readyState === WebSocket.OPEN);
  }

  dispatch(t: string, d: unknown): void {
    for (const session of this.sessions.values()) this.send(session, t, d);
  }

  /**
   * Drops the connection as a network failure or a server restart would. With a resumable
   * code the client is expected to reconnect and RESUME.
   */
  disconnect(code: number = GatewayCloseCodes.UnknownError): void {
    for (const session of this.sessions.values()) {
      session.socket?.close(code, 'simulated disconnect');
      session.socket = null;
    }
  }

  close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    let session: Session | null = null;
    const sendRaw = (payload: unknown) =>
      socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify(payload));
    sendRaw({
      op: GatewayOpcodes.Hello,
      d: { heartbeat_interval: this.options.heartbeatIntervalMs },
      s: null,
      t: null,
    });

    socket.on('message', (raw) => {
      let payload: { op: number; d: Record<string, unknown> | number | null };
      try {
        payload = JSON.parse(raw.toString());
      } catch {
        socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
        return;
      }
      switch (payload.op) {
        case GatewayOpcodes.Heartbeat:
          sendRaw({ op: GatewayOpcodes.HeartbeatAck, d: null, s: null, t: null });
          return;
        case GatewayOpcodes.Identify: {
          const d = payload.d as { token?: string };
          if (d.token !== this.options.token) {
            socket.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
            return;
          }
          if (session) {
            socket.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
            return;
          }
          this.identifies++;
          session = { id: randomBytes(16).toString('hex'), seq: 0, socket, buffer: [] };
          this.sessions.clear();
          this.sessions.set(session.id, session);
          const { ready, then } = this.options.onIdentify(session.id);
          this.send(session, 'READY', ready);
          for (const event of then) this.send(session, event.t, event.d);
          this.options.log?.(`gateway: IDENTIFY → READY (session ${session.id.slice(0, 8)})`);
          return;
        }
        case GatewayOpcodes.Resume: {
          const d = payload.d as { token?: string; session_id?: string; seq?: number };
          const known = d.session_id ? this.sessions.get(d.session_id) : undefined;
          if (d.token !== this.options.token) {
            socket.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
            return;
          }
          if (!known) {
            sendRaw({ op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
            return;
          }
          this.resumes++;
          session = known;
          session.socket = socket;
          for (const event of session.buffer.filter((e) => e.s > (d.seq ?? 0))) {
            sendRaw({ op: GatewayOpcodes.Dispatch, t: event.t, s: event.s, d: event.d });
          }
          this.send(session, 'RESUMED', {});
          this.options.log?.(`gateway: RESUME → RESUMED (from seq ${d.seq})`);
          return;
        }
        default:
          return;
      }
    });
    socket.on('close', () => {
      if (session && session.socket === socket) session.socket = null;
    });
  }

  private send(session: Session, t: string, d: unknown): void {
    session.seq++;
    session.buffer.push({ s: session.seq, t, d });
    if (session.buffer.length > REPLAY_BUFFER) session.buffer.shift();
    if (session.socket?.readyState === WebSocket.OPEN) {
      session.socket.send(JSON.stringify({ op: GatewayOpcodes.Dispatch, t, s: session.seq, d }));
    }
  }
}
