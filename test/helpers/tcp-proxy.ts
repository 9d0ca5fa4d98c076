import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP hop on 127.0.0.1 (a free port) to a local port, that a test can cut: one client's
 * route to a shared server (Redis) fails while every other client still reaches it — a partition.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private severed = false;
  private readonly server = createServer((client) => this.forward(client));

  private constructor(private readonly targetPort: number) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Drops every connection through the proxy and refuses new ones until `mend()`. */
  cut(): void {
    this.severed = true;
    for (const socket of this.sockets) socket.destroy();
  }

  mend(): void {
    this.severed = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket): void {
    if (this.severed) return void client.destroy();
    const upstream = connect(this.targetPort, '127.0.0.1');
    const pairs: [Socket, Socket][] = [
      [client, upstream],
      [upstream, client],
    ];
    for (const [socket, other] of pairs) {
      this.sockets.add(socket);
      socket.pipe(other);
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        other.destroy();
      });
    }
  }
}
