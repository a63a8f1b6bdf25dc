// A real listening server for lessons that in-process requests cannot grade: WebSockets, event
// streams, a blocked event loop, graceful shutdown. `serve(app)` listens on 127.0.0.1 on a free
// port and hands the spec its URLs; the setup file closes every server after each check, also
// one that timed out, and destroys every socket it accepted, upgraded ones included (Node's
// closeAllConnections does not see a socket once it was upgraded to a WebSocket). A worker that
// is killed takes its ports with it: they belong to its process.
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import type { FetchApp } from './client.ts'

export interface ServeOptions {
  /**
   * Called with the Node server before it listens: attach WebSocket handling here, e.g. the
   * `injectWebSocket` that @hono/node-ws's `createNodeWebSocket({ app })` returned.
   */
  attach?: (server: http.Server) => void
}

/** A listening server of the learner's app. */
export interface Served {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string
  /** `ws://127.0.0.1:<port>`. */
  readonly wsUrl: string
  readonly port: number
  /** The Node server, for lessons about it (graceful shutdown calls `server.close()`). */
  readonly server: http.Server
  /** How many connections are open right now (upgraded WebSockets included). */
  openConnections(): number
  /** Closes the server and destroys every connection; the setup file does this after each check. */
  close(): void
}

const open = new Set<Served>()

/** Serves `app` on a free loopback port until the check ends. */
export async function serve(app: FetchApp, options: ServeOptions = {}): Promise<Served> {
  const server = createAdaptorServer({ fetch: app.fetch }) as http.Server
  // Idle kept-alive sockets must not keep the server (or the check) waiting.
  server.keepAliveTimeout = 1000
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  options.attach?.(server)
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
  const served: Served = {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    server,
    openConnections: () => sockets.size,
    close: () => {
      open.delete(served)
      for (const socket of sockets) socket.destroy()
      sockets.clear()
      server.close()
    },
  }
  open.add(served)
  return served
}

/** Closes every server the check started (called after each check by the setup file). */
export function closeServers(): void {
  for (const served of [...open]) served.close()
}
