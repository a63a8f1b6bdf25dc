import { Hono } from 'hono'

/** A stored upload: the bytes, the type detected from them and a display name. */
export interface StoredFile {
  filename: string
  type: string
  size: number
  bytes: Uint8Array
}

export interface FileUploadOptions {
  /** Where files live, by id. The grader hands you an empty Map and inspects it. */
  store: Map<string, StoredFile>
  /** The largest request body accepted, in bytes, counted as it arrives. */
  maxBytes: number
}

export function createApp(options: FileUploadOptions) {
  const { store } = options
  const app = new Hono()

  // TODO (task 3): before any parser touches the body, refuse bodies over options.maxBytes with
  // 413 { "error": "too_large" }: at once when Content-Length says so, otherwise by counting the
  // bytes as you read c.req.raw.body and stopping as soon as the count passes the limit.

  app.post('/files', async (c) => {
    // TODO (task 1): parse the multipart body (c.req.parseBody()); a body that is not multipart,
    // does not parse, or has no `file` part that is a File: 400 { "error": "invalid_upload" }.

    // TODO (task 2): detect the type from the file's first bytes (PNG, JPEG, PDF, see the
    // README), never from file.type or the name; anything else is
    // 415 { "error": "unsupported_type" }.

    // TODO (task 4): clean up file.name as the README's five steps say.

    // TODO (task 1): generate an unguessable id (node:crypto), store { filename, type, size,
    // bytes } under it, and answer 201 { id, filename, type, size } with Location: /files/<id>.
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.get('/files/:id', (c) => {
    const file = store.get(c.req.param('id'))
    if (!file) return c.json({ error: 'not_found' }, 404)
    // TODO (task 5): answer with the stored bytes, Content-Type: the detected type,
    // X-Content-Type-Options: nosniff, and Content-Disposition: attachment with filename= (an
    // ASCII fallback) and filename*=UTF-8''<RFC 8187 encoding of the filename>.
    return c.json({ error: 'not_implemented' }, 501)
  })

  return app
}
