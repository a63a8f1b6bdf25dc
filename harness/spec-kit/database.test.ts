import { describe, expect, it } from 'vitest'
import { closeDatabases, database, SqliteError } from './database.ts'

async function books() {
  const { db, probe } = await database()
  probe.exec(`CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL UNIQUE, pages INTEGER CHECK (pages > 0));
    INSERT INTO books (title, pages) VALUES ('Dune', 412), ('Emma', 474);`)
  return { db, probe }
}

describe('database', () => {
  it('gives the app a driver with bound values and records what it ran', async () => {
    const { db, probe } = await books()
    expect(db.all('SELECT title FROM books WHERE pages > ? ORDER BY id', [400])).toEqual([{ title: 'Dune' }, { title: 'Emma' }])
    expect(db.get('SELECT pages FROM books WHERE title = :t', { ':t': 'Emma' })).toEqual({ pages: 474 })
    expect(db.get('SELECT pages FROM books WHERE title = ?', ['nope'])).toBeUndefined()
    expect(db.run('INSERT INTO books (title, pages) VALUES (?, ?)', ['Kim', 368])).toEqual({ changes: 1, lastInsertRowid: 3 })
    expect(probe.count()).toBe(4)
    expect(probe.statements()[0]).toEqual({ sql: 'SELECT title FROM books WHERE pages > ? ORDER BY id', params: [400] })
    expect(probe.summary()).toMatch(/^4 statements:\n {2}1 × SELECT title/)
    probe.clear()
    expect(probe.count()).toBe(0)
  })

  it('does not count the spec’s own queries', async () => {
    const { probe } = await books()
    expect(probe.query('SELECT count(*) AS n FROM books')).toEqual([{ n: 2 }])
    expect(probe.count()).toBe(0)
  })

  it('counts each statement of an exec script', async () => {
    const { db, probe } = await books()
    db.exec('BEGIN; UPDATE books SET pages = pages + 1; COMMIT')
    expect(probe.statements().map((s) => s.sql)).toEqual(['BEGIN;', 'UPDATE books SET pages = pages + 1;', 'COMMIT'])
  })

  it('refuses a second statement smuggled into all/get/run, but allows a trailing comment', async () => {
    const { db, probe } = await books()
    expect(() => db.all("SELECT * FROM books WHERE title = ''; DROP TABLE books")).toThrow(/more than one statement/)
    expect(db.all('SELECT count(*) AS n FROM books; -- fine')).toEqual([{ n: 2 }])
    expect(probe.query('SELECT count(*) AS n FROM books')).toEqual([{ n: 2 }])
  })

  it('gives constraint errors the codes a Node SQLite driver uses', async () => {
    const { db } = await books()
    const codeOf = (work: () => unknown) => {
      try {
        work()
      } catch (error) {
        expect(error).toBeInstanceOf(SqliteError)
        return (error as SqliteError).code
      }
      return 'no error'
    }
    expect(codeOf(() => db.run("INSERT INTO books (title, pages) VALUES ('Dune', 1)"))).toBe('SQLITE_CONSTRAINT_UNIQUE')
    expect(codeOf(() => db.run("INSERT INTO books (title, pages) VALUES ('X', 0)"))).toBe('SQLITE_CONSTRAINT_CHECK')
    expect(codeOf(() => db.run('INSERT INTO books (pages) VALUES (3)'))).toBe('SQLITE_CONSTRAINT_NOTNULL')
    expect(codeOf(() => db.all('SELEC 1'))).toBe('SQLITE_ERROR')
    expect(codeOf(() => db.exec('CREATE TABLE t (a); INSERT INTO nope VALUES (1)'))).toBe('SQLITE_ERROR')
  })

  it('fails the chosen statement instead of running it', async () => {
    const { db, probe } = await books()
    probe.failWhen(/^UPDATE/, 2)
    db.exec('BEGIN')
    db.run('UPDATE books SET pages = 1 WHERE id = 1')
    expect(() => db.run('UPDATE books SET pages = 1 WHERE id = 2')).toThrow(/injected/)
    db.exec('ROLLBACK')
    expect(probe.query('SELECT pages FROM books ORDER BY id')).toEqual([{ pages: 412 }, { pages: 474 }])
    probe.failAt(1)
    expect(() => db.get('SELECT 1')).toThrow(SqliteError)
    expect(db.get('SELECT 1 AS one')).toEqual({ one: 1 })
  })

  it('reads query plans', async () => {
    const { probe } = await books()
    expect(probe.plan('SELECT * FROM books WHERE pages = ?', [1]).join()).toMatch(/SCAN books/)
    probe.exec('CREATE INDEX books_pages ON books (pages)')
    expect(probe.plan('SELECT * FROM books WHERE pages = ?', [1]).join()).toMatch(/USING INDEX books_pages/)
  })

  it('gives each call its own database, and the app cannot rewrite the driver', async () => {
    const a = await books()
    const b = await database()
    expect(() => b.db.all('SELECT * FROM books')).toThrow(/no such table/)
    expect(() => {
      ;(a.db as { all: unknown }).all = () => []
    }).toThrow(TypeError)
    closeDatabases()
    expect(() => a.db.all('SELECT 1')).toThrow()
  })
})
