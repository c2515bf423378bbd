// postgrest-js sending a user's token, as supabase-js does after sign-in:
// row level security shows each user their own notes only. Run by
// TestPostgrestJS, which passes API_URL and tokens for users alice and bob
// in JWT_ALICE and JWT_BOB.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PostgrestClient } from '@supabase/postgrest-js'

const { API_URL, JWT_ALICE, JWT_BOB } = process.env
if (!API_URL || !JWT_ALICE || !JWT_BOB) {
  throw new Error('API_URL, JWT_ALICE and JWT_BOB must be set: run with `go test -run TestPostgrestJS ./tests/`')
}

const as = (token) => new PostgrestClient(API_URL, token ? { headers: { Authorization: `Bearer ${token}` } } : {})

test('each user reads and counts their own notes', async () => {
  const alice = await as(JWT_ALICE).from('notes').select('id, body', { count: 'exact' }).order('id')
  assert.deepStrictEqual([alice.error, alice.data, alice.count], [null, [{ id: 1, body: 'a1' }, { id: 2, body: 'a2' }], 2])
  const bob = await as(JWT_BOB).from('notes').select('id').order('id')
  assert.deepStrictEqual([bob.error, bob.data], [null, [{ id: 3 }]])
})

test('a user cannot change another user\'s notes', async () => {
  const upd = await as(JWT_BOB).from('notes').update({ body: 'hacked' }).eq('id', 1).select()
  assert.deepStrictEqual([upd.error, upd.data], [null, []])
  const check = await as(JWT_ALICE).from('notes').select('body').eq('id', 1).single()
  assert.deepStrictEqual([check.error, check.data], [null, { body: 'a1' }])
})

test('rpc runs as the token\'s user', async () => {
  const r = await as(JWT_ALICE).rpc('whoami')
  assert.deepStrictEqual([r.error, r.data], [null, { user: 'app_user', sub: 'alice', timeout: '123s' }])
})

test('the anon role is refused, a bad token is PGRST301', async () => {
  const anon = await as(null).from('notes').select('id')
  assert.equal(anon.status, 401)
  assert.equal(anon.error.code, '42501')
  const bad = await as('not-a-token').from('notes').select('id')
  assert.equal(bad.status, 401)
  assert.equal(bad.error.code, 'PGRST301')
})
