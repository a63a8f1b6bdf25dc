import { Hono } from 'hono'
import { validator } from 'hono/validator'
import { z } from 'zod'

/** One product of the catalogue. */
export interface Product {
  id: number
  /** Words with capital initials, e.g. "Amber Kettle". Two products may share a name. */
  name: string
  /** A lower-case word, e.g. "kitchen". */
  category: string
  /** A price greater than 0, e.g. 9.99 or 1200. */
  price: number
  /** From 1 to 5 in steps of 0.5. */
  rating: number
  inStock: boolean
  /** An ISO 8601 timestamp, always in the format of Date#toISOString(). */
  createdAt: string
}

export interface CatalogueOptions {
  /** Every product, in no particular order. The app reads this array and never changes it. */
  products: Product[]
}

/** A filter is only a function from product to yes/no, so filters compose like Q objects. */
type Predicate = (product: Product) => boolean

const allOf =
  (...predicates: Predicate[]): Predicate =>
  (product) =>
    predicates.every((keep) => keep(product))

const anyOf =
  (...predicates: Predicate[]): Predicate =>
  (product) =>
    predicates.some((keep) => keep(product))

// The sortable fields are a whitelist like the filters: `inStock` (or a field added to Product
// tomorrow, say an internal cost) is not orderable until someone decides it should be.
const SORTABLE = ['id', 'name', 'category', 'price', 'rating', 'createdAt'] as const
type SortField = (typeof SORTABLE)[number]
interface SortKey {
  field: SortField
  descending: boolean
}

/** `-price,name` -> keys; undefined for an empty entry, an unknown field or a repeated one. */
function parseSort(value: string): SortKey[] | undefined {
  const keys: SortKey[] = []
  for (const entry of value.split(',')) {
    const descending = entry.startsWith('-')
    const field = descending ? entry.slice(1) : entry
    // `includes` on an array, not `field in someObject`: "constructor" is in every object.
    if (!(SORTABLE as readonly string[]).includes(field)) return undefined
    if (keys.some((key) => key.field === field)) return undefined
    keys.push({ field: field as SortField, descending })
  }
  return keys
}

// A query value is text, so "10" < "9" if you compare it as text. The regex decides what a price
// looks like (Number('') is 0, Number('1e3') is 1000, Number(' 5') is 5); only then convert.
const price = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .transform(Number)

// strictObject is the whitelist: any key not listed is an issue, so `?secretCost=1` or a typo
// such as `?colour=red` is a 400 instead of a filter that silently does nothing (or worse, one
// that quietly filters on a field you never meant to expose). A parameter sent twice arrives from
// Hono's validator as an array, which z.string() rejects: no guessing which of the two was meant.
const productQuery = z.strictObject({
  category: z
    .string()
    .regex(/^[^,]+(,[^,]+)*$/)
    .transform((v) => v.split(','))
    .optional(),
  // z.enum, not Boolean(value): Boolean('false') is true.
  inStock: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  price_min: price.optional(),
  price_max: price.optional(),
  q: z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .optional(),
  sort: z
    .string()
    .transform((value, ctx) => {
      const keys = parseSort(value)
      if (keys === undefined) {
        ctx.addIssue({ code: 'custom', message: 'unknown, empty or repeated sort field' })
        return z.NEVER
      }
      return keys
    })
    .optional(),
})
type ProductQuery = z.infer<typeof productQuery>

/** The parameter a failed parse is about: the unknown key, or the path of the bad value. */
function offendingField(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return issue.keys[0] ?? ''
  return String(issue.path[0] ?? '')
}

/** One predicate per parameter present; parameters that are absent add nothing. */
function buildFilter(query: ProductQuery): Predicate {
  const predicates: Predicate[] = []
  if (query.category !== undefined) {
    // `category=a,b` is an OR inside one field, the whole query is an AND across fields:
    // Q(category='a') | Q(category='b'), then & with everything else.
    predicates.push(anyOf(...query.category.map((name) => (p: Product) => p.category === name)))
  }
  const { inStock, price_min: min, price_max: max, q } = query
  // `!== undefined`, never truthiness: inStock=false and price_max=0 are real filters.
  if (inStock !== undefined) predicates.push((p) => p.inStock === inStock)
  // Inclusive bounds, numbers against numbers.
  if (min !== undefined) predicates.push((p) => p.price >= min)
  if (max !== undefined) predicates.push((p) => p.price <= max)
  // A blank search is no search: "".includes("") would keep everything anyway, but saying so
  // keeps the intent visible. Lower-case both sides once, not per comparison.
  if (q !== undefined && q !== '') {
    predicates.push((p) => p.name.toLowerCase().includes(q) || p.category.toLowerCase().includes(q))
  }
  return allOf(...predicates)
}

/** Compares two values of one field: numbers by value, strings by code unit. */
function compareValues(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * One comparator for all keys. A descending key negates only its own comparison, so ties still
 * fall through to the next key and finally to id ascending; sorting ascending and reversing the
 * result would turn the tie order around too.
 */
function byKeys(keys: SortKey[]): (a: Product, b: Product) => number {
  return (a, b) => {
    for (const { field, descending } of keys) {
      const order = compareValues(a[field], b[field])
      if (order !== 0) return descending ? -order : order
    }
    return a.id - b.id
  }
}

export function createApp(options: CatalogueOptions) {
  const { products } = options
  const app = new Hono()

  app.get(
    '/api/products',
    validator('query', (query, c) => {
      const parsed = productQuery.safeParse(query)
      if (parsed.success) return parsed.data
      return c.json({ error: 'invalid_query', field: offendingField(parsed.error.issues[0]!) }, 400)
    }),
    (c) => {
      const query = c.req.valid('query')
      const keep = buildFilter(query)
      // filter() returns a new array, but only when you call it; toSorted() always copies.
      // `products.sort(...)` would reorder the caller's array on a request without filters.
      const data = products.filter(keep).toSorted(byKeys(query.sort ?? []))
      return c.json({ data })
    },
  )

  return app
}
