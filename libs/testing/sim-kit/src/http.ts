import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request's whole body. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The body as JSON, or undefined when it is empty or not JSON (the route refuses that itself). */
export function jsonOrUndefined(raw: Buffer): unknown {
  try {
    return raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The HTTP server every stand-in runs on: loopback by default, any free port, and a stop that
 * drops open connections (kept-alive clients must not hold a test up).
 */
export class SimHttpServer {
  readonly server: Server;
  private address: AddressInfo | null = null;

  constructor(
    private readonly name: string,
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ) {
    this.server = createServer(handler);
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    this.address = this.server.address() as AddressInfo;
    return this.address;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** `http://host:port` once listening. */
  get url(): string {
    if (!this.address) throw new Error(`the ${this.name} is not started`);
    return `http://${this.address.address}:${this.address.port}`;
  }
}
