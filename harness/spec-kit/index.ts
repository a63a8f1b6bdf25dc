// What hidden specs import: the request client, the response matchers' types, seeded random
// data, a controllable clock, a wait for an expected event, a real SQLite database, a real
// listening server with WebSocket and event-stream clients, and `task` to group checks into the
// exercise's numbered tasks.
import './matchers.ts'

export { client, focusOn, NoResponseError, REQUEST_TIMEOUT_MS } from './client.ts'
export type { Client, FetchApp, Reply, RequestOptions } from './client.ts'
export { fakeClock } from './clock.ts'
export type { FakeClock } from './clock.ts'
export { random } from './random.ts'
export { task } from './task.ts'
export { until, UNTIL_TIMEOUT_MS } from './until.ts'
export type { UntilOptions } from './until.ts'
export { build } from './app-options.ts'
export { database, SqliteError } from './database.ts'
export { serve } from './server.ts'
export type { Served, ServeOptions } from './server.ts'
export { connect, UpgradeRefused } from './websocket.ts'
export type { ConnectOptions, Frame, TestSocket } from './websocket.ts'
export { openEvents } from './sse.ts'
export type { EventStream, EventsOptions, SseEvent } from './sse.ts'
export { EventStreamParser } from './event-stream.ts'
export { streamedRequest } from './streamed-request.ts'
export type { StreamedOptions, StreamedRequest } from './streamed-request.ts'
export type { DatabaseProbe, RecordedStatement, Row, SqlDatabase, SqlParams, SqlValue } from './database.ts'
export type { Rng } from './random.ts'
export { parseChallenge, parseHref, parseLinkHeader, parseSetCookies, parseTokenList } from './headers.ts'
export type { Challenge, Href, LinkValue, SetCookie } from './headers.ts'
