// End-to-end tests of the API driven by @supabase/postgrest-js, the client
// supabase-js uses. Run by TestPostgrestJS (tests/postgrestjs_test.go), which
// starts a stack on localdev/sample_schema.sql plus api.shelves (a text[]
// column) and the writable api.todos and other.todos (schemas api and
// other exposed), with aggregates enabled, and passes its address in API_URL.
//
// Expectations are PostgREST 13's responses as the client reports them:
// { error, data, count, status, statusText }.

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { PostgrestClient } from '@supabase/postgrest-js'

const API_URL = process.env.API_URL
if (!API_URL) {
  throw new Error('API_URL is not set: run these tests with `go test -run TestPostgrestJS ./tests/`')
}

// The last request the client sent and the response it got, shown when an
// assertion fails. The tests of this file run one at a time.
let last = null

async function recordingFetch(url, init = {}) {
  // URLSearchParams encodes spaces as '+' (a literal '+' is %2B).
  const shown = decodeURIComponent(String(url).replaceAll('+', ' '))
  last = { method: init.method, url: shown, headers: init.headers, body: init.body }
  const res = await fetch(url, init)
  last.response = {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body: await res.clone().text(),
  }
  return res
}

const api = new PostgrestClient(API_URL, { fetch: recordingFetch, retry: false })

// same is assert.deepStrictEqual with the HTTP exchange attached to the
// error on failure (the test report prints an error's own properties).
function same(actual, expected, what = '') {
  try {
    assert.deepStrictEqual(actual, expected)
  } catch (err) {
    if (what) err.checking = what
    err.request = { method: last?.method, url: last?.url, headers: last?.headers, body: last?.body }
    err.response = last?.response
    throw err
  }
}

function result(res) {
  return { error: res.error, data: res.data, count: res.count, status: res.status, statusText: res.statusText }
}

// ok checks a successful response.
function ok(res, data, { count = null, status = 200, statusText = 'OK' } = {}) {
  same(result(res), { error: null, data, count, status, statusText })
}

// fails checks an error response: data and count are null.
function fails(res, status, statusText, error) {
  same(result(res), { error, data: null, count: null, status, statusText })
}

// sent checks the request the client made (path and query, decoded).
function sent(method, pathAndQuery) {
  same({ method: last.method, url: last.url }, { method, url: API_URL + pathAndQuery }, 'request')
}

// header returns a response header of the last exchange.
const header = (name) => last.response.headers[name.toLowerCase()]

const ids = (...xs) => xs.map((id) => ({ id }))

describe('select and embedding', () => {
  test('many-to-one and many-to-many embeds', async () => {
    const res = await api.from('books').select('title, author:authors(name), tags(name)').eq('id', 4)
    sent('GET', '/books?select=title,author:authors(name),tags(name)&id=eq.4')
    // The order of a many-to-many embed is unspecified without an order.
    res.data?.[0]?.tags?.sort((a, b) => a.name.localeCompare(b.name))
    ok(res, [{ title: 'Guards! Guards!', author: { name: 'Terry Pratchett' }, tags: [{ name: 'fantasy' }, { name: 'humour' }] }])
    same(header('Content-Type'), 'application/json; charset=utf-8', 'Content-Type')
    same(header('Content-Range'), '0-0/*', 'Content-Range')
  })

  test('order and limit on an embed', async () => {
    const res = await api
      .from('books')
      .select('id, tags(name)')
      .in('id', [2, 6])
      .order('id')
      .order('name', { referencedTable: 'tags', ascending: false })
      .limit(2, { referencedTable: 'tags' })
    sent('GET', '/books?select=id,tags(name)&id=in.(2,6)&order=id.asc&tags.order=name.desc&tags.limit=2')
    ok(res, [
      { id: 2, tags: [{ name: 'science fiction' }, { name: 'classic' }] },
      { id: 6, tags: [{ name: 'fantasy' }, { name: 'award winner' }] },
    ])
  })

  test('one-to-many, one-to-one and the deprecated foreignTable option', async () => {
    const res = await api
      .from('authors')
      .select('name, author_profiles(website), books(id)')
      .lte('id', 2)
      .order('id')
      .order('id', { foreignTable: 'books', ascending: false })
      .range(0, 1, { foreignTable: 'books' })
    sent('GET', '/authors?select=name,author_profiles(website),books(id)&id=lte.2&order=id.asc&books.order=id.desc&books.offset=0&books.limit=2')
    ok(res, [
      { name: 'Ursula K. Le Guin', author_profiles: { website: 'https://www.ursulakleguin.com' }, books: ids(3, 2) },
      { name: 'Terry Pratchett', author_profiles: { website: null }, books: ids(5, 4) },
    ])
  })

  test('spread of a to-one embed', async () => {
    const res = await api.from('books').select('title, ...authors(author_name:name)').eq('id', 6)
    ok(res, [{ title: 'The Fifth Season', author_name: 'N. K. Jemisin' }])
  })

  test('casts and aliases', async () => {
    const res = await api.from('books').select('t:title, year:published_year::text').eq('id', 1)
    sent('GET', '/books?select=t:title,year:published_year::text&id=eq.1')
    ok(res, [{ t: 'A Wizard of Earthsea', year: '1968' }])
  })

  test('select() without columns is *', async () => {
    const res = await api.from('author_profiles').select().eq('author_id', 2)
    sent('GET', '/author_profiles?select=*&author_id=eq.2')
    ok(res, [{ author_id: 2, bio: 'Author of the Discworld series.', website: null }])
  })

  test('stripNulls', async () => {
    const res = await api.from('books').select('id, isbn').in('id', [3, 4]).order('id').stripNulls()
    same(last.headers.accept, 'application/vnd.pgrst.array+json;nulls=stripped', 'Accept')
    ok(res, [{ id: 3 }, { id: 4, isbn: '9780062225757' }])
  })
})

describe('order, limit, range and count', () => {
  test('order descending with limit', async () => {
    const res = await api.from('books').select('id, title').order('id', { ascending: false }).limit(2)
    sent('GET', '/books?select=id,title&order=id.desc&limit=2')
    ok(res, [{ id: 6, title: 'The Fifth Season' }, { id: 5, title: 'Small Gods' }])
    same(header('Content-Range'), '0-1/*', 'Content-Range')
  })

  test('order with nullsFirst', async () => {
    const res = await api.from('books').select('id, pages').order('pages', { ascending: false, nullsFirst: true }).limit(3)
    sent('GET', '/books?select=id,pages&order=pages.desc.nullsfirst&limit=3')
    ok(res, [{ id: 5, pages: null }, { id: 6, pages: 512 }, { id: 4, pages: 416 }])
  })

  test('range', async () => {
    const res = await api.from('books').select('id').order('id').range(1, 2)
    sent('GET', '/books?select=id&order=id.asc&offset=1&limit=2')
    ok(res, ids(2, 3))
    same(header('Content-Range'), '1-2/*', 'Content-Range')
  })

  test('exact count with head', async () => {
    const res = await api.from('books').select('*', { count: 'exact', head: true })
    sent('HEAD', '/books?select=*')
    same(last.headers.prefer, 'count=exact', 'Prefer')
    ok(res, null, { count: 6 })
    same(header('Content-Range'), '0-5/6', 'Content-Range')
  })

  test('exact count with a filter and head', async () => {
    const res = await api.from('books').select('*', { count: 'exact', head: true }).eq('author_id', 1)
    ok(res, null, { count: 3 })
  })

  test('exact count of a partial range is 206', async () => {
    const res = await api.from('books').select('id', { count: 'exact' }).order('id').range(0, 1)
    ok(res, ids(1, 2), { count: 6, status: 206, statusText: 'Partial Content' })
    same(header('Content-Range'), '0-1/6', 'Content-Range')
  })

  test('planned and estimated counts', async () => {
    // A planner estimate may exceed the 6 rows returned: then 206, as the
    // range does not cover the (estimated) total.
    for (const count of ['planned', 'estimated']) {
      const res = await api.from('books').select('id', { count, head: true })
      same(Number.isInteger(res.count) && res.count > 0, true, `${count}: count ${res.count} is a positive integer`)
      ok(res, null, {
        count: res.count,
        status: res.count > 6 ? 206 : 200,
        statusText: res.count > 6 ? 'Partial Content' : 'OK',
      })
      same(header('Content-Range'), `0-5/${res.count}`, `${count}: Content-Range`)
    }
  })
})

describe('filters', () => {
  const books = () => api.from('books').select('id').order('id')

  test('in', async () => {
    const res = await books().in('id', [1, 3, 5])
    sent('GET', '/books?select=id&order=id.asc&id=in.(1,3,5)')
    ok(res, ids(1, 3, 5))
  })

  test('in with strings', async () => {
    const res = await books().in('title', ['Small Gods', 'A Wizard of Earthsea'])
    ok(res, ids(1, 5))
  })

  test('is null and is false', async () => {
    ok(await books().is('isbn', null), ids(3, 5))
    sent('GET', '/books?select=id&order=id.asc&isbn=is.null')
    ok(await books().is('in_stock', false), ids(3))
  })

  test('like and ilike', async () => {
    ok(await books().like('title', '%Guards%'), ids(4))
    sent('GET', '/books?select=id&order=id.asc&title=like.%Guards%')
    ok(await books().ilike('title', '%earthsea%'), ids(1))
    ok(await books().like('title', 'The *'), ids(2, 3, 6))
  })

  test('likeAnyOf and likeAllOf', async () => {
    ok(await books().likeAnyOf('title', ['%Gods', 'Guards%']), ids(4, 5))
    sent('GET', '/books?select=id&order=id.asc&title=like(any).{%Gods,Guards%}')
    ok(await books().ilikeAllOf('title', ['the%', '%s']), ids(2))
  })

  test('gt, lte and neq', async () => {
    const res = await books().gt('pages', 300).lte('pages', 416).neq('id', 3)
    sent('GET', '/books?select=id&order=id.asc&pages=gt.300&pages=lte.416&id=neq.3')
    ok(res, ids(2, 4))
  })

  test('gte and lt', async () => {
    ok(await books().gte('published_year', 1989).lt('published_year', 2015), ids(4, 5))
  })

  test('eq on an enum and a string with reserved characters', async () => {
    ok(await books().eq('format', 'hardcover'), ids(2))
    ok(await books().eq('title', 'Guards! Guards!'), ids(4))
  })

  test('not is null', async () => {
    const res = await books().not('isbn', 'is', null)
    sent('GET', '/books?select=id&order=id.asc&isbn=not.is.null')
    ok(res, ids(1, 2, 4, 6))
  })

  test('not in', async () => {
    ok(await books().not('format', 'in', '(paperback,ebook)'), ids(2, 5))
  })

  test('isDistinct', async () => {
    ok(await books().isDistinct('pages', 416), ids(1, 2, 3, 5, 6))
    sent('GET', '/books?select=id&order=id.asc&pages=isdistinct.416')
    // As in PostgREST, the value is a literal: null is not special here.
    fails(await books().isDistinct('pages', null), 400, 'Bad Request', {
      code: '22P02',
      details: null,
      hint: null,
      message: 'invalid input syntax for type integer: "null"',
    })
  })

  test('regexMatch and regexIMatch', async () => {
    ok(await books().regexMatch('title', '^The [DF]'), ids(3, 6))
    sent('GET', '/books?select=id&order=id.asc&title=match.^The [DF]')
    ok(await books().regexIMatch('title', 'gods$'), ids(5))
  })

  test('or', async () => {
    const res = await books().or('id.eq.1,id.eq.6')
    sent('GET', '/books?select=id&order=id.asc&or=(id.eq.1,id.eq.6)')
    ok(res, ids(1, 6))
  })

  test('or with a nested and', async () => {
    ok(await books().or('and(author_id.eq.1,pages.gt.300),id.eq.6'), ids(2, 3, 6))
  })

  test('or on an embed with referencedTable', async () => {
    const res = await api.from('authors').select('name, books(id)').lte('id', 2).order('id')
      .or('id.eq.1,id.eq.5', { referencedTable: 'books' })
      .order('id', { referencedTable: 'books' })
    sent('GET', '/authors?select=name,books(id)&id=lte.2&order=id.asc&books.or=(id.eq.1,id.eq.5)&books.order=id.asc')
    ok(res, [{ name: 'Ursula K. Le Guin', books: ids(1) }, { name: 'Terry Pratchett', books: ids(5) }])
  })

  test('or on an embed with foreignTable', async () => {
    const res = await api.from('authors').select('id, books(id)').eq('id', 1).or('id.eq.1', { foreignTable: 'books' })
    sent('GET', '/authors?select=id,books(id)&id=eq.1&books.or=(id.eq.1)')
    ok(res, [{ id: 1, books: ids(1) }])
  })

  test('filter', async () => {
    ok(await books().filter('format', 'in', '(hardcover,ebook)'), ids(2, 3))
    sent('GET', '/books?select=id&order=id.asc&format=in.(hardcover,ebook)')
    ok(await books().filter('id', 'not.in', '(1,2,3,4)'), ids(5, 6))
  })

  test('match', async () => {
    const res = await books().match({ author_id: 2, format: 'audiobook' })
    sent('GET', '/books?select=id&order=id.asc&author_id=eq.2&format=eq.audiobook')
    ok(res, ids(5))
  })

  test('textSearch with a config', async () => {
    const res = await books().textSearch('title', 'wizard', { config: 'english' })
    sent('GET', '/books?select=id&order=id.asc&title=fts(english).wizard')
    ok(res, ids(1))
  })

  test('textSearch plain, phrase and websearch', async () => {
    ok(await books().textSearch('title', 'fifth season', { type: 'plain', config: 'english' }), ids(6))
    sent('GET', '/books?select=id&order=id.asc&title=plfts(english).fifth season')
    ok(await books().textSearch('title', 'small gods', { type: 'phrase', config: 'english' }), ids(5))
    ok(await books().textSearch('title', 'left -right', { type: 'websearch', config: 'english' }), ids(2))
    ok(await books().textSearch('title', 'dispossessed'), ids(3))
  })

  test('contains and overlaps on a text[] column', async () => {
    const shelves = () => api.from('shelves').select('id').order('id')
    ok(await shelves().contains('labels', ['new']), ids(1, 3))
    sent('GET', '/shelves?select=id&order=id.asc&labels=cs.{new}')
    ok(await shelves().contains('labels', ['new', 'classic']), ids(3))
    ok(await shelves().contains('labels', ['staff picks']), ids(1))
    ok(await shelves().overlaps('labels', ['used', 'signed']), ids(2, 3))
    sent('GET', '/shelves?select=id&order=id.asc&labels=ov.{used,signed}')
    ok(await shelves().containedBy('labels', ['new', 'staff picks', 'signed']), ids(1))
  })

  test('filter on an embed', async () => {
    const res = await api.from('authors').select('id, books(id)').eq('books.id', 4).order('id')
    sent('GET', '/authors?select=id,books(id)&books.id=eq.4&order=id.asc')
    ok(res, [{ id: 1, books: [] }, { id: 2, books: ids(4) }, { id: 3, books: [] }, { id: 4, books: [] }])
  })

  test('filter on an inner embed', async () => {
    const res = await api.from('authors').select('name, books!inner(id, title)').eq('books.id', 1)
    sent('GET', '/authors?select=name,books!inner(id,title)&books.id=eq.1')
    ok(res, [{ name: 'Ursula K. Le Guin', books: [{ id: 1, title: 'A Wizard of Earthsea' }] }])
  })

  test('null filter on an embed', async () => {
    const res = await api.from('authors').select('id, author_profiles(author_id)').is('author_profiles', null)
    ok(res, [{ id: 4, author_profiles: null }])
  })
})

describe('single, maybeSingle and csv', () => {
  test('single with one row is an object', async () => {
    const res = await api.from('books').select('id, title').eq('id', 1).single()
    same(last.headers.accept, 'application/vnd.pgrst.object+json', 'Accept')
    ok(res, { id: 1, title: 'A Wizard of Earthsea' })
    same(header('Content-Type'), 'application/vnd.pgrst.object+json; charset=utf-8', 'Content-Type')
  })

  test('single with two rows is PGRST116', async () => {
    const res = await api.from('books').select('id').lte('id', 2).single()
    fails(res, 406, 'Not Acceptable', {
      code: 'PGRST116',
      details: 'The result contains 2 rows',
      hint: null,
      message: 'Cannot coerce the result to a single JSON object',
    })
  })

  test('single with no rows is PGRST116', async () => {
    const res = await api.from('books').select('id').eq('id', 99).single()
    fails(res, 406, 'Not Acceptable', {
      code: 'PGRST116',
      details: 'The result contains 0 rows',
      hint: null,
      message: 'Cannot coerce the result to a single JSON object',
    })
  })

  test('single on an rpc', async () => {
    const res = await api.rpc('books_by_author', { author_id: 3 }).select('title').single()
    ok(res, { title: 'The Fifth Season' })
  })

  test('maybeSingle', async () => {
    ok(await api.from('books').select('id').eq('id', 2).maybeSingle(), { id: 2 })
    ok(await api.from('books').select('id').eq('id', 99).maybeSingle(), null)
    // More than one row: the client makes the error itself.
    const res = await api.from('books').select('id').lte('id', 3).maybeSingle()
    fails(res, 406, 'Not Acceptable', {
      code: 'PGRST116',
      details: 'Results contain 3 rows, application/vnd.pgrst.object+json requires 1 row',
      hint: null,
      message: 'JSON object requested, multiple (or no) rows returned',
    })
  })

  test('csv', async () => {
    const res = await api.from('books').select('id, title, isbn').lte('id', 3).order('id').csv()
    same(last.headers.accept, 'text/csv', 'Accept')
    ok(res, 'id,title,isbn\n1,"A Wizard of Earthsea",9780547773742\n2,"The Left Hand of Darkness",9780441478125\n3,"The Dispossessed",')
    same(header('Content-Type'), 'text/csv; charset=utf-8', 'Content-Type')
  })

  test('csv of an rpc', async () => {
    ok(await api.rpc('books_by_author', { author_id: 3 }, { get: true }).select('id, pages').csv(), 'id,pages\n6,512')
  })
})

describe('rpc', () => {
  const book = (id, title, format, year, pages, isbn) => ({
    id, title, author_id: 2, format, published_year: year, pages, in_stock: true, isbn,
  })

  test('scalar with POST', async () => {
    const res = await api.rpc('add', { a: 1, b: 2 })
    sent('POST', '/rpc/add')
    same({ body: last.body, contentType: last.headers['content-type'] }, { body: '{"a":1,"b":2}', contentType: 'application/json' }, 'body')
    ok(res, 3)
  })

  test('scalar with GET', async () => {
    const res = await api.rpc('add', { a: 40, b: 2 }, { get: true })
    sent('GET', '/rpc/add?a=40&b=2')
    ok(res, 42)
  })

  test('overload without arguments', async () => {
    const res = await api.rpc('greet')
    sent('POST', '/rpc/greet')
    same(last.body, '{}', 'body')
    ok(res, 'Hello, world!')
  })

  test('overload with an argument', async () => {
    ok(await api.rpc('greet', { name: 'Ada' }), 'Hello, Ada!')
    ok(await api.rpc('greet', { name: 'Ann' }, { get: true }), 'Hello, Ann!')
    sent('GET', '/rpc/greet?name=Ann')
  })

  test('setof with select and order', async () => {
    const res = await api.rpc('books_by_author', { author_id: 2 }).select('title').order('id')
    sent('POST', '/rpc/books_by_author?select=title&order=id.asc')
    ok(res, [{ title: 'Guards! Guards!' }, { title: 'Small Gods' }])
  })

  test('setof with GET', async () => {
    const res = await api.rpc('books_by_author', { author_id: 2 }, { get: true })
    sent('GET', '/rpc/books_by_author?author_id=2')
    ok(res, [
      book(4, 'Guards! Guards!', 'paperback', 1989, 416, '9780062225757'),
      book(5, 'Small Gods', 'audiobook', 1992, null, null),
    ])
  })

  test('setof with filters and an embed', async () => {
    const res = await api.rpc('books_by_author', { author_id: 2 }).select('title, author:authors(name)').eq('id', 5)
    ok(res, [{ title: 'Small Gods', author: { name: 'Terry Pratchett' } }])
  })

  test('setof with count', async () => {
    const res = await api.rpc('books_by_author', { author_id: 1 }, { count: 'exact' }).select('id').range(0, 0)
    ok(res, ids(1), { count: 3, status: 206, statusText: 'Partial Content' })
    const head = await api.rpc('books_by_author', { author_id: 1 }, { head: true, count: 'exact' })
    sent('HEAD', '/rpc/books_by_author?author_id=1')
    ok(head, null, { count: 3 })
  })

  test('variadic arguments', async () => {
    ok(await api.rpc('total', { nums: [1, 2, 3] }), 6)
    ok(await api.rpc('total', { nums: 5 }, { get: true }), 5)
    sent('GET', '/rpc/total?nums=5')
  })

  test('void function is 204', async () => {
    ok(await api.rpc('ping'), null, { status: 204, statusText: 'No Content' })
  })

  test('volatile function with POST writes', async () => {
    const res = await api.rpc('add_tag', { name: 'x' })
    ok(res, { id: 6, name: 'x' })
    ok(await api.from('tags').select('name').eq('id', 6), [{ name: 'x' }])
  })

  test('volatile function with GET runs read-only', async () => {
    const res = await api.rpc('add_tag', { name: 'y' }, { get: true })
    fails(res, 405, 'Method Not Allowed', {
      code: '25006',
      details: null,
      hint: null,
      message: 'cannot execute INSERT in a read-only transaction',
    })
  })
})

describe('aggregates', () => {
  test('count()', async () => {
    ok(await api.from('books').select('count()'), [{ count: 6 }])
  })

  test('sum grouped by a column', async () => {
    const res = await api.from('books').select('author_id, pages.sum()').order('author_id')
    sent('GET', '/books?select=author_id,pages.sum()&order=author_id.asc')
    ok(res, [{ author_id: 1, sum: 874 }, { author_id: 2, sum: 416 }, { author_id: 3, sum: 512 }])
  })

  test('count grouped by an enum, with an alias', async () => {
    const res = await api.from('books').select('format, n:count()').order('format')
    ok(res, [
      { format: 'hardcover', n: 1 },
      { format: 'paperback', n: 3 },
      { format: 'ebook', n: 1 },
      { format: 'audiobook', n: 1 },
    ])
  })
})

describe('schemas', () => {
  test('schema option sends Accept-Profile and Content-Profile', async () => {
    const client = new PostgrestClient(API_URL, { fetch: recordingFetch, retry: false, schema: 'api' })
    ok(await client.from('books').select('id').eq('id', 1), ids(1))
    same(last.headers['accept-profile'], 'api', 'Accept-Profile')
    ok(await client.rpc('add', { a: 2, b: 3 }), 5)
    same(last.headers['content-profile'], 'api', 'Content-Profile')
  })

  test('unknown schema is PGRST106', async () => {
    const res = await api.schema('private').from('books').select('id')
    same(last.headers['accept-profile'], 'private', 'Accept-Profile')
    fails(res, 406, 'Not Acceptable', {
      code: 'PGRST106',
      details: null,
      hint: null,
      message: 'The schema must be one of the following: api, other',
    })
  })
})

describe('errors', () => {
  test('unknown table is PGRST205', async () => {
    const res = await api.from('book').select()
    fails(res, 404, 'Not Found', {
      code: 'PGRST205',
      details: null,
      hint: "Perhaps you meant the table 'api.books'",
      message: "Could not find the table 'api.book' in the schema cache",
    })
  })

  test('unknown table without a suggestion', async () => {
    const res = await api.from('xyzzy').select('id')
    fails(res, 404, 'Not Found', {
      code: 'PGRST205',
      details: null,
      hint: null,
      message: "Could not find the table 'api.xyzzy' in the schema cache",
    })
  })

  test('unknown relationship is PGRST200', async () => {
    const res = await api.from('books').select('title, xyzzy(name)')
    fails(res, 400, 'Bad Request', {
      code: 'PGRST200',
      details: "Searched for a foreign key relationship between 'books' and 'xyzzy' in the schema 'api', but no matches were found.",
      // Nothing close to 'xyzzy' (a close name gets PostgREST's "Perhaps you
      // meant"): the seed documents show this hint (PostgREST 13 sends null).
      hint: 'If a new foreign key between these entities was created in the database, try reloading the schema cache.',
      message: "Could not find a relationship between 'books' and 'xyzzy' in the schema cache",
    })
  })

  test('unknown function is PGRST202', async () => {
    const res = await api.rpc('xyzzy', { a: 1 })
    fails(res, 404, 'Not Found', {
      code: 'PGRST202',
      details: 'Searched for the function api.xyzzy with parameter a or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.',
      // The seed documents show this hint when nothing close is found (PostgREST 13 sends null).
      hint: 'If a new function was created in the database with this name and arguments, try reloading the schema cache.',
      message: 'Could not find the function api.xyzzy(a) in the schema cache',
    })
  })

  test('unknown function with GET', async () => {
    const res = await api.rpc('xyzzy', { a: 1, b: 2 }, { get: true })
    fails(res, 404, 'Not Found', {
      code: 'PGRST202',
      details: 'Searched for the function api.xyzzy with parameters a, b, but no matches were found in the schema cache.',
      hint: 'If a new function was created in the database with this name and arguments, try reloading the schema cache.',
      message: 'Could not find the function api.xyzzy(a, b) in the schema cache',
    })
  })

  test('unknown column is 42703', async () => {
    const res = await api.from('books').select('nope')
    fails(res, 400, 'Bad Request', {
      code: '42703',
      details: null,
      hint: null,
      message: 'column books.nope does not exist',
    })
  })

  test('throwOnError throws a PostgrestError', async () => {
    await assert.rejects(async () => await api.from('book').select().throwOnError(), (err) => {
      same({ name: err.name, code: err.code, message: err.message }, {
        name: 'PostgrestError',
        code: 'PGRST205',
        message: "Could not find the table 'api.book' in the schema cache",
      })
      return true
    })
  })
})

// Writes on api.todos (id, slug UNIQUE, task, done DEFAULT false) and
// other.todos, which start empty and with one row. The tests build on each
// other in order.
describe('insert, upsert, update and delete', () => {
  const created = { status: 201, statusText: 'Created' }
  const todos = (op, value) =>
    api.from('todos').select('id, slug, task, done').filter('id', op, value).order('id')

  test('insert one row with select', async () => {
    const res = await api.from('todos').insert({ id: 1, slug: 'a', task: 'write' }).select()
    sent('POST', '/todos?select=*')
    ok(res, [{ id: 1, slug: 'a', task: 'write', done: false }], created)
    same(header('Preference-Applied'), 'return=representation', 'Preference-Applied')
    same(header('Content-Range'), '*/*', 'Content-Range')
  })

  test('bulk insert without select', async () => {
    const res = await api.from('todos').insert([
      { id: 2, slug: 'b', task: 'read' },
      { id: 3, slug: 'c', task: 'test' },
    ])
    sent('POST', '/todos?columns="id","slug","task"')
    ok(res, null, created)
    ok(await api.from('todos').select('id').in('id', [2, 3]).order('id'), ids(2, 3))
  })

  test('bulk insert of different keys fills the missing ones with null', async () => {
    const res = await api.from('todos').insert([
      { id: 4, slug: 'd', task: 'x', done: true },
      { id: 5, slug: 'e', task: 'y' },
    ])
    sent('POST', '/todos?columns="id","slug","task","done"')
    same(res.status, 400, 'status')
    same(res.error?.code, '23502', 'error code')
    ok(await api.from('todos').select('id').in('id', [4, 5]), [])
  })

  test('bulk insert with defaultToNull false uses the defaults', async () => {
    const res = await api.from('todos')
      .insert([{ id: 4, slug: 'd', task: 'x', done: true }, { id: 5, slug: 'e', task: 'y' }], { defaultToNull: false })
      .select('id, done')
    sent('POST', '/todos?columns="id","slug","task","done"&select=id,done')
    res.data?.sort((a, b) => a.id - b.id)
    ok(res, [{ id: 4, done: true }, { id: 5, done: false }], created)
    same(header('Preference-Applied'), 'missing=default, return=representation', 'Preference-Applied')
  })

  test('insert with an exact count', async () => {
    const res = await api.from('todos').insert({ id: 6, slug: 'f', task: 'count' }, { count: 'exact' })
    sent('POST', '/todos')
    ok(res, null, { ...created, count: 1 })
    same(header('Content-Range'), '*/1', 'Content-Range')
  })

  test('upsert with onConflict updates and inserts', async () => {
    const res = await api.from('todos')
      .upsert([{ id: 1, slug: 'a', task: 'rewrite' }, { id: 7, slug: 'g', task: 'new' }], { onConflict: 'slug' })
      .select('id, task')
    sent('POST', '/todos?on_conflict=slug&columns="id","slug","task"&select=id,task')
    res.data?.sort((a, b) => a.id - b.id)
    ok(res, [{ id: 1, task: 'rewrite' }, { id: 7, task: 'new' }], created)
    same(header('Preference-Applied'), 'resolution=merge-duplicates, return=representation', 'Preference-Applied')
  })

  test('upsert that only updates is 200', async () => {
    const res = await api.from('todos')
      .upsert({ id: 7, slug: 'g', task: 'renamed' }, { onConflict: 'slug' })
      .select('id, task')
    ok(res, [{ id: 7, task: 'renamed' }], { status: 200, statusText: 'OK' })
    same(header('Preference-Applied'), 'resolution=merge-duplicates, return=representation', 'Preference-Applied')
  })

  test('upsert with ignoreDuplicates returns only the inserted rows', async () => {
    const res = await api.from('todos')
      .upsert([{ id: 1, slug: 'a', task: 'ignored' }, { id: 8, slug: 'h', task: 'kept' }],
        { onConflict: 'slug', ignoreDuplicates: true })
      .select('id, task')
    sent('POST', '/todos?on_conflict=slug&columns="id","slug","task"&select=id,task')
    ok(res, [{ id: 8, task: 'kept' }], created)
    same(header('Preference-Applied'), 'resolution=ignore-duplicates, return=representation', 'Preference-Applied')
    ok(await todos('in', '(1,8)'), [
      { id: 1, slug: 'a', task: 'rewrite', done: false },
      { id: 8, slug: 'h', task: 'kept', done: false },
    ])
  })

  test('update with a filter and select', async () => {
    const res = await api.from('todos').update({ done: true }).eq('id', 7).select('id, done')
    sent('PATCH', '/todos?id=eq.7&select=id,done')
    ok(res, [{ id: 7, done: true }])
    same(header('Content-Range'), '0-0/*', 'Content-Range')
  })

  test('update with an exact count and no select', async () => {
    const res = await api.from('todos').update({ task: 'bulk' }, { count: 'exact' }).in('id', [2, 3])
    sent('PATCH', '/todos?id=in.(2,3)')
    ok(res, null, { count: 2, status: 204, statusText: 'No Content' })
  })

  test('delete with a filter', async () => {
    const res = await api.from('todos').delete().eq('id', 8)
    sent('DELETE', '/todos?id=eq.8')
    ok(res, null, { status: 204, statusText: 'No Content' })
    ok(await todos('eq', 8), [])
  })

  test('delete with select', async () => {
    const res = await api.from('todos').delete().eq('slug', 'f').select('id')
    sent('DELETE', '/todos?slug=eq.f&select=id')
    ok(res, ids(6))
  })

  test('insert into another schema', async () => {
    const res = await api.schema('other').from('todos').insert({ id: 2, task: 'there' }).select()
    sent('POST', '/todos?select=*')
    same(last.headers['content-profile'], 'other', 'Content-Profile')
    ok(res, [{ id: 2, task: 'there' }], created)
    same(header('Content-Profile'), 'other', 'response Content-Profile')
    ok(await api.schema('other').from('todos').select('id').order('id'), ids(1, 2))
    ok(await api.from('todos').select('id').eq('id', 2), ids(2))
  })

  test('unknown column is PGRST204', async () => {
    const res = await api.from('todos').insert({ id: 9, nope: 1 })
    sent('POST', '/todos')
    fails(res, 400, 'Bad Request', {
      code: 'PGRST204',
      details: null,
      hint: null,
      message: "Could not find the 'nope' column of 'todos' in the schema cache",
    })
    ok(await todos('eq', 9), [])
  })
})
